#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "metrics/history.h"
#include "reports/quarter_report.h"

namespace huntline::reports {

/// `huntline report`: where the history comes from, which quarter, which format, where to.
struct ReportCommand {
  /// A RocksDB directory holding history: a `huntline run` state directory (opened read-only,
  /// beside the running engine) or a `huntline replay --history-dir`.
  std::string history_dir;
  /// FiscalCalendar label (`FY2026-Q3`); empty: the last complete quarter of the history.
  std::string quarter;
  std::string format = "html";  // html | pdf | json | csv | md
  /// Output file; empty: huntline-report-<quarter>.<ext> in the working directory; "-": stdout
  /// (not for pdf).
  std::string out;
  FiscalCalendar fiscal{1};
  PrivacyOptions privacy;
  /// The Chromium used for PDF (headless).
  std::string chromium = "chromium";
  /// History already read (from the history topic); when set, history_dir is not used.
  std::optional<std::map<Day, std::map<std::string, metrics::History::Record>>> history;
};

/// Builds and writes the report; returns the path written (or "-").
Result<std::string> RunReport(const ReportCommand& command);

/// Prints `html` to a PDF file with headless Chromium.
Status PrintPdf(const std::string& html, const std::string& pdf_path, const std::string& chromium);

}  // namespace huntline::reports
