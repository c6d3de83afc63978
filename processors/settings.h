#pragma once

#include "common/time.h"

namespace huntline::processors {

/// The thresholds of metrics.md, each a configuration setting with the contract's default.
struct Settings {
  FiscalCalendar fiscal{1};
  /// Rule 3 of activity classification: a lost deal is followed up for this long.
  int lost_deal_followup_days = 365;
};

}  // namespace huntline::processors
