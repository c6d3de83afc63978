#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"
#include "ingest/event.h"
#include "processors/classify.h"
#include "processors/crm_store.h"
#include "processors/org_tables.h"
#include "processors/settings.h"

namespace huntline::processors {

/// How a prospect behaves (metrics.md, "Prospects"), first match at engine time.
enum class Engagement : uint8_t {
  kMultiThreaded, kGoneCold, kEngaged, kResponsive, kUnresponsive, kUntouched,
};
inline constexpr std::array<std::string_view, 6> kEngagementNames = {
    "multi_threaded", "gone_cold", "engaged", "responsive", "unresponsive", "untouched"};

/// Where a prospect stands, first match at engine time.
enum class ProspectOutcome : uint8_t {
  kWon, kOpportunity, kLostCompetitor, kLostNoDecision, kLostOther, kDisqualified, kNurture, kInPlay,
};
inline constexpr std::array<std::string_view, 8> kProspectOutcomeNames = {
    "won", "opportunity", "lost_competitor", "lost_no_decision", "lost_other",
    "disqualified", "nurture", "in_play"};

/// The key a prospect is counted under: an account id, or `lead:<id>` for a lead with no account.
inline constexpr std::string_view kLeadKeyPrefix = "lead:";
inline bool IsLeadKey(std::string_view key) { return key.starts_with(kLeadKeyPrefix); }
inline std::string LeadKey(std::string_view lead_id) {
  return std::string(kLeadKeyPrefix) + std::string(lead_id);
}
/// The key an activity belongs to when it is processed: its account (or its lead's), else its lead.
std::string ProspectKeyOfActivity(const ingest::ActivityLogged& activity, const CrmStore& crm);

/// What the activities of one prospect key have shown so far. Everything engagement, outcome and
/// target coverage need from activities; the rest comes from the CRM store and org tables.
struct ProspectFacts {
  bool touched = false;
  /// An activity classified lost_deal_followup, inbound_followup or *_prospecting (rules 3–6).
  bool prospecting = false;
  bool connected = false;
  bool meeting_booked = false;
  Timestamp last_response = kNoTime;        // latest connected / meeting_booked
  Timestamp last_not_interested = kNoTime;  // latest not_interested
  /// The latest activity (by time, ties to the later processed) and its outcome.
  Timestamp latest_time = kNoTime;
  uint64_t latest_seq = 0;
  ingest::ActivityOutcome latest_outcome = ingest::ActivityOutcome::kNoResponse;
  /// Contacts reached with connected / meeting_booked, each with the latest such time.
  std::vector<std::pair<std::string, Timestamp>> responders;
  /// Everyone who logged an activity here, each with their latest activity's time.
  std::vector<std::pair<std::string, Timestamp>> actors;

  /// Adds one activity. Returns true when it named a contact not among the responders before.
  bool Record(const ingest::ActivityLogged& activity, Timestamp time, uint64_t seq,
              Behaviour behaviour);

  std::string Encode() const;
  static bool Decode(std::string_view in, ProspectFacts* out);
};

/// One key's place in the prospect matrix at engine time `now`.
struct ProspectCell {
  bool is_prospect = false;
  std::string owner;  // empty when there is none
  Engagement engagement = Engagement::kUntouched;
  ProspectOutcome outcome = ProspectOutcome::kInPlay;
  /// The next engine time at which the cell can change with no new event (kNoTime: never).
  Timestamp next_change = kNoTime;
};

/// Applies metrics.md's prospect definition and both first-match lists. `facts` is null for a key
/// with no activity. `org_only_owned` says whether this task counts keys it holds no state for.
ProspectCell EvaluateProspect(std::string_view key, const ProspectFacts* facts,
                              bool org_only_owned, const OrgView& org, const CrmStore& crm,
                              const Settings& settings, Timestamp now);

/// Target-account coverage of one account at `now`: the reps whose target list holds it (each
/// once), those of them with an activity in the touched window, and whether a decision maker or
/// budget holder was reached in the engaged window.
struct TargetCoverage {
  std::vector<std::string_view> reps;
  std::vector<std::string_view> touched;
  bool engaged = false;
  Timestamp next_change = kNoTime;
};
TargetCoverage EvaluateTargetCoverage(const Account& account, const ProspectFacts* facts,
                                      const OrgView& org, const Settings& settings,
                                      Timestamp now);

/// "In the last N days" at `now`, for an event at `t`: `now < t + window` (metrics.md's window
/// `(now - N days, now]`; an event stamped after `now` counts as recent).
inline bool InWindow(Timestamp t, Timestamp now, Timestamp window) {
  return t != kNoTime && now < t + window;
}
/// The earlier of two deadlines, kNoTime standing for "none".
inline Timestamp EarlierDeadline(Timestamp a, Timestamp b) {
  if (a == kNoTime) return b;
  if (b == kNoTime) return a;
  return a < b ? a : b;
}

}  // namespace huntline::processors
