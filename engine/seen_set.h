#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/string_map.h"
#include "common/time.h"
#include "storage/kv_store.h"

namespace huntline::engine {

/// The `(source, id)`s a task has handled, so that a repeat is a duplicate (events.md: a repeat
/// changes nothing, however late it comes).
///
/// A durable task keeps them in the store, one record each (`s/<task prefix><source>\x1f<id>`,
/// value: the day of the event's time), and in memory only those not yet committed: memory stays
/// flat however long the stream, and a look-up of a new id costs a Bloom-filter probe. A task
/// that persists nothing (replay) keeps them all in memory.
///
/// With a window (`thresholds.dedup_window_days` > 0), ids of events older than the window before
/// the partition's latest event time are forgotten, so the store stops growing too; a repeat of
/// such an event is then taken as new.
/// Owned by its task; used on the processing thread only.
class SeenSet {
 public:
  /// `store` is null for a task that persists nothing.
  SeenSet(std::string task_prefix, storage::KvStore* store)
      : prefix_("s/" + std::move(task_prefix)), store_(store) {}

  bool Contains(std::string_view key);
  void Insert(std::string_view key, Day day);
  /// Forgets the ids of events of days before `horizon` (a full scan of the task's ids: called
  /// once a day of event time, with a window only).
  void Prune(Day horizon);

  /// Adds what changed since the last flush to `batch`; memory keeps only what is not stored.
  void Flush(storage::WriteBatch& batch);

  /// How many ids are remembered (stored or not yet), once known: always without a store, and
  /// with one from the first prune on (its scan counts the stored ones).
  std::optional<uint64_t> size() const {
    if (!store_) return pending_.size();
    if (!stored_) return std::nullopt;
    return *stored_ + pending_.size();
  }

 private:
  std::string prefix_;
  storage::KvStore* store_;
  StringMap<Day> pending_;  // not yet stored (all of them without a store)
  StringSet deleted_;  // stored records to delete at the next flush
  Day oldest_ = INT32_MAX;  // no pending id is of an earlier day
  std::optional<uint64_t> stored_;  // stored ids not to be deleted, once a prune has counted them
  std::string scratch_;
};

}  // namespace huntline::engine
