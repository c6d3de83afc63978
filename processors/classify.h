#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/event.h"
#include "processors/crm_store.h"
#include "processors/org_tables.h"
#include "processors/settings.h"

namespace huntline::processors {

/// What kind of work an activity was (metrics.md, "Classifying one activity").
enum class Behaviour : uint8_t {
  kCustomerManagement,
  kDealWork,
  kLostDealFollowup,
  kInboundFollowup,
  kTargetProspecting,
  kOpportunisticProspecting,
  kOther,
};
inline constexpr std::array<std::string_view, 7> kBehaviourNames = {
    "customer_management",  "deal_work",  "lost_deal_followup", "inbound_followup",
    "target_prospecting",   "opportunistic_prospecting", "other"};

/// The account an activity is about: its own `account_id`, else the account of the lead it names.
std::optional<std::string_view> AccountOfActivity(const ingest::ActivityLogged& activity,
                                                  const CrmStore& crm);

/// The first of the seven rules that matches, looking at the account as it stands now. An
/// account unknown to the org tables counts as a `prospect` with `icp_tier` none and no targets.
Behaviour ClassifyActivity(const ingest::ActivityLogged& activity, Timestamp time,
                           const OrgView& org, const CrmStore& crm, const Settings& settings);

}  // namespace huntline::processors
