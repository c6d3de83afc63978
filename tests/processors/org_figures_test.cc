#include "processors/org_figures.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace huntline::processors
