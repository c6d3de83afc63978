#include "processors/crm_store.h"

#include <algorithm>

#include "storage/codec.h"

namespace huntline::processors {
namespace {
constexpr uint64_t kLeadVersion = 1;
constexpr uint64_t kOpportunityVersion = 1;

template <typename E>
E ToEnum(uint64_t v) {
  return static_cast<E>(v);
}
}  // namespace

void CrmStore::Unlink(std::vector<std::string>& ids, std::string_view id) {
  auto it = std::find(ids.begin(), ids.end(), id);
  if (it != ids.end()) ids.erase(it);
}

void CrmStore::IndexLead(const std::string& id, const std::optional<std::string>& old_account,
                         const std::optional<std::string>& new_account) {
  if (old_account == new_account) return;
  if (old_account) Unlink(by_account_[*old_account].leads, id);
  if (new_account) by_account_[*new_account].leads.push_back(id);
}

void CrmStore::IndexOpportunity(const std::string& id,
                                const std::optional<std::string>& old_account,
                                const std::string& new_account) {
  if (old_account && *old_account == new_account) return;
  if (old_account) Unlink(by_account_[*old_account].opportunities, id);
  by_account_[new_account].opportunities.push_back(id);
}

ApplyOutcome CrmStore::ApplyLead(const ingest::LeadUpserted& d, Timestamp time, uint64_t seq,
                                 std::optional<Lead>* before) {
  auto [it, inserted] = leads_.try_emplace(d.lead_id);
  Lead& lead = it->second;
  if (!inserted && time < lead.updated) return ApplyOutcome::kStale;
  std::optional<std::string> old_account;
  if (!inserted) {
    old_account = lead.data.account_id;
    if (before) *before = lead;
  }
  lead.data = d;
  lead.updated = time;
  lead.seq = seq;
  IndexLead(d.lead_id, old_account, d.account_id);
  dirty_leads_.insert(d.lead_id);
  return ApplyOutcome::kApplied;
}

ApplyOutcome CrmStore::ApplyOpportunity(const ingest::OpportunityUpserted& d, Timestamp time,
                                        uint64_t seq, std::optional<Opportunity>* before) {
  auto [it, inserted] = opportunities_.try_emplace(d.opportunity_id);
  Opportunity& opp = it->second;
  if (!inserted && time < opp.updated) return ApplyOutcome::kStale;
  std::optional<std::string> old_account;
  const bool was_open = inserted || opp.open();
  if (!inserted) {
    old_account = opp.data.account_id;
    if (before) *before = opp;
  }
  opp.data = d;
  opp.updated = time;
  opp.seq = seq;
  if (opp.open()) {
    opp.closed_at = kNoTime;
  } else if (was_open) {
    opp.closed_at = time;  // moved into a closed stage (from open, or first seen closed)
  }
  IndexOpportunity(d.opportunity_id, old_account, d.account_id);
  dirty_opportunities_.insert(d.opportunity_id);
  return ApplyOutcome::kApplied;
}

const Lead* CrmStore::FindLead(std::string_view lead_id) const {
  auto it = leads_.find(lead_id);
  return it == leads_.end() ? nullptr : &it->second;
}

const Opportunity* CrmStore::FindOpportunity(std::string_view opportunity_id) const {
  auto it = opportunities_.find(opportunity_id);
  return it == opportunities_.end() ? nullptr : &it->second;
}

bool CrmStore::HasOpenOpportunity(std::string_view account_id) const {
  bool open = false;
  ForEachOpportunity(account_id, [&](const Opportunity& opp) { open = open || opp.open(); });
  return open;
}

const Lead* CrmStore::LatestLead(std::string_view account_id) const {
  const Lead* latest = nullptr;
  ForEachLead(account_id, [&](const Lead& lead) {
    if (!latest || lead.updated > latest->updated ||
        (lead.updated == latest->updated && lead.seq > latest->seq)) {
      latest = &lead;
    }
  });
  return latest;
}

const Opportunity* CrmStore::LatestNewBusiness(std::string_view account_id) const {
  const Opportunity* latest = nullptr;
  ForEachOpportunity(account_id, [&](const Opportunity& opp) {
    if (opp.data.type != ingest::OpportunityType::kNewBusiness) return;
    if (!latest || opp.order_time() > latest->order_time() ||
        (opp.order_time() == latest->order_time() && opp.seq > latest->seq)) {
      latest = &opp;
    }
  });
  return latest;
}

std::string CrmStore::EncodeLead(const Lead& lead) {
  storage::Encoder e;
  const auto& d = lead.data;
  e.U64(kLeadVersion).Str(d.lead_id).OptStr(d.account_id).Str(d.owner_id);
  e.U64(static_cast<uint64_t>(d.source)).U64(static_cast<uint64_t>(d.status));
  e.OptStr(d.disqualify_reason).I64(lead.updated).U64(lead.seq);
  return e.Take();
}

std::string CrmStore::EncodeOpportunity(const Opportunity& opp) {
  storage::Encoder e;
  const auto& d = opp.data;
  e.U64(kOpportunityVersion).Str(d.opportunity_id).Str(d.account_id).Str(d.owner_id);
  e.U64(static_cast<uint64_t>(d.type)).U64(static_cast<uint64_t>(d.origin));
  e.U64(static_cast<uint64_t>(d.stage)).F64(d.amount).I64(d.close_date).I64(d.created_at);
  e.U64(d.loss_reason ? static_cast<uint64_t>(*d.loss_reason) + 1 : 0);
  e.U64(d.customer_priority ? (*d.customer_priority ? 2 : 1) : 0);
  e.U64(d.customer_must_have_date ? 1 : 0);
  if (d.customer_must_have_date) e.I64(*d.customer_must_have_date);
  e.I64(opp.updated).I64(opp.closed_at).U64(opp.seq);
  return e.Take();
}

Status CrmStore::Restore(std::string_view key, std::string_view value) {
  storage::Decoder r(value);
  if (key.starts_with("lead/")) {
    if (r.U64() != kLeadVersion) return Status::Error("unknown lead record version");
    Lead lead;
    auto& d = lead.data;
    d.lead_id = r.Str();
    d.account_id = r.OptStr();
    d.owner_id = r.Str();
    d.source = ToEnum<ingest::LeadSource>(r.U64());
    d.status = ToEnum<ingest::LeadStatus>(r.U64());
    d.disqualify_reason = r.OptStr();
    lead.updated = r.I64();
    lead.seq = r.U64();
    if (!r.ok()) return Status::Error("corrupt lead record " + std::string(key));
    const std::string id = d.lead_id;
    IndexLead(id, std::nullopt, d.account_id);
    leads_[id] = std::move(lead);
    return Status::Ok();
  }
  if (key.starts_with("opp/")) {
    if (r.U64() != kOpportunityVersion) return Status::Error("unknown opportunity record version");
    Opportunity opp;
    auto& d = opp.data;
    d.opportunity_id = r.Str();
    d.account_id = r.Str();
    d.owner_id = r.Str();
    d.type = ToEnum<ingest::OpportunityType>(r.U64());
    d.origin = ToEnum<ingest::Origin>(r.U64());
    d.stage = ToEnum<ingest::Stage>(r.U64());
    d.amount = r.F64();
    d.close_date = static_cast<Day>(r.I64());
    d.created_at = r.I64();
    if (uint64_t loss = r.U64()) d.loss_reason = ToEnum<ingest::LossReason>(loss - 1);
    if (uint64_t priority = r.U64()) d.customer_priority = priority == 2;
    if (r.U64()) d.customer_must_have_date = static_cast<Day>(r.I64());
    opp.updated = r.I64();
    opp.closed_at = r.I64();
    opp.seq = r.U64();
    if (!r.ok()) return Status::Error("corrupt opportunity record " + std::string(key));
    const std::string id = d.opportunity_id;
    IndexOpportunity(id, std::nullopt, d.account_id);
    opportunities_[id] = std::move(opp);
    return Status::Ok();
  }
  return Status::Error("unknown CRM record " + std::string(key));
}

}  // namespace huntline::processors
