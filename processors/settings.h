#pragma once

#include <string>
#include <vector>

#include "common/time.h"

namespace huntline::processors {

/// A team's protected prospecting time, as configured: an RFC 5545 rule (e.g.
/// `FREQ=WEEKLY;BYDAY=TU,TH`) taken in each member's own time zone, from local `start_minute` to
/// `end_minute` after midnight, with occurrences from the local date `since` on.
struct ProtectedTimePolicy {
  std::string name;
  std::vector<std::string> teams;
  std::string rule;
  int start_minute = 0;
  int end_minute = 0;
  Day since = 0;
};

/// The thresholds of metrics.md, each a configuration setting with the contract's default.
struct Settings {
  FiscalCalendar fiscal{1};
  /// Rule 3 of activity classification: a lost deal is followed up for this long.
  int lost_deal_followup_days = 365;
  /// A prospect that responded goes cold this long after its last response.
  int cold_after_days = 45;
  /// A `not_interested` outcome keeps a prospect in `nurture` this long.
  int not_interested_days = 90;
  /// `huntline_target_accounts_touched`: an activity by the rep this recently.
  int target_touched_days = 30;
  /// `huntline_target_accounts_engaged`: a decision maker or budget holder reached this recently.
  int target_engaged_days = 90;
  /// A deal is stale once created this long ago with no activity on its account for as long.
  int stale_deal_days = 30;
  /// A protected block (and a meeting) settles once engine time reaches its end plus this.
  Timestamp allowed_lateness = kMillisPerHour;
  /// `huntline_protected_conflicts_upcoming`: blocks starting within this many days.
  int upcoming_conflict_days = 14;
  /// The company's own email domains (lower case); empty: the domains of the users' emails.
  std::vector<std::string> company_domains;
  std::vector<ProtectedTimePolicy> policies;
  /// The org tables keep a snapshot superseded this long before the earliest task's time; a
  /// look-up as of an earlier time gets the oldest snapshot kept.
  int org_history_days = 400;
  /// An event this many days or more after every time seen so far (a typo: 2126 for 2026) is
  /// refused: accepted, it would move time across the gap, through every midnight and timer.
  int max_time_jump_days = 366;
  /// 0: every (source, id) is remembered (in the store, not in memory), as the contract says.
  /// Else they are remembered for this many days of event time before the latest event time of
  /// their partition, so that the store stops growing too; a repeat of an older event is then
  /// taken as new.
  int dedup_window_days = 0;
  /// The most series one task (or the global figures) keeps per family; an update of a new series
  /// past it is refused and counted (huntline_series_refused_total). Any id becomes a label value.
  int max_series_per_family = 250000;

  static constexpr Timestamp Days(int days) { return static_cast<Timestamp>(days) * kMillisPerDay; }
};

}  // namespace huntline::processors
