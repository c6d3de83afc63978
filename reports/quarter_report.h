#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "reports/snapshot.h"

namespace huntline::reports {

/// Who may be named in a report (metrics.md, "Privacy").
struct PrivacyOptions {
  /// A per-person figure is shown only for a group of at least this many people…
  int min_group_size = 5;
  /// …unless per-person reporting is switched on.
  bool per_person = false;
  /// When set, people appear under a keyed pseudonym (HMAC-SHA-256 with this key) instead of
  /// their user id.
  std::optional<std::string> pseudonym_key;
  /// The history holds pseudonyms already (privacy.per_person_metrics: pseudonymized).
  bool history_pseudonymized = false;
};

struct ReportOptions {
  FiscalCalendar fiscal{1};
  int quarter = 0;  // FiscalCalendar index
  PrivacyOptions privacy;
};

/// The quarterly prospecting-culture report as data: the executive summary (findings chosen by
/// size of change against the previous quarter), the organisation and each team (behaviour mix,
/// prospect matrix at start and end, target coverage, pipeline created by origin, coverage at the
/// start and the end, the quarter's flow, slipped and stale deals, protected-time integrity,
/// interruptions, leaders' time), weekly trends and the method appendix. Every renderer (HTML,
/// Markdown, CSV) reads this one document; `--format json` writes it as it is.
/// A quarter with no history says so in `message` and has no sections.
nlohmann::json BuildQuarterReport(const HistoryView& history, const ReportOptions& options);

/// The last fiscal quarter that ended on or before `day`.
int LastCompleteQuarter(Day day, const FiscalCalendar& fiscal);

/// A person's id as a report may show it: itself, or its pseudonym.
std::string PersonLabel(const std::string& user_id, const PrivacyOptions& privacy);

}  // namespace huntline::reports
