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

void CrmStore::Open(storage::KvStore* store, const std::string& prefix, size_t cache_entries) {
  leads_ = storage::WriteBackCache<Lead>(store, prefix + "lead/", cache_entries, DecodeLead);
  opportunities_ = storage::WriteBackCache<Opportunity>(store, prefix + "opp/", cache_entries, DecodeOpportunity);
  stored_ = store != nullptr;
}

ApplyOutcome CrmStore::ApplyLead(const ingest::LeadUpserted& d, Timestamp time, uint64_t seq,
                                 std::optional<Lead>* before) {
  const Lead* held = leads_.Find(d.lead_id);
  if (held && time < held->updated) return ApplyOutcome::kStale;
  std::optional<std::string> old_account;
  if (held) {
    old_account = held->data.account_id;
    if (before) *before = *held;
  }
  Lead& lead = leads_.Mutable(d.lead_id);
  lead.data = d;
  lead.updated = time;
  lead.seq = seq;
  IndexLead(d.lead_id, old_account, d.account_id);
  return ApplyOutcome::kApplied;
}

ApplyOutcome CrmStore::ApplyOpportunity(const ingest::OpportunityUpserted& d, Timestamp time,
                                        uint64_t seq, std::optional<Opportunity>* before) {
  const Opportunity* held = opportunities_.Find(d.opportunity_id);
  if (held && time < held->updated) return ApplyOutcome::kStale;
  std::optional<std::string> old_account;
  const bool was_open = !held || held->open();
  if (held) {
    old_account = held->data.account_id;
    if (before) *before = *held;
  }
  Opportunity& opp = opportunities_.Mutable(d.opportunity_id);
  opp.data = d;
  opp.updated = time;
  opp.seq = seq;
  if (opp.open()) {
    opp.closed_at = kNoTime;
  } else if (was_open) {
    opp.closed_at = time;  // moved into a closed stage (from open, or first seen closed)
  }
  IndexOpportunity(d.opportunity_id, old_account, d.account_id);
  return ApplyOutcome::kApplied;
}

const Lead* CrmStore::FindLead(std::string_view lead_id) const { return leads_.Find(lead_id); }

const Opportunity* CrmStore::FindOpportunity(std::string_view opportunity_id) const {
  return opportunities_.Find(opportunity_id);
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

bool CrmStore::DecodeLead(std::string_view value, Lead* out) {
  storage::Decoder r(value);
  if (r.U64() != kLeadVersion) return false;
  Lead& lead = *out;
  auto& d = lead.data;
  d.lead_id = r.Str();
  d.account_id = r.OptStr();
  d.owner_id = r.Str();
  d.source = ToEnum<ingest::LeadSource>(r.U64());
  d.status = ToEnum<ingest::LeadStatus>(r.U64());
  d.disqualify_reason = r.OptStr();
  lead.updated = r.I64();
  lead.seq = r.U64();
  return r.ok();
}

bool CrmStore::DecodeOpportunity(std::string_view value, Opportunity* out) {
  storage::Decoder r(value);
  if (r.U64() != kOpportunityVersion) return false;
  Opportunity& opp = *out;
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
  return r.ok();
}

Status CrmStore::Restore(std::string_view key, std::string_view value) {
  if (key.starts_with("lead/")) {
    Lead lead;
    if (!DecodeLead(value, &lead)) return Status::Error("corrupt or unknown lead record " + std::string(key));
    const std::string id = lead.data.lead_id;
    IndexLead(id, std::nullopt, lead.data.account_id);
    if (!stored_) leads_.Mutable(id) = std::move(lead);
    return Status::Ok();
  }
  if (key.starts_with("opp/")) {
    Opportunity opp;
    if (!DecodeOpportunity(value, &opp)) {
      return Status::Error("corrupt or unknown opportunity record " + std::string(key));
    }
    const std::string id = opp.data.opportunity_id;
    IndexOpportunity(id, std::nullopt, opp.data.account_id);
    if (!stored_) opportunities_.Mutable(id) = std::move(opp);
    return Status::Ok();
  }
  return Status::Error("unknown CRM record " + std::string(key));
}

}  // namespace huntline::processors
