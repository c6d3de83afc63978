#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace huntline::storage {

/// Changes to apply atomically: every state change of a batch of events together with each
/// partition's next input offset, so a crash leaves either all of them or none.
class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value) {
    ops_.emplace_back(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) { ops_.emplace_back(std::string(key), std::nullopt); }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }
  /// Puts the operations in key order, each key's own keeping theirs (the last one wins).
  void SortByKey();

  /// (key, value) in the order written; no value means a delete.
  const std::vector<std::pair<std::string, std::optional<std::string>>>& ops() const {
    return ops_;
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> ops_;
};

/// An ordered key-value store. Implementations: RocksDB (live runs) and memory (replay, tests).
/// Not thread-safe for writes: one writer, the engine's processing thread.
class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual Status Write(const WriteBatch& batch) = 0;
  /// Writes without the write-ahead log: for state rebuilt from its source at each start (the
  /// org tables), which a crash may leave without its latest writes.
  virtual Status WriteUnlogged(const WriteBatch& batch) { return Write(batch); }
  /// Writes `batch` as Write() does, or starts to and returns (WriteBehindKvStore): reads see it
  /// at once, an error shows at the next call that writes, or at Settle().
  virtual Status WriteBehind(WriteBatch batch) { return Write(batch); }
  /// Waits for every write started by WriteBehind(): the error of one that failed.
  virtual Status Settle() { return Status::Ok(); }
  virtual std::optional<std::string> Get(std::string_view key) = 0;
  /// Visits the keys starting with `prefix` from the first at or after `from`, in key order,
  /// while `visit` returns true.
  virtual Status ScanFrom(std::string_view prefix, std::string_view from,
                          const std::function<bool(std::string_view key, std::string_view value)>&
                              visit) = 0;
  /// Visits every key starting with `prefix`, in key order.
  Status Scan(std::string_view prefix,
              const std::function<void(std::string_view key, std::string_view value)>& visit) {
    return ScanFrom(prefix, prefix, [&](std::string_view key, std::string_view value) {
      visit(key, value);
      return true;
    });
  }
  /// Deletes every key in [begin, end), without the write-ahead log (see WriteUnlogged).
  virtual Status DeleteRangeUnlogged(std::string_view begin, std::string_view end) = 0;
  /// Deletes every key in [begin, end), through the write-ahead log: ordered with the writes
  /// logged before and after it, after a crash as before.
  virtual Status DeleteRange(std::string_view begin, std::string_view end) {
    return DeleteRangeUnlogged(begin, end);
  }
  /// Approximate bytes of live data, for the state-size metric.
  virtual uint64_t ApproximateSize() = 0;
};

/// A std::map behind the KvStore interface.
class MemoryKvStore : public KvStore {
 public:
  Status Write(const WriteBatch& batch) override;
  std::optional<std::string> Get(std::string_view key) override;
  Status ScanFrom(std::string_view prefix, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status DeleteRangeUnlogged(std::string_view begin, std::string_view end) override;
  uint64_t ApproximateSize() override { return bytes_; }

 private:
  std::map<std::string, std::string, std::less<>> data_;
  uint64_t bytes_ = 0;
};

/// Keeps nothing: for a run that never restarts (`huntline replay`), where the tasks' in-memory
/// state is all there is and persisting it would only cost time.
class NullKvStore : public KvStore {
 public:
  Status Write(const WriteBatch&) override { return Status::Ok(); }
  std::optional<std::string> Get(std::string_view) override { return std::nullopt; }
  Status ScanFrom(std::string_view, std::string_view,
                  const std::function<bool(std::string_view, std::string_view)>&) override {
    return Status::Ok();
  }
  Status DeleteRangeUnlogged(std::string_view, std::string_view) override { return Status::Ok(); }
  uint64_t ApproximateSize() override { return 0; }
};

struct RocksOptions {
  /// fsync each batch. Off by default: a process crash loses nothing written without it (the
  /// WAL is in the OS page cache); only a machine crash can.
  bool sync = false;
  /// Open for reading only, beside a process that has it open for writing (`huntline report`
  /// reading a running engine's state). Writes fail.
  bool read_only = false;
  /// The memory RocksDB may use: its block cache (data, index and filter blocks) and its write
  /// buffers (memtables, all column families together). Beyond them state is on disk.
  size_t block_cache_bytes = size_t{64} << 20;
  size_t write_buffer_bytes = size_t{64} << 20;
};

/// Opens (creating if needed) a RocksDB database at `path`.
Result<std::unique_ptr<KvStore>> OpenRocksDb(const std::string& path, RocksOptions options = {});

}  // namespace huntline::storage
