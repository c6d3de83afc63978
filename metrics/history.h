#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "metrics/catalog.h"
#include "metrics/shard.h"
#include "storage/kv_store.h"

namespace huntline::metrics {

/// The daily history reports are made from: at each midnight of engine time (UTC), every task's
/// share of every non-zero series, and the figures derived from the global tables, as they stood
/// when the day ended. A task's record is written in the same batch as its state and offsets, so
/// the history is exact after a crash and restart; the key names the partition, not the instance,
/// so when several instances share the partitions the records of all of them make the whole.
///
///   h/<YYYY-MM-DD>/<task prefix or "global/">   one record per task and day
///
/// Records older than `kRetentionDays` are deleted as new ones are written (at least eight
/// quarters are kept).
class History {
 public:
  static constexpr Day kRetentionDays = 8 * 92 + 31;
  static constexpr std::string_view kPrefix = "h/";

  /// One series' value in a record.
  struct Sample {
    std::string family;
    std::string series;  // label values joined by kLabelSeparator
    double value = 0;
  };
  using Record = std::vector<Sample>;

  /// The record of `shard` for `day`, keyed for `owner` (a task's prefix, or "global/").
  static std::pair<std::string, std::string> Encode(const Catalog& catalog,
                                                    const Shard& shard, Day day,
                                                    std::string_view owner);
  static std::string KeyOf(Day day, std::string_view owner);
  static Result<Record> Decode(std::string_view value);
};

/// Where history records go besides the store: a compacted topic, so that a report sees the days
/// of every partition whichever instance owned it. Called on the processing thread.
class HistorySink {
 public:
  virtual ~HistorySink() = default;
  /// Queues one record (History keys and values); an empty value deletes the key.
  virtual Status Send(const std::string& key, const std::string& value) = 0;
  /// Returns once every record sent is stored.
  virtual Status Flush() = 0;
};

/// Every history record of a store, by day, then owner. Reads the whole `h/` range.
Result<std::map<Day, std::map<std::string, History::Record>>> LoadHistory(storage::KvStore& store);

}  // namespace huntline::metrics
