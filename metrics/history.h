#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "metrics/catalog.h"
#include "metrics/published.h"
#include "metrics/shard.h"
#include "storage/kv_store.h"

namespace huntline::metrics {

/// The daily history reports are made from: at each midnight of engine time (UTC), every task's
/// share of every non-zero series, and the figures derived from the global tables, as they stood
/// when the day ended. A task's record is written in the same batch as its state and offsets, so
/// the history is exact after a crash and restart; the key names the partition, not the instance,
/// so when several instances share the partitions the records of all of them make the whole.
///
///   h/<YYYY-MM-DD>/<task prefix or "global/">       a task's day record, or its first part
///   h/<YYYY-MM-DD>/<task prefix or "global/">#<n>   its part n (n ≥ 1)
///
/// A record larger than `kMaxPartBytes` is split into parts, so that no message on the history
/// topic comes near Kafka's default 1 MB limit whatever the organisation's size. The first part
/// says how many there are; parts numbered beyond that are left-overs of a larger, older
/// version of the record and are ignored (and deleted with it). Records older than `kRetentionDays`
/// are deleted as new ones are written (at least eight than `kRetentionDays` are deleted as new ones are written (at least eight
/// quarters are kept).
class History {
 public:
  static constexpr Day kRetentionDays = 8 * 92 + 31;
  static constexpr std::string_view kPrefix = "h/";
  /// The most one part's samples take when encoded.
  static constexpr size_t kMaxPartBytes = 256 * 1024;

  /// One series' value in a record.
  struct Sample {
    std::string family;
    std::string series;  // label values joined by kLabelSeparator
    double value = 0;
  };
  using Record = std::vector<Sample>;

  /// The record of `shard` for `day`, keyed for `owner` (a task's prefix, or "global/"): its
  /// parts as (key, value), the first at KeyOf(day, owner). `max_part_bytes` is for tests.
  /// `rewrite` (when set) rewrites label values first, as /metrics does (privacy), summing the
  /// series that become one.
  static std::vector<std::pair<std::string, std::string>> Encode(
      const Catalog& catalog, const Shard& shard, Day day, std::string_view owner,
      const LabelRewriter& rewrite = {}, size_t max_part_bytes = kMaxPartBytes);
  static std::string KeyOf(Day day, std::string_view owner);
  static std::string PartKeyOf(std::string_view first_key, uint64_t part);

  /// One stored part.
  struct Part {
    uint64_t index = 0;
    uint64_t count = 1;  // as the first part says; 1 for records written whole
    Record samples;
  };
  static Result<Part> DecodePart(std::string_view value);
  /// The keys under `first_key` that `store` holds beyond the first `parts` parts (every part
  /// when `parts` is 0): what writing a record of `parts` parts there leaves over.
  static std::vector<std::string> LeftOverParts(storage::KvStore& store, std::string_view first_key,
                                                uint64_t parts);
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

/// Every history record of a store, by day, then owner, its parts joined. Reads the whole `h/`
/// range; a record with a part missing is an error.
Result<std::map<Day, std::map<std::string, History::Record>>> LoadHistory(storage::KvStore& store);

}  // namespace huntline::metrics
