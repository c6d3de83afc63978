#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "storage/kv_store.h"

namespace huntline::storage {

/// A KvStore that writes the batches given to WriteBehind() on a thread of its own, so that the
/// processing thread applies the next events while the last batch goes to the store.
///
/// One batch is in flight at most: WriteBehind() first waits for the one before. Until it is
/// written, reads answer from it: Get() finds its keys in it (sorted by key on the writer thread
/// first), and a scan, write or range delete that touches one of its keys waits for it, so every
/// read and write sees the store as if the batch were written already. The other writes go
/// straight to the store beside it: unlogged writes of keys no batch holds (scratch state, org
/// tables) never wait. A logged Write() or DeleteRange() waits, so that the write-ahead log keeps
/// the order they were made in. A failed write is returned by the next call that writes, and by
/// every one after it.
///
/// Calls come from one thread (the engine's processing thread), as for any KvStore.
class WriteBehindKvStore : public KvStore {
 public:
  explicit WriteBehindKvStore(KvStore& store);
  ~WriteBehindKvStore() override;
  WriteBehindKvStore(const WriteBehindKvStore&) = delete;
  WriteBehindKvStore& operator=(const WriteBehindKvStore&) = delete;

  Status WriteBehind(WriteBatch batch) override;
  Status Settle() override;

  Status Write(const WriteBatch& batch) override;
  Status WriteUnlogged(const WriteBatch& batch) override;
  std::optional<std::string> Get(std::string_view key) override;
  Status ScanFrom(std::string_view prefix, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status DeleteRangeUnlogged(std::string_view begin, std::string_view end) override;
  Status DeleteRange(std::string_view begin, std::string_view end) override;
  uint64_t ApproximateSize() override { return store_.ApproximateSize(); }

 private:
  /// The writer thread: sorts each batch handed over, then writes it.
  void Run();
  /// Waits, with `lock` held, until the batch in flight (if any) is sorted.
  void WaitSorted(std::unique_lock<std::mutex>& lock);
  /// Whether the batch in flight holds a key in [begin, end) (end empty: no bound). Needs the
  /// lock, and the batch sorted.
  bool InFlight(std::string_view begin, std::string_view end) const;
  /// Whether it holds `key`.
  bool Holds(std::string_view key) const;
  /// Whether it holds a key starting with `prefix`, at or after `from`.
  bool InFlightWithPrefix(std::string_view prefix, std::string_view from) const;
  /// Settles first when the batch in flight holds a key in [begin, end).
  Status SettleIfInFlight(std::string_view begin, std::string_view end);

  KvStore& store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<WriteBatch> in_flight_;  // handed over, not yet written
  bool sorted_ = false;                  // in_flight_ is in key order: readable here
  Status error_ = Status::Ok();          // of the first write that failed
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace huntline::storage
