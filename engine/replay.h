#pragma once

#include <array>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "metrics/published.h"
#include "processors/settings.h"

namespace huntline::engine {

struct ReplayOptions {
  std::string input;  // JSON-lines file, "-" for standard input
  std::optional<Timestamp> as_of;
  std::string metrics_out;                  // Prometheus text file, "-" for standard output
  std::optional<std::string> dead_letters;  // JSON-lines file of refused lines
  processors::Settings settings;
  /// Also write series whose value is 0 (by default the file lists only what happened).
  bool include_zero = false;
  /// Also write the engine's own metrics (events by result, dead letters, …).
  bool include_engine_metrics = false;
  /// Keep the daily history (for `huntline report`) in a RocksDB directory, replaced if it exists.
  std::optional<std::string> history_dir;
  /// Rewrites per-person label values in the output and the history (privacy.per_person_metrics).
  metrics::LabelRewriter rewrite;
};

struct ReplaySummary {
  int64_t lines = 0;
  int64_t after_as_of = 0;  // ignored: later than --as-of
  std::array<int64_t, 5> by_result{};  // indexed by metrics::EventResult
  double seconds = 0;
  Timestamp engine_time = kNoTime;
  uint64_t series_refused = 0;  // updates of new series past limits.max_series_per_family
};

/// `huntline replay`: the live engine's decoding and processors over a file, no Kafka, with
/// state in memory; writes the final exposition.
Result<ReplaySummary> Replay(const ReplayOptions& options);

}  // namespace huntline::engine
