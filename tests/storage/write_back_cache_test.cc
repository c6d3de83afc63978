#include "storage/write_back_cache.h"

#include <gtest/gtest.h>

namespace huntline::storage {
namespace {

/// A store that counts its reads.
class CountingStore : public MemoryKvStore {
 public:
  std::optional<std::string> Get(std::string_view key) override {
    ++gets;
    return MemoryKvStore::Get(key);
  }
  int gets = 0;
};

WriteBackCache<std::string> Cache(KvStore* store, size_t capacity) {
  return WriteBackCache<std::string>(store, "p/", capacity, [](std::string_view value, std::string* out) {
    if (value == "corrupt") return false;
    *out = std::string(value);
    return true;
  });
}

/// What a commit does: the changed values into a batch, written.
void Commit(WriteBackCache<std::string>& cache, KvStore& store) {
  WriteBatch batch;
  cache.Flush([&](std::string_view id, const std::string& value) { batch.Put("p/" + std::string(id), value); });
  ASSERT_TRUE(store.Write(batch).ok());
  cache.Trim();
}

TEST(WriteBackCache, ChangedValuesStayUntilFlushedThenOnlyTheMostRecentlyUsedStay) {
  CountingStore store;
  auto cache = Cache(&store, 2);
  for (const char* id : {"a", "b", "c", "d"}) cache.Mutable(id) = std::string("v") + id;
  cache.Trim();
  EXPECT_EQ(cache.size(), 4u);  // changed: none may leave before the commit
  EXPECT_FALSE(store.Get("p/a").has_value());
  Commit(cache, store);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(*store.Get("p/a"), "va");
  store.gets = 0;
  ASSERT_NE(cache.Find("d"), nullptr);  // among the two kept: no read
  EXPECT_EQ(store.gets, 0);
  EXPECT_EQ(*cache.Find("a"), "va");  // read back from the store
  EXPECT_EQ(store.gets, 1);
  EXPECT_EQ(*cache.Find("a"), "va");
  EXPECT_EQ(store.gets, 1);
}

TEST(WriteBackCache, AnAbsentIdIsReadOnceAndAChangeMakesIt) {
  CountingStore store;
  auto cache = Cache(&store, 10);
  EXPECT_EQ(cache.Find("x"), nullptr);
  EXPECT_EQ(cache.Find("x"), nullptr);
  EXPECT_EQ(store.gets, 1);
  cache.Mutable("x") += "made";
  EXPECT_EQ(*cache.Find("x"), "made");
  Commit(cache, store);
  EXPECT_EQ(*store.Get("p/x"), "made");
}

TEST(WriteBackCache, ReplaceGivesTheValueBeforeAndChangesOnlyADifferentOne) {
  CountingStore store;
  WriteBatch stored;
  stored.Put("p/a", "old");
  ASSERT_TRUE(store.Write(stored).ok());
  auto cache = Cache(&store, 10);
  EXPECT_EQ(cache.Replace("a", "old"), "old");  // the same: not a change
  EXPECT_EQ(cache.Replace("n", "new"), std::nullopt);
  EXPECT_EQ(store.gets, 2);
  size_t flushed = 0;
  cache.Flush([&](std::string_view id, const std::string& value) {
    EXPECT_EQ(id, "n");
    EXPECT_EQ(value, "new");
    ++flushed;
  });
  EXPECT_EQ(flushed, 1u);
  EXPECT_EQ(cache.Replace("a", "newer"), "old");
  EXPECT_EQ(*cache.Find("a"), "newer");
  Commit(cache, store);
  EXPECT_EQ(*store.Get("p/a"), "newer");
}

TEST(WriteBackCache, WithoutAStoreEverythingStaysAndNothingIsRead) {
  auto cache = Cache(nullptr, 1);
  for (const char* id : {"b", "a", "c"}) cache.Mutable(id) = id;
  std::vector<std::string> written;
  cache.Flush([&](std::string_view id, const std::string&) { written.emplace_back(id); });
  EXPECT_EQ(written, (std::vector<std::string>{"b", "a", "c"}));
  cache.Trim();
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(*cache.Find("a"), "a");
  std::vector<std::string> ids;
  ASSERT_TRUE(cache.ForEachId([&](std::string_view id) { ids.emplace_back(id); }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(WriteBackCache, EveryIdStoredOrNotYetIsVisitedOnceInKeyOrder) {
  MemoryKvStore store;
  auto cache = Cache(&store, 1);
  for (const char* id : {"b", "d"}) cache.Mutable(id) = id;
  Commit(cache, store);
  cache.Mutable("d") = "changed";  // stored and changed
  cache.Mutable("a") = "a";        // not stored yet
  cache.Mutable("c") = "c";
  cache.Mutable("e") = "e";
  std::vector<std::string> ids;
  ASSERT_TRUE(cache.ForEachId([&](std::string_view id) { ids.emplace_back(id); }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(WriteBackCache, AnErasedValueIsGoneAtOnceAndItsRecordAtTheNextFlush) {
  MemoryKvStore store;
  auto cache = Cache(&store, 1);
  for (const char* id : {"a", "b", "c"}) cache.Mutable(id) = std::string("v") + id;
  Commit(cache, store);
  cache.Erase("a");  // stored, not in memory
  cache.Erase("c");
  cache.Erase("x");  // never was
  cache.Mutable("d") = "vd";
  EXPECT_EQ(cache.Find("a"), nullptr);
  std::vector<std::string> seen;
  ASSERT_TRUE(cache.ForEach([&](std::string_view id, const std::string& value) {
    seen.push_back(std::string(id) + "=" + value);
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"b=vb", "d=vd"}));
  std::vector<std::string> ids;
  ASSERT_TRUE(cache.ForEachId([&](std::string_view id) { ids.emplace_back(id); }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "d"}));
  WriteBatch batch;
  std::vector<std::string> removed;
  cache.Flush([&](std::string_view id, const std::string& value) { batch.Put("p/" + std::string(id), value); },
              [&](std::string_view id) {
                removed.emplace_back(id);
                batch.Delete("p/" + std::string(id));
              });
  EXPECT_EQ(removed, (std::vector<std::string>{"a", "c"}));
  ASSERT_TRUE(store.Write(batch).ok());
  cache.Trim();
  EXPECT_FALSE(store.Get("p/a").has_value());
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(*cache.Find("b"), "vb");
}

TEST(WriteBackCache, WithoutAStoreAnErasedValueLeavesMemoryAtTheFlush) {
  auto cache = Cache(nullptr, 0);
  cache.Mutable("a") = "va";
  cache.Mutable("b") = "vb";
  cache.Flush([](std::string_view, const std::string&) {});
  cache.Erase("a");
  cache.Flush([](std::string_view, const std::string&) {});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(*cache.Find("b"), "vb");
}

TEST(WriteBackCache, ACorruptRecordIsAnErrorNamingIt) {
  MemoryKvStore store;
  WriteBatch batch;
  batch.Put("p/bad", "corrupt");
  ASSERT_TRUE(store.Write(batch).ok());
  auto cache = Cache(&store, 10);
  try {
    cache.Find("bad");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("p/bad"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace huntline::storage
