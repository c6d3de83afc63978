#include "storage/write_behind.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace huntline::storage {
namespace {

using namespace std::chrono_literals;

/// A memory store safe to use from two threads, as RocksDB is: the test's and the writer's.
class SharedStore : public KvStore {
 public:
  Status Write(const WriteBatch& batch) override {
    std::lock_guard lock(data_mutex_);
    return data_.Write(batch);
  }
  Status WriteUnlogged(const WriteBatch& batch) override { return SharedStore::Write(batch); }
  std::optional<std::string> Get(std::string_view key) override {
    std::lock_guard lock(data_mutex_);
    return data_.Get(key);
  }
  Status ScanFrom(std::string_view prefix, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(data_mutex_);
    return data_.ScanFrom(prefix, from, visit);
  }
  Status DeleteRangeUnlogged(std::string_view begin, std::string_view end) override {
    std::lock_guard lock(data_mutex_);
    return data_.DeleteRangeUnlogged(begin, end);
  }
  uint64_t ApproximateSize() override {
    std::lock_guard lock(data_mutex_);
    return data_.ApproximateSize();
  }

 private:
  std::mutex data_mutex_;
  MemoryKvStore data_;
};

/// A store whose logged writes wait until the test opens the gate, and which records what was
/// written in which order.
class GatedStore : public SharedStore {
 public:
  Status Write(const WriteBatch& batch) override {
    {
      std::unique_lock lock(mutex_);
      opened_.wait(lock, [&] { return open_; });
      order_.push_back(batch.ops().front().first);
    }
    if (fail_) return Status::Error("disk full");
    return SharedStore::Write(batch);
  }
  Status WriteUnlogged(const WriteBatch& batch) override { return SharedStore::Write(batch); }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  void Close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mutex_);
    return order_;
  }
  std::atomic<bool> fail_ = false;

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = true;
  std::vector<std::string> order_;
};

std::vector<std::string> Keys(KvStore& store, std::string_view prefix) {
  std::vector<std::string> keys;
  EXPECT_TRUE(store.Scan(prefix, [&](std::string_view k, std::string_view) { keys.emplace_back(k); }).ok());
  return keys;
}

TEST(WriteBehindKvStore, ReadsSeeTheBatchInFlightBeforeItIsWritten) {
  GatedStore base;
  WriteBatch first;
  first.Put("t/a", "1");
  first.Put("t/gone", "x");
  ASSERT_TRUE(base.Write(first).ok());
  WriteBehindKvStore store(base);
  base.Close();
  WriteBatch batch;
  batch.Put("t/b", "1");
  batch.Put("t/a", "2");
  batch.Delete("t/gone");
  batch.Put("t/c", "first");
  batch.Delete("t/c");
  batch.Put("t/c", "last");  // a key's last operation wins
  batch.Put("t/d", "put");
  batch.Delete("t/d");
  ASSERT_TRUE(store.WriteBehind(std::move(batch)).ok());

  EXPECT_EQ(store.Get("t/a"), "2");
  EXPECT_EQ(store.Get("t/b"), "1");
  EXPECT_EQ(store.Get("t/c"), "last");
  EXPECT_FALSE(store.Get("t/gone").has_value());
  EXPECT_FALSE(store.Get("t/d").has_value());
  EXPECT_EQ(base.Get("t/a"), "1") << "the write was held: the answers above came from the batch";

  // Writes and scans of keys the batch does not hold go on beside it.
  WriteBatch scratch;
  scratch.Put("x/timer", "t");
  ASSERT_TRUE(store.WriteUnlogged(scratch).ok());
  EXPECT_EQ(Keys(store, "x/"), std::vector<std::string>{"x/timer"});
  ASSERT_TRUE(store.DeleteRangeUnlogged("x/", "x/\xff").ok());
  EXPECT_TRUE(Keys(store, "x/").empty());
  EXPECT_EQ(base.Get("t/a"), "1");

  // A scan of the batch's keys waits for it.
  auto scanned = std::async(std::launch::async, [&] { return Keys(store, "t/"); });
  EXPECT_EQ(scanned.wait_for(50ms), std::future_status::timeout);
  base.Open();
  EXPECT_EQ(scanned.get(), (std::vector<std::string>{"t/a", "t/b", "t/c"}));
  ASSERT_TRUE(store.Settle().ok());
  EXPECT_EQ(base.Get("t/c"), "last");
}

TEST(WriteBehindKvStore, WritesOfKeysInFlightWaitForIt) {
  GatedStore base;
  WriteBehindKvStore store(base);
  base.Close();
  WriteBatch batch;
  batch.Put("t/1", "behind");
  ASSERT_TRUE(store.WriteBehind(std::move(batch)).ok());

  // An unlogged write of a key in flight would be overwritten by it: it waits.
  auto unlogged = std::async(std::launch::async, [&] {
    WriteBatch same;
    same.Put("t/1", "unlogged");
    return store.WriteUnlogged(same).ok();
  });
  EXPECT_EQ(unlogged.wait_for(50ms), std::future_status::timeout);
  base.Open();
  EXPECT_TRUE(unlogged.get());
  EXPECT_EQ(store.Get("t/1"), "unlogged");

  // Logged writes keep their order in the store's log.
  base.Close();
  WriteBatch second;
  second.Put("t/2", "behind");
  ASSERT_TRUE(store.WriteBehind(std::move(second)).ok());
  auto logged = std::async(std::launch::async, [&] {
    WriteBatch after;
    after.Put("t/3", "logged");
    return store.Write(after).ok();
  });
  std::this_thread::sleep_for(20ms);
  base.Open();
  EXPECT_TRUE(logged.get());
  EXPECT_EQ(base.order(), (std::vector<std::string>{"t/1", "t/2", "t/3"}));

  // A range delete over a key in flight waits, then deletes it.
  base.Close();
  WriteBatch third;
  third.Put("t/4", "behind");
  ASSERT_TRUE(store.WriteBehind(std::move(third)).ok());
  auto deleted = std::async(std::launch::async, [&] { return store.DeleteRangeUnlogged("t/4", "t/5").ok(); });
  EXPECT_EQ(deleted.wait_for(50ms), std::future_status::timeout);
  base.Open();
  EXPECT_TRUE(deleted.get());
  EXPECT_FALSE(store.Get("t/4").has_value());
  EXPECT_FALSE(base.Get("t/4").has_value());
}

TEST(WriteBehindKvStore, AFailedWriteIsReturnedByTheNextWriteAndEveryOneAfter) {
  GatedStore base;
  WriteBehindKvStore store(base);
  base.fail_ = true;
  WriteBatch batch;
  batch.Put("t/1", "x");
  ASSERT_TRUE(store.WriteBehind(std::move(batch)).ok());
  WriteBatch next;
  next.Put("t/2", "y");
  const Status s = store.WriteBehind(std::move(next));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("disk full"), std::string::npos) << s.message();
  EXPECT_FALSE(store.Settle().ok());
  EXPECT_FALSE(store.Write(WriteBatch()).ok());
  WriteBatch unlogged;
  unlogged.Put("x/1", "z");
  EXPECT_FALSE(store.WriteUnlogged(unlogged).ok());
}

/// Random batches written behind, with random reads, scans and unlogged writes between them,
/// against the same operations on a plain memory store; the store under it takes its time.
class SlowStore : public SharedStore {
 public:
  explicit SlowStore(unsigned seed) : rng_(seed) {}
  Status Write(const WriteBatch& batch) override {
    unsigned pause;
    {
      std::lock_guard lock(rng_mutex_);
      pause = rng_() % 300;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(pause));
    return SharedStore::Write(batch);
  }
  Status WriteUnlogged(const WriteBatch& batch) override { return SharedStore::Write(batch); }

 private:
  std::mutex rng_mutex_;
  std::mt19937 rng_;
};

TEST(WriteBehindKvStore, AnswersAsAStoreWrittenAtOnceWould) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    SlowStore base(seed);
    WriteBehindKvStore store(base);
    MemoryKvStore expected;
    auto key = [&] {
      static const char* kPrefixes[] = {"t/a/", "t/b/", "x/"};
      return std::string(kPrefixes[rng() % 3]) + std::to_string(rng() % 12);
    };
    for (int step = 0; step < 300; ++step) {
      const unsigned what = rng() % 6;
      if (what == 0) {
        WriteBatch batch;
        for (unsigned n = rng() % 8; n > 0; --n) {
          std::string k = key();
          if (k.starts_with("x/")) continue;  // scratch keys are written unlogged only
          if (rng() % 4 == 0) {
            batch.Delete(k);
          } else {
            batch.Put(k, std::to_string(step));
          }
        }
        ASSERT_TRUE(expected.Write(batch).ok());
        ASSERT_TRUE(store.WriteBehind(std::move(batch)).ok());
      } else if (what == 1) {
        WriteBatch batch;
        batch.Put(key(), "u" + std::to_string(step));
        ASSERT_TRUE(expected.WriteUnlogged(batch).ok());
        ASSERT_TRUE(store.WriteUnlogged(batch).ok());
      } else if (what == 2) {
        const std::string begin = key(), end = key();
        ASSERT_TRUE(expected.DeleteRangeUnlogged(begin, end).ok());
        ASSERT_TRUE(store.DeleteRangeUnlogged(begin, end).ok());
      } else if (what == 3) {
        const std::string prefix = std::vector<std::string>{"t/", "t/a/", "t/b/", "x/"}[rng() % 4];
        ASSERT_EQ(Keys(store, prefix), Keys(expected, prefix)) << "seed " << seed << " step " << step;
      } else {
        const std::string k = key();
        ASSERT_EQ(store.Get(k), expected.Get(k)) << k << ", seed " << seed << " step " << step;
      }
    }
    ASSERT_TRUE(store.Settle().ok());
    ASSERT_EQ(Keys(base, ""), Keys(expected, "")) << "seed " << seed;
  }
}

}  // namespace
}  // namespace huntline::storage
