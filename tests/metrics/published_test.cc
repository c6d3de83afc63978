#include "metrics/published.h"

#include <gtest/gtest.h>
#include <random>

namespace huntline::metrics {
namespace {

/// The value of `key` in a family's series; -1 when absent.
double ValueOf(const Snapshot::Series& series, const std::string& key) {
  for (const auto& [k, value] : series) {
    if (k == key) return value;
  }
  return -1;
}

TEST(MergeShards, SumsCountersAndTakesTheMaxOfGlobalFigures) {
  Catalog catalog;
  const FamilyId sum = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  const FamilyId max =
      catalog.Declare({"huntline_quota", "q", Kind::kGauge, {"team"}, Merge::kMax});
  Shard a(catalog), b(catalog);
  a.Add(sum, {"east"}, 2);
  b.Add(sum, {"east"}, 3);
  b.Add(sum, {"west"}, 1);
  a.Set(max, {"east"}, 100);
  b.Set(max, {"east"}, 100);
  std::vector<PublishedShard> shards = {{&a, ""}, {&b, ""}};
  const Snapshot s = MergeShards(catalog, shards);
  EXPECT_EQ(ValueOf(*s.families[sum], "east"), 5);
  EXPECT_EQ(ValueOf(*s.families[sum], "west"), 1);
  EXPECT_EQ(ValueOf(*s.families[max], "east"), 100);
  EXPECT_EQ(s.families[sum]->size(), 2u);
}

TEST(MergeShards, APartitionedShardIsExposedUnderItsOwnPartitionLabel) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  Shard whole(catalog), p3(catalog), p5(catalog);
  whole.Add(f, {"east"}, 1);
  p3.Add(f, {"east"}, 2);
  p5.Add(f, {"east"}, 4);
  std::vector<PublishedShard> shards = {{&whole, ""}, {&p3, "3"}, {&p5, "5"}};
  const std::string text = ToText(ToFamilies(catalog, MergeShards(catalog, shards)));
  EXPECT_NE(text.find("huntline_x_total{team=\"east\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("huntline_x_total{partition=\"3\",team=\"east\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("huntline_x_total{partition=\"5\",team=\"east\"} 4\n"), std::string::npos) << text;
}

TEST(MergeShards, ATaskSeriesCarriesTheGroupAsItsInstanceTheGlobalOnesDoNot) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  Shard global(catalog), crm(catalog);
  global.Add(f, {"east"}, 1);
  crm.Add(f, {"east"}, 2);
  std::vector<PublishedShard> shards = {{&global, ""}, {&crm, "crm"}};
  ExpositionOptions options;
  options.task_instance = "sales-eu";
  const std::string text = ToText(ToFamilies(catalog, MergeShards(catalog, shards), options));
  EXPECT_NE(text.find("huntline_x_total{team=\"east\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("huntline_x_total{instance=\"sales-eu\",partition=\"crm\",team=\"east\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(ToText, LabelValuesAreEscapedSoNoIdCanBreakTheExposition) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"rep"}});
  Shard shard(catalog);
  shard.Add(f, {"a\"} 1\nhuntline_y_total{b=\\"}, 1);
  std::vector<PublishedShard> shards = {{&shard, ""}};
  const std::string text = ToText(ToFamilies(catalog, MergeShards(catalog, shards)));
  EXPECT_NE(text.find("huntline_x_total{rep=\"a\\\"} 1\\nhuntline_y_total{b=\\\\\"} 1\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("\nhuntline_y_total"), std::string::npos) << text;
}

TEST(ToText, SortsLabelsAndCanOmitZeros) {
  Catalog catalog;
  const FamilyId f = catalog.Declare(
      {"huntline_activities_total", "Activities", Kind::kCounter, {"team", "behaviour"}});
  Shard shard(catalog);
  shard.Add(f, {"east", "deal_work"}, 2);
  shard.Add(f, {"west", "other"}, 0);
  std::vector<PublishedShard> shards = {{&shard, ""}};
  const Snapshot s = MergeShards(catalog, shards);
  const std::string all = ToText(ToFamilies(catalog, s));
  EXPECT_NE(all.find("# TYPE huntline_activities_total counter"), std::string::npos);
  EXPECT_NE(all.find("huntline_activities_total{behaviour=\"deal_work\",team=\"east\"} 2\n"),
            std::string::npos);
  EXPECT_NE(all.find("team=\"west\"} 0"), std::string::npos);
  ExpositionOptions omit;
  omit.omit_zero = true;
  EXPECT_EQ(ToText(ToFamilies(catalog, s, omit)).find("west"), std::string::npos);
}

TEST(Shard, TracksChangedSeriesForPersistence) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  Shard shard(catalog);
  shard.Add(f, {"east"}, 1);
  shard.Add(f, {"east"}, 1);
  shard.Add(f, {"west"}, 1);
  int dirty = 0;
  shard.ForEachDirty([&](FamilyId, const std::string&, double) { ++dirty; });
  EXPECT_EQ(dirty, 2);
  shard.ClearDirty();
  dirty = 0;
  shard.ForEachDirty([&](FamilyId, const std::string&, double) { ++dirty; });
  EXPECT_EQ(dirty, 0);
  shard.Add(f, {"east"}, 1);
  shard.ForEachDirty([&](FamilyId, const std::string& key, double value) {
    EXPECT_EQ(key, "east");
    EXPECT_EQ(value, 3);
  });
}

}  // namespace
}  // namespace huntline::metrics

namespace huntline::metrics {
namespace {

// With a cache, a task's published families are reused while unchanged and otherwise equal
// what a merge without one makes, whatever the updates between two merges.
TEST(MergeShards, ACachedMergeEqualsAFreshOneAndReusesWhatDidNotChange) {
  Catalog catalog;
  const FamilyId counter = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  const FamilyId gauge = catalog.Declare({"huntline_y", "y", Kind::kGauge, {"team"}});
  const FamilyId quiet = catalog.Declare({"huntline_z", "z", Kind::kGauge, {"team"}});
  Shard a(catalog), b(catalog);
  b.Set(quiet, {"east"}, 3);
  MergeCache cache;
  std::mt19937 random(11);
  std::shared_ptr<const Snapshot::Series> quiet_before;
  for (int round = 0; round < 300; ++round) {
    Shard& shard = random() % 2 ? a : b;
    const std::string team = "t" + std::to_string(random() % 5);
    switch (random() % 5) {
      case 0: shard.Add(counter, {team}, 1); break;
      case 1: shard.Set(gauge, {team}, static_cast<double>(random() % 3)); break;
      case 2: shard.Ref(counter, {team + "-new"}); break;  // made at 0, unchanged
      case 3: shard.Restore(gauge, team, 7); break;
      default: break;  // nothing
    }
    if (random() % 3 == 0) shard.ClearDirty();
    std::vector<PublishedShard> shards = {{&a, "1"}, {&b, "2"}};
    const Snapshot cached = MergeShards(catalog, shards, &cache);
    const Snapshot fresh = MergeShards(catalog, shards);
    ASSERT_EQ(ToText(ToFamilies(catalog, cached)), ToText(ToFamilies(catalog, fresh))) << "round " << round;
    const auto& quiet_now = cached.by_partition.at("2")[quiet];
    if (quiet_before) {
      EXPECT_EQ(quiet_now.get(), quiet_before.get()) << "round " << round;  // never changed: shared
    }
    quiet_before = quiet_now;
  }
}

}  // namespace
}  // namespace huntline::metrics
