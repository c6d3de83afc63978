#include "processors/prospect_rules.h"

#include <algorithm>

#include "storage/codec.h"

namespace huntline::processors {
namespace {

constexpr uint64_t kFactsVersion = 1;

bool IsResponse(ingest::ActivityOutcome o) {
  return o == ingest::ActivityOutcome::kConnected || o == ingest::ActivityOutcome::kMeetingBooked;
}

bool IsProspectingBehaviour(Behaviour b) {
  return b == Behaviour::kLostDealFollowup || b == Behaviour::kInboundFollowup ||
         b == Behaviour::kTargetProspecting || b == Behaviour::kOpportunisticProspecting;
}

void KeepLatest(std::vector<std::pair<std::string, Timestamp>>& list, std::string_view id,
                Timestamp time, bool* added) {
  for (auto& [known, latest] : list) {
    if (known == id) {
      latest = std::max(latest, time);
      return;
    }
  }
  list.emplace_back(std::string(id), time);
  if (added) *added = true;
}

std::optional<ingest::BuyingRole> RoleOfContact(const OrgView& org, std::string_view contact_id) {
  const auto contact = org.FindContact(contact_id);
  if (!contact) return std::nullopt;
  return contact->data.buying_role;
}

/// The outcome's rules 1–3 for an account key: its opportunities.
std::optional<ProspectOutcome> OutcomeFromDeals(std::string_view account_id, const CrmStore& crm) {
  bool won = false;
  bool open = false;
  crm.ForEachOpportunity(account_id, [&](const Opportunity& opp) {
    won = won || (opp.data.type == ingest::OpportunityType::kNewBusiness &&
                  opp.data.stage == ingest::Stage::kClosedWon);
    open = open || opp.open();
  });
  if (won) return ProspectOutcome::kWon;
  if (open) return ProspectOutcome::kOpportunity;
  const Opportunity* latest = crm.LatestNewBusiness(account_id);
  if (latest && latest->data.stage == ingest::Stage::kClosedLost) {
    const auto reason = latest->data.loss_reason;
    if (reason == ingest::LossReason::kCompetitor) return ProspectOutcome::kLostCompetitor;
    if (reason == ingest::LossReason::kNoDecision) return ProspectOutcome::kLostNoDecision;
    return ProspectOutcome::kLostOther;
  }
  return std::nullopt;
}

}  // namespace

std::string ProspectKeyOfActivity(const ingest::ActivityLogged& activity, const CrmStore& crm) {
  if (auto account = AccountOfActivity(activity, crm)) return std::string(*account);
  return LeadKey(activity.lead_id.value_or(""));
}

bool ProspectFacts::Record(const ingest::ActivityLogged& activity, Timestamp time, uint64_t seq,
                           Behaviour behaviour) {
  touched = true;
  prospecting = prospecting || IsProspectingBehaviour(behaviour);
  const auto outcome = activity.outcome;
  if (outcome == ingest::ActivityOutcome::kConnected) connected = true;
  if (outcome == ingest::ActivityOutcome::kMeetingBooked) meeting_booked = true;
  if (IsResponse(outcome)) last_response = std::max(last_response, time);
  if (outcome == ingest::ActivityOutcome::kNotInterested) {
    last_not_interested = std::max(last_not_interested, time);
  }
  if (latest_time == kNoTime || time >= latest_time) {  // equal times: the later processed wins
    latest_time = time;
    latest_seq = seq;
    latest_outcome = outcome;
  }
  KeepLatest(actors, activity.actor_id, time, nullptr);
  bool new_responder = false;
  if (IsResponse(outcome) && activity.contact_id) {
    KeepLatest(responders, *activity.contact_id, time, &new_responder);
  }
  return new_responder;
}

std::string ProspectFacts::Encode() const {
  storage::Encoder e;
  e.U64(kFactsVersion);
  e.U64((touched ? 1 : 0) | (prospecting ? 2 : 0) | (connected ? 4 : 0) | (meeting_booked ? 8 : 0));
  e.I64(last_response).I64(last_not_interested).I64(latest_time).U64(latest_seq);
  e.U64(static_cast<uint64_t>(latest_outcome));
  for (const auto* list : {&responders, &actors}) {
    e.U64(list->size());
    for (const auto& [id, time] : *list) e.Str(id).I64(time);
  }
  return e.Take();
}

bool ProspectFacts::Decode(std::string_view in, ProspectFacts* out) {
  storage::Decoder r(in);
  if (r.U64() != kFactsVersion) return false;
  const uint64_t flags = r.U64();
  out->touched = flags & 1;
  out->prospecting = flags & 2;
  out->connected = flags & 4;
  out->meeting_booked = flags & 8;
  out->last_response = r.I64();
  out->last_not_interested = r.I64();
  out->latest_time = r.I64();
  out->latest_seq = r.U64();
  out->latest_outcome = static_cast<ingest::ActivityOutcome>(r.U64());
  for (auto* list : {&out->responders, &out->actors}) {
    list->clear();
    for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
      std::string id = r.Str();
      list->emplace_back(std::move(id), r.I64());
    }
  }
  return r.ok();
}

ProspectCell EvaluateProspect(std::string_view key, const ProspectFacts* facts,
                              bool org_only_owned, const OrgView& org, const CrmStore& crm,
                              const Settings& settings, Timestamp now) {
  ProspectCell cell;
  const Lead* latest_lead = nullptr;
  bool account_key = !IsLeadKey(key);
  if (account_key) {
    latest_lead = crm.LatestLead(key);
    bool has_deals = false;
    crm.ForEachOpportunity(key, [&](const Opportunity&) { has_deals = true; });
    const bool local_state = facts || latest_lead || has_deals;
    const auto account = org.FindAccount(key);
    const auto relationship =
        account ? account->data.relationship : ingest::Relationship::kProspect;
    const bool targeted = account && !account->data.target_of.empty();
    cell.is_prospect = (local_state || org_only_owned) &&
                       (relationship == ingest::Relationship::kProspect ||
                        relationship == ingest::Relationship::kFormerCustomer) &&
                       (latest_lead || targeted || (facts && facts->prospecting));
    if (account && account->data.owner_id) {
      cell.owner = *account->data.owner_id;
    } else if (latest_lead) {
      cell.owner = latest_lead->data.owner_id;
    }
  } else {
    latest_lead = crm.FindLead(key.substr(kLeadKeyPrefix.size()));
    cell.is_prospect = latest_lead ? !latest_lead->data.account_id : facts != nullptr;
    if (latest_lead) cell.owner = latest_lead->data.owner_id;
  }
  if (!cell.is_prospect) return cell;

  const Timestamp cold = Settings::Days(settings.cold_after_days);
  const Timestamp not_interested = Settings::Days(settings.not_interested_days);

  // Engagement.
  int threads = 0;
  if (facts) {
    // Two are enough to be multi-threaded: the other responders need no look-up.
    for (auto it = facts->responders.begin(); it != facts->responders.end() && threads < 2; ++it) {
      const auto role = RoleOfContact(org, it->first);
      if (role == ingest::BuyingRole::kDecisionMaker || role == ingest::BuyingRole::kBudgetHolder ||
          role == ingest::BuyingRole::kChampion || role == ingest::BuyingRole::kInfluencer) {
        ++threads;
      }
    }
  }
  const bool responded = facts && (facts->connected || facts->meeting_booked);
  if (threads >= 2) {
    cell.engagement = Engagement::kMultiThreaded;
  } else if (responded && !InWindow(facts->last_response, now, cold) &&
             !(account_key && crm.HasOpenOpportunity(key))) {
    cell.engagement = Engagement::kGoneCold;
  } else if (facts && facts->meeting_booked) {
    cell.engagement = Engagement::kEngaged;
  } else if (facts && facts->connected) {
    cell.engagement = Engagement::kResponsive;
  } else if (facts && facts->touched) {
    cell.engagement = Engagement::kUnresponsive;
  } else {
    cell.engagement = Engagement::kUntouched;
  }
  if (responded && InWindow(facts->last_response, now, cold)) {
    cell.next_change = facts->last_response + cold;
  }

  // Outcome.
  std::optional<ProspectOutcome> from_deals;
  if (account_key) from_deals = OutcomeFromDeals(key, crm);
  const bool lead_disqualified =
      latest_lead && latest_lead->data.status == ingest::LeadStatus::kDisqualified;
  const bool lead_nurture = latest_lead && latest_lead->data.status == ingest::LeadStatus::kNurture;
  const bool recent_not_interested =
      facts && InWindow(facts->last_not_interested, now, not_interested);
  if (from_deals) {
    cell.outcome = *from_deals;
  } else if (lead_disqualified ||
             (facts && facts->latest_time != kNoTime &&
              facts->latest_outcome == ingest::ActivityOutcome::kDisqualified)) {
    cell.outcome = ProspectOutcome::kDisqualified;
  } else if (lead_nurture || recent_not_interested) {
    cell.outcome = ProspectOutcome::kNurture;
  } else {
    cell.outcome = ProspectOutcome::kInPlay;
  }
  if (recent_not_interested) {
    cell.next_change =
        EarlierDeadline(cell.next_change, facts->last_not_interested + not_interested);
  }
  return cell;
}

TargetCoverage EvaluateTargetCoverage(const Account& account, const ProspectFacts* facts,
                                      const OrgView& org, const Settings& settings,
                                      Timestamp now) {
  TargetCoverage coverage;
  for (const auto& rep : account.data.target_of) {
    if (std::find(coverage.reps.begin(), coverage.reps.end(), rep) == coverage.reps.end()) {
      coverage.reps.push_back(rep);
    }
  }
  if (!facts || coverage.reps.empty()) return coverage;
  const Timestamp touched = Settings::Days(settings.target_touched_days);
  const Timestamp engaged = Settings::Days(settings.target_engaged_days);
  for (const auto& [actor, time] : facts->actors) {
    if (std::find(coverage.reps.begin(), coverage.reps.end(), actor) == coverage.reps.end()) {
      continue;
    }
    if (InWindow(time, now, touched)) {
      coverage.touched.push_back(actor);
      coverage.next_change = EarlierDeadline(coverage.next_change, time + touched);
    }
  }
  for (const auto& [contact_id, time] : facts->responders) {
    const auto role = RoleOfContact(org, contact_id);
    if (role != ingest::BuyingRole::kDecisionMaker && role != ingest::BuyingRole::kBudgetHolder) {
      continue;
    }
    if (InWindow(time, now, engaged)) {
      coverage.engaged = true;
      coverage.next_change = EarlierDeadline(coverage.next_change, time + engaged);
    }
  }
  return coverage;
}

}  // namespace huntline::processors
