#include "processors/org_figures.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/processors/test_events.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::IcpTier;
using ingest::Relationship;
using ingest::Role;

class OrgFiguresTest : public ::testing::Test {
 protected:
  OrgFiguresTest() : families_(OrgFigures::Declare(catalog_)), shard_(catalog_), figures_(families_) {}
  double Value(metrics::FamilyId f, const std::string& key) {
    figures_.Refresh(org_.Latest(), shard_);
    auto it = shard_.series(f).find(key);
    return it == shard_.series(f).end() ? -1 : it->second.value;
  }
  ingest::Event WithQuota(ingest::Event e, std::optional<double> quota, bool active = true) {
    auto& u = std::get<ingest::UserUpserted>(e.data);
    u.quarterly_quota = quota;
    u.active = active;
    return e;
  }

  metrics::Catalog catalog_;
  OrgFigures::Families families_;
  metrics::Shard shard_;
  OrgFigures figures_;
  OrgTables org_;
};

TEST_F(OrgFiguresTest, CountsEachAccountOncePerRepUnderTheRepsTeam) {
  org_.Apply(MakeUser("u1", Role::kRep, "east"));
  org_.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {"u1", "u1", "ghost"}));
  org_.Apply(MakeAccount("a2", Relationship::kCustomer, IcpTier::kB, {"u1"}));
  EXPECT_EQ(Value(families_.target_accounts, "east\x1fu1"), 2);
  EXPECT_EQ(Value(families_.target_accounts, "unknown\x1fghost"), 1);
}

TEST_F(OrgFiguresTest, ARepTakenOffEveryListDropsToZero) {
  org_.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {"u1"}, 1));
  EXPECT_EQ(Value(families_.target_accounts, "unknown\x1fu1"), 1);
  org_.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {}, 2));
  EXPECT_EQ(Value(families_.target_accounts, "unknown\x1fu1"), 0);
}

TEST_F(OrgFiguresTest, QuotaSumsActiveUsersOfTheTeam) {
  org_.Apply(WithQuota(MakeUser("u1", Role::kRep, "east"), 300000));
  org_.Apply(WithQuota(MakeUser("u2", Role::kRep, "east"), 200000));
  org_.Apply(WithQuota(MakeUser("u3", Role::kRep, "east"), 500000, /*active=*/false));
  org_.Apply(WithQuota(MakeUser("u4", Role::kManager, "east"), std::nullopt));
  EXPECT_EQ(Value(families_.quota, "east"), 500000);
  // u2 moves team: the quota moves with them.
  org_.Apply(WithQuota(MakeUser("u2", Role::kRep, "west", std::nullopt, 10), 200000));
  EXPECT_EQ(Value(families_.quota, "east"), 300000);
  EXPECT_EQ(Value(families_.quota, "west"), 200000);
}

/// Non-zero series of a family: a series that fell to 0 and one never set read alike.
std::map<std::string, double> NonZero(const metrics::Shard& shard, metrics::FamilyId f) {
  std::map<std::string, double> out;
  for (const auto& [key, cell] : shard.series(f)) {
    if (cell.value != 0) out[key] = cell.value;
  }
  return out;
}

TEST_F(OrgFiguresTest, LookingOnlyAtWhatChangedGivesWhatCountingEverythingGives) {
  // Random users (teams, quotas), accounts (target lists) and tombstones, at times before and
  // after engine time, which moves forward now and then: after each look, the figures kept up to
  // date from the changes heard of equal those counted afresh from every account.
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    OrgTables org;
    metrics::Shard kept(catalog_);
    OrgFigures figures(families_);
    Timestamp now = 1000;
    bool any_heard_of = false;
    for (int step = 0; step < 400; ++step) {
      const Timestamp time = now + (pick(3) - 1) * 50 + pick(50);
      const int kind = pick(10);
      if (kind < 3) {
        org.Apply(WithQuota(MakeUser("u" + std::to_string(pick(6)), Role::kRep, "t" + std::to_string(pick(3)),
                                     std::nullopt, time),
                            pick(2) ? std::optional<double>(100 * (1 + pick(5))) : std::nullopt, pick(4) != 0));
        if (org.last_change()) figures.Note(*org.last_change());
      } else if (kind < 9) {
        std::vector<std::string> reps;
        for (int n = pick(4); n > 0; --n) reps.push_back("u" + std::to_string(pick(8)));
        const uint64_t before = org.version();
        org.Apply(MakeAccount("a" + std::to_string(pick(12)), Relationship::kProspect, IcpTier::kB, reps, time));
        if (org.version() != before) figures.Note(*org.last_change());
      } else {
        const std::string id = (pick(2) ? "a" : "u") + std::to_string(pick(12));
        for (const OrgChange& change : org.Forget(id)) figures.Note(change);
      }
      any_heard_of = true;
      if (pick(4) == 0) now += pick(120);
      if (pick(40) == 0) now += 1000 + pick(2000);
      if (step == 5) figures.Refresh(org.At(kNoTime), kept);  // as the engine looks before tasks have a time
      if (pick(15) == 0) {
        // The engine forgets versions and changes a while before the earliest task's time.
        org.KeepPendingFrom(now - pick(100));
        org.Prune(now - pick(300));
      }
      if (pick(3) != 0) continue;
      figures.Refresh(org.At(now), kept);
      metrics::Shard fresh(catalog_);
      OrgFigures counted(families_);
      counted.Refresh(org.At(now), fresh);
      ASSERT_EQ(NonZero(kept, families_.target_accounts), NonZero(fresh, families_.target_accounts))
          << "seed " << seed << " step " << step;
      ASSERT_EQ(NonZero(kept, families_.quota), NonZero(fresh, families_.quota)) << "seed " << seed;
    }
    ASSERT_TRUE(any_heard_of);
  }
}

TEST_F(OrgFiguresTest, ChangesPrunedSinceTheLastLookAreCountedAgain) {
  // The first look comes before any task has a time; the log of the changes that took effect
  // since is then pruned: they are counted from the tables themselves.
  org_.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {"u1"}, At("2026-01-01T00:00:00Z")));
  figures_.Note(*org_.last_change());
  figures_.Refresh(org_.At(kNoTime), shard_);
  org_.KeepPendingFrom(At("2026-06-01T00:00:00Z"));
  org_.Prune(At("2026-03-01T00:00:00Z"));
  figures_.Refresh(org_.At(At("2026-06-01T00:00:00Z")), shard_);
  auto it = shard_.series(families_.target_accounts).find("unknown\x1fu1");
  ASSERT_NE(it, shard_.series(families_.target_accounts).end());
  EXPECT_EQ(it->second.value, 1);
}

TEST_F(OrgFiguresTest, AChangeNotHeardOfIsStillCounted) {
  org_.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {"u1"}, 1));
  figures_.Note(*org_.last_change());
  EXPECT_EQ(Value(families_.target_accounts, "unknown\x1fu1"), 1);
  org_.Apply(MakeAccount("a2", Relationship::kProspect, IcpTier::kA, {"u1"}, 2));  // not noted
  EXPECT_EQ(Value(families_.target_accounts, "unknown\x1fu1"), 2);
}

}  // namespace
}  // namespace huntline::processors
