#include "storage/kv_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "storage/codec.h"

namespace huntline::storage {
namespace {

std::string TempDir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

void ExerciseStore(KvStore& store) {
  WriteBatch batch;
  batch.Put("t/a/0/offset", "1");
  batch.Put("t/a/0/crm/x", "2");
  batch.Put("t/a/1/offset", "3");
  batch.Put("t/b/0/offset", "4");
  ASSERT_TRUE(store.Write(batch).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(store.Scan("t/a/0/", [&](std::string_view k, std::string_view) {
                     keys.emplace_back(k);
                   }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"t/a/0/crm/x", "t/a/0/offset"}));
  WriteBatch second;
  second.Delete("t/a/0/crm/x");
  second.Put("t/a/0/offset", "5");
  ASSERT_TRUE(store.Write(second).ok());
  EXPECT_EQ(store.Get("t/a/0/offset"), "5");
  EXPECT_FALSE(store.Get("t/a/0/crm/x").has_value());

  // A scan from a key within the prefix, stopped by its visitor.
  WriteBatch more;
  for (const char* key : {"o/l/1", "o/l/2", "o/l/3", "o/l/4", "o/m"}) more.Put(key, key);
  ASSERT_TRUE(store.WriteUnlogged(more).ok());
  keys.clear();
  ASSERT_TRUE(store.ScanFrom("o/l/", "o/l/2", [&](std::string_view k, std::string_view) {
                     keys.emplace_back(k);
                     return k != "o/l/3";
                   }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"o/l/2", "o/l/3"}));
  // A range delete takes [begin, end) and nothing else.
  ASSERT_TRUE(store.DeleteRangeUnlogged("o/l/", "o/l/3").ok());
  keys.clear();
  ASSERT_TRUE(store.Scan("o/", [&](std::string_view k, std::string_view) { keys.emplace_back(k); }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"o/l/3", "o/l/4", "o/m"}));
  EXPECT_EQ(store.Get("t/b/0/offset"), "4");
}

TEST(MemoryKvStore, WritesScansAndDeletes) {
  MemoryKvStore store;
  ExerciseStore(store);
}

TEST(RocksKvStore, WritesScansAndDeletes) {
  auto store = OpenRocksDb(TempDir("huntline_rocks_basic"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  ExerciseStore(**store);
}

TEST(RocksKvStore, StateAndOffsetsSurviveReopening) {
  const std::string dir = TempDir("huntline_rocks_reopen");
  {
    auto store = OpenRocksDb(dir);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put("t/huntline.crm/0/offset", Encoder().I64(1234).str());
    batch.Put("t/huntline.crm/0/m/huntline_activities_total/k", Encoder().F64(7).str());
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = OpenRocksDb(dir);
  ASSERT_TRUE(store.ok());
  auto offset = (*store)->Get("t/huntline.crm/0/offset");
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(Decoder(*offset).I64(), 1234);
  EXPECT_EQ(Decoder(*(*store)->Get("t/huntline.crm/0/m/huntline_activities_total/k")).F64(), 7);
}

TEST(RocksKvStore, ReportsAnUnopenablePath) {
  auto store = OpenRocksDb("/proc/huntline-cannot-be-here");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/proc/huntline-cannot-be-here"), std::string::npos);
}

TEST(Codec, RoundTripsEveryKind) {
  Encoder e;
  e.U64(0).U64(300).I64(-5).I64(INT64_MIN).F64(0.25).Str("héllo").OptStr(std::nullopt).OptStr("x");
  Decoder d(e.str());
  EXPECT_EQ(d.U64(), 0u);
  EXPECT_EQ(d.U64(), 300u);
  EXPECT_EQ(d.I64(), -5);
  EXPECT_EQ(d.I64(), INT64_MIN);
  EXPECT_EQ(d.F64(), 0.25);
  EXPECT_EQ(d.Str(), "héllo");
  EXPECT_EQ(d.OptStr(), std::nullopt);
  EXPECT_EQ(d.OptStr(), "x");
  EXPECT_TRUE(d.ok());
  EXPECT_TRUE(d.done());
}

TEST(Codec, TruncatedInputIsDetected) {
  const std::string full = Encoder().Str("abcdef").str();
  Decoder d(std::string_view(full).substr(0, 4));
  d.Str();
  EXPECT_FALSE(d.ok());
}

}  // namespace
}  // namespace huntline::storage
