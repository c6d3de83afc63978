#include "metrics/history.h"

#include "metrics/privacy.h"

#include <gtest/gtest.h>

namespace huntline::metrics {
namespace {

constexpr Day kDay = 20640;

void Store(storage::KvStore& store, const std::vector<std::pair<std::string, std::string>>& records) {
  storage::WriteBatch batch;
  for (const auto& [key, value] : records) {
    if (value.empty()) {
      batch.Delete(key);
    } else {
      batch.Put(key, value);
    }
  }
  ASSERT_TRUE(store.Write(batch).ok());
}

double Sum(const History::Record& record) {
  double sum = 0;
  for (const auto& sample : record) sum += sample.value;
  return sum;
}

class HistoryParts : public ::testing::Test {
 protected:
  HistoryParts() : family_(catalog_.Declare({"huntline_x_total", "x", Kind::kCounter, {"rep"}})) {}
  Shard ShardOf(int series) {
    Shard shard(catalog_);
    for (int i = 1; i <= series; ++i) shard.Add(family_, {"rep-" + std::to_string(i)}, i);
    return shard;
  }
  Catalog catalog_;
  FamilyId family_;
};

TEST_F(HistoryParts, ALargeRecordIsSplitIntoBoundedPartsThatLoadWhole) {
  const auto parts = History::Encode(catalog_, ShardOf(1000), kDay, "t/crm/all/", {}, 4096);
  ASSERT_GT(parts.size(), 5u);
  EXPECT_EQ(parts[0].first, History::KeyOf(kDay, "t/crm/all/"));
  EXPECT_EQ(parts[1].first, History::KeyOf(kDay, "t/crm/all/") + "#1");
  for (const auto& [key, value] : parts) EXPECT_LE(value.size(), 4096u + 16) << key;
  storage::MemoryKvStore store;
  Store(store, parts);
  auto loaded = LoadHistory(store);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const History::Record& record = loaded->at(kDay).at("t/crm/all/");
  EXPECT_EQ(record.size(), 1000u);
  EXPECT_EQ(Sum(record), 1000.0 * 1001 / 2);
}

TEST_F(HistoryParts, ASmallRecordIsOnePartAndAnEmptyOneStillSaysTheDayWasSeen) {
  EXPECT_EQ(History::Encode(catalog_, ShardOf(10), kDay, "global/").size(), 1u);
  const auto empty = History::Encode(catalog_, ShardOf(0), kDay, "global/");
  ASSERT_EQ(empty.size(), 1u);
  storage::MemoryKvStore store;
  Store(store, empty);
  auto loaded = LoadHistory(store);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->at(kDay).at("global/").empty());
}

TEST_F(HistoryParts, PartsLeftOverByALargerVersionAreIgnoredAndFoundForDeletion) {
  storage::MemoryKvStore store;
  const auto large = History::Encode(catalog_, ShardOf(1000), kDay, "t/crm/all/", {}, 4096);
  Store(store, large);
  const auto small = History::Encode(catalog_, ShardOf(3), kDay, "t/crm/all/", {}, 4096);
  ASSERT_EQ(small.size(), 1u);
  Store(store, small);
  auto loaded = LoadHistory(store);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(Sum(loaded->at(kDay).at("t/crm/all/")), 6);

  const auto left_over = History::LeftOverParts(store, small[0].first, 1);
  EXPECT_EQ(left_over.size(), large.size() - 1);
  for (const auto& key : left_over) EXPECT_NE(key, small[0].first);
  // Deleting the record finds every part, the first included.
  EXPECT_EQ(History::LeftOverParts(store, small[0].first, 0).size(), large.size());
}

TEST_F(HistoryParts, AMissingPartIsAnErrorNotASilentlySmallerDay) {
  auto parts = History::Encode(catalog_, ShardOf(1000), kDay, "global/", {}, 4096);
  parts.erase(parts.begin() + 2);
  storage::MemoryKvStore store;
  Store(store, parts);
  auto loaded = LoadHistory(store);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("part 2 of"), std::string::npos) << loaded.status().message();
}

}  // namespace
}  // namespace huntline::metrics

namespace huntline::metrics {
namespace {

TEST(HistoryPrivacy, PerPersonSeriesAreRecordedAsMetricsShowThem) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_rep_x_total", "x", Kind::kCounter, {"team", "rep"}});
  Shard shard(catalog);
  shard.Add(f, {"east", "u-ada"}, 2);
  shard.Add(f, {"east", "u-bob"}, 3);
  shard.Add(f, {"west", "u-cy"}, 4);
  auto load = [&](const LabelRewriter& rewrite) {
    storage::MemoryKvStore store;
    storage::WriteBatch batch;
    for (const auto& [key, value] : History::Encode(catalog, shard, 20640, "global/", rewrite)) {
      batch.Put(key, value);
    }
    EXPECT_TRUE(store.Write(batch).ok());
    std::map<std::string, double> out;
    for (const auto& sample : LoadHistory(store)->at(20640).at("global/")) out[sample.series] = sample.value;
    return out;
  };
  const std::string sep(1, kLabelSeparator);
  EXPECT_EQ(load({}), (std::map<std::string, double>{
                          {"east" + sep + "u-ada", 2}, {"east" + sep + "u-bob", 3}, {"west" + sep + "u-cy", 4}}));
  // Off: the person is gone, the team's figure whole.
  EXPECT_EQ(load(PersonRewriter(PerPerson::kOff, "")),
            (std::map<std::string, double>{{"east" + sep, 5}, {"west" + sep, 4}}));
  const auto pseudonymized = load(PersonRewriter(PerPerson::kPseudonymized, "k"));
  EXPECT_EQ(pseudonymized.size(), 3u);
  EXPECT_EQ(pseudonymized.at("east" + sep + Pseudonym("k", "u-ada")), 2);
  for (const auto& [series, value] : pseudonymized) EXPECT_EQ(series.find("u-"), std::string::npos) << series;
}

TEST(HistoryPrivacy, APseudonymIsKeyedAndStable) {
  EXPECT_EQ(Pseudonym("k", "u-ada"), Pseudonym("k", "u-ada"));
  EXPECT_NE(Pseudonym("k", "u-ada"), Pseudonym("other", "u-ada"));
  EXPECT_NE(Pseudonym("k", "u-ada"), Pseudonym("k", "u-bob"));
  EXPECT_EQ(Pseudonym("k", "u-ada").size(), 10u);
  EXPECT_EQ(Pseudonym("k", "u-ada").rfind("p-", 0), 0u);
}

}  // namespace
}  // namespace huntline::metrics
