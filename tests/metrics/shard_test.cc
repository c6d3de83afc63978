#include "metrics/shard.h"

#include <gtest/gtest.h>

namespace huntline::metrics {
namespace {

TEST(Shard, PastTheLimitANewSeriesIsRefusedCountedAndNeverStored) {
  Catalog catalog;
  const FamilyId reps = catalog.Declare({"huntline_rep_x_total", "x", Kind::kCounter, {"rep"}});
  const FamilyId teams = catalog.Declare({"huntline_team_x_total", "x", Kind::kCounter, {"team"}});
  SeriesLimit limit;
  limit.max_series_per_family = 2;
  limit.refused.assign(catalog.size(), 0);
  Shard shard(catalog);
  shard.Limit(&limit);
  shard.Add(reps, {"a"}, 1);
  shard.Add(reps, {"b"}, 1);
  shard.Add(reps, {"c"}, 5);             // a third series: refused
  const auto ref = shard.Ref(reps, {"d"});  // so is a handle to a fourth
  shard.Add(ref, 7);
  shard.Set(ref, 9);
  shard.Add(reps, {"a"}, 1);             // the series it has still count
  shard.Add(teams, {"east"}, 1);         // each family has its own limit
  EXPECT_EQ(shard.series(reps).size(), 2u);
  EXPECT_EQ(shard.series(reps).at("a").value, 2);
  EXPECT_EQ(shard.series(reps).count("c"), 0u);
  EXPECT_EQ(limit.refused[reps], 3u);
  EXPECT_EQ(limit.refused[teams], 0u);
  size_t dirty = 0;
  shard.ForEachDirty([&](FamilyId, const std::string& key, double) {
    EXPECT_TRUE(key == "a" || key == "b" || key == "east") << key;
    ++dirty;
  });
  EXPECT_EQ(dirty, 3u);
}

TEST(Shard, WithoutALimitEverySeriesIsKept) {
  Catalog catalog;
  const FamilyId f = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"rep"}});
  Shard shard(catalog);
  for (int i = 0; i < 1000; ++i) shard.Add(f, {std::to_string(i)}, 1);
  EXPECT_EQ(shard.series(f).size(), 1000u);
}

}  // namespace
}  // namespace huntline::metrics
