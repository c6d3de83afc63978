#include <algorithm>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "storage/kv_store.h"

namespace huntline::storage {
namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return Status::Error(std::string(what) + ": " + s.ToString());
}

class RocksKvStore : public KvStore {
 public:
  RocksKvStore(std::unique_ptr<rocksdb::DB> db, RocksOptions options)
      : db_(std::move(db)), options_(options) {}

  Status Write(const WriteBatch& batch) override { return WriteWith(batch, false); }
  Status WriteUnlogged(const WriteBatch& batch) override { return WriteWith(batch, true); }

  Status WriteWith(const WriteBatch& batch, bool unlogged) {
    // In key order (a key's own operations keep theirs): each insert into the memtable's skip
    // list then starts from where the previous one ended instead of searching from the top.
    // A batch sorted already (WriteBatch::SortByKey) is written as it is.
    const auto& ops = batch.ops();
    std::vector<uint32_t> order(ops.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    const auto by_key = [&](uint32_t a, uint32_t b) { return ops[a].first < ops[b].first; };
    if (!std::is_sorted(order.begin(), order.end(), by_key)) std::stable_sort(order.begin(), order.end(), by_key);
    rocksdb::WriteBatch rb;
    for (const uint32_t i : order) {
      const auto& [key, value] = ops[i];
      if (value) {
        rb.Put(key, *value);
      } else {
        rb.Delete(key);
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync && !unlogged;
    wo.disableWAL = unlogged;
    return FromRocks(db_->Write(wo, &rb), "RocksDB write");
  }

  std::optional<std::string> Get(std::string_view key) override {
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()),
                                       &value);
    if (!s.ok()) return std::nullopt;
    return value;
  }

  Status ScanFrom(std::string_view prefix, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    const rocksdb::Slice p(prefix.data(), prefix.size());
    const std::string_view start = std::max(prefix, from);
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid() && it->key().starts_with(p);
         it->Next()) {
      if (!visit(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocks(it->status(), "RocksDB scan");
  }

  Status DeleteRangeUnlogged(std::string_view begin, std::string_view end) override {
    return DeleteRangeWith(begin, end, true);
  }
  Status DeleteRange(std::string_view begin, std::string_view end) override {
    return DeleteRangeWith(begin, end, false);
  }
  Status DeleteRangeWith(std::string_view begin, std::string_view end, bool unlogged) {
    if (begin >= end) return Status::Ok();
    rocksdb::WriteOptions wo;
    wo.disableWAL = unlogged;
    wo.sync = options_.sync && !unlogged;
    return FromRocks(db_->DeleteRange(wo, db_->DefaultColumnFamily(),
                                      rocksdb::Slice(begin.data(), begin.size()),
                                      rocksdb::Slice(end.data(), end.size())),
                     "RocksDB delete range");
  }

  uint64_t ApproximateSize() override {
    uint64_t live = 0;
    db_->GetIntProperty("rocksdb.estimate-live-data-size", &live);
    uint64_t mem = 0;
    db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &mem);
    return live + mem;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  RocksOptions options_;
};

}  // namespace

Result<std::unique_ptr<KvStore>> OpenRocksDb(const std::string& path, RocksOptions options) {
  rocksdb::Options ro;
  ro.create_if_missing = !options.read_only;
  ro.IncreaseParallelism(2);
  // Level compaction sized to the write budget (RocksDB's own default sizing assumes 512 MB of
  // memtables); one LRU cache holds every block read, index and filter blocks included, so
  // that reads stay within block_cache_bytes whatever the state's size.
  ro.OptimizeLevelStyleCompaction(options.write_buffer_bytes);
  ro.write_buffer_size = std::max<size_t>(options.write_buffer_bytes / 2, size_t{1} << 20);
  ro.max_write_buffer_number = 2;
  ro.min_write_buffer_number_to_merge = 1;
  ro.db_write_buffer_size = options.write_buffer_bytes;
  // Most look-ups are of keys that are absent (a new event id, a key never cached): a Bloom
  // filter over the memtable's keys answers them without searching its skip list.
  ro.memtable_prefix_bloom_size_ratio = 0.02;
  ro.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  // Half of the cache is kept for index and filter blocks, so that data blocks read through
  // never push them out.
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes, -1, false, 0.5);
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Point look-ups of keys that are mostly absent (has this event id been seen?) answered by a
  // Bloom filter, without reading a data block. Filters and indexes are partitioned: a look-up
  // reads one small partition, never a whole file's filter, whatever the state's size.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.pin_top_level_index_and_filter = true;
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = options.read_only ? rocksdb::DB::OpenForReadOnly(ro, path, &raw)
                                              : rocksdb::DB::Open(ro, path, &raw);
  if (!s.ok()) return Status::Error("cannot open state store at " + path + ": " + s.ToString());
  return std::unique_ptr<KvStore>(
      std::make_unique<RocksKvStore>(std::unique_ptr<rocksdb::DB>(raw), options));
}

}  // namespace huntline::storage
