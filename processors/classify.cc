#include "processors/classify.h"

namespace huntline::processors {
namespace {

bool IsInboundSource(ingest::LeadSource source) {
  return source == ingest::LeadSource::kInbound || source == ingest::LeadSource::kRfp;
}

bool IsLostDealFollowup(std::string_view account_id, Timestamp time, const CrmStore& crm,
                        const Settings& settings) {
  const Opportunity* latest = crm.LatestNewBusiness(account_id);
  if (!latest || latest->data.stage != ingest::Stage::kClosedLost) return false;
  const Timestamp window = static_cast<Timestamp>(settings.lost_deal_followup_days) * kMillisPerDay;
  return latest->closed_at <= time && time - latest->closed_at <= window;
}

bool IsInboundFollowup(const ingest::ActivityLogged& activity,
                       std::optional<std::string_view> account_id, const CrmStore& crm) {
  if (activity.lead_id) {
    if (const Lead* lead = crm.FindLead(*activity.lead_id)) return IsInboundSource(lead->data.source);
  }
  if (!account_id) return false;
  bool inbound = false;
  crm.ForEachLead(*account_id, [&](const Lead& lead) {
    const auto status = lead.data.status;
    if (status == ingest::LeadStatus::kDisqualified || status == ingest::LeadStatus::kConverted) {
      return;
    }
    inbound = inbound || IsInboundSource(lead.data.source);
  });
  return inbound;
}

}  // namespace

std::optional<std::string_view> AccountOfActivity(const ingest::ActivityLogged& activity,
                                                  const CrmStore& crm) {
  if (activity.account_id) return std::string_view(*activity.account_id);
  if (activity.lead_id) {
    const Lead* lead = crm.FindLead(*activity.lead_id);
    if (lead && lead->data.account_id) return std::string_view(*lead->data.account_id);
  }
  return std::nullopt;
}

Behaviour ClassifyActivity(const ingest::ActivityLogged& activity, Timestamp time,
                           const OrgView& org, const CrmStore& crm, const Settings& settings) {
  const auto account_id = AccountOfActivity(activity, crm);
  const auto account = account_id ? org.FindAccount(*account_id) : nullptr;
  if (account && account->data.relationship == ingest::Relationship::kCustomer) {
    return Behaviour::kCustomerManagement;
  }
  if (account_id && crm.HasOpenOpportunity(*account_id)) return Behaviour::kDealWork;
  if (account_id && IsLostDealFollowup(*account_id, time, crm, settings)) {
    return Behaviour::kLostDealFollowup;
  }
  if (IsInboundFollowup(activity, account_id, crm)) return Behaviour::kInboundFollowup;
  if (activity.direction != ingest::Direction::kOutbound) return Behaviour::kOther;
  if (account && (account->IsTargetOf(activity.actor_id) ||
                  account->data.icp_tier == ingest::IcpTier::kA)) {
    return Behaviour::kTargetProspecting;
  }
  return Behaviour::kOpportunisticProspecting;
}

}  // namespace huntline::processors
