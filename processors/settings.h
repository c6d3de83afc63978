#pragma once

#include "common/time.h"

namespace huntline::processors {

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

  static constexpr Timestamp Days(int days) { return static_cast<Timestamp>(days) * kMillisPerDay; }
};

}  // namespace huntline::processors
