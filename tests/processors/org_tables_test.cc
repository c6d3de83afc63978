#include "processors/org_tables.h"

#include <gtest/gtest.h>

#include "tests/processors/test_events.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::IcpTier;
using ingest::Relationship;
using ingest::Role;

const Timestamp kSep1 = At("2026-09-01T00:00:00Z");
const Timestamp kOct1 = At("2026-10-01T00:00:00Z");
const Timestamp kNov1 = At("2026-11-01T00:00:00Z");

TEST(OrgTables, ALookUpSeesTheSnapshotInForceAtItsTime) {
  OrgTables org;
  org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kSep1));
  org.Apply(MakeUser("u1", Role::kRep, "west", std::nullopt, kOct1));
  EXPECT_EQ(org.At(kSep1 - 1).TeamOf("u1"), "unknown");  // not known yet
  EXPECT_EQ(org.At(kSep1).TeamOf("u1"), "east");         // in force from its own time
  EXPECT_EQ(org.At(kOct1 - 1).TeamOf("u1"), "east");
  EXPECT_EQ(org.At(kOct1).TeamOf("u1"), "west");
  EXPECT_EQ(org.Latest().TeamOf("u1"), "west");
  EXPECT_EQ(org.At(kOct1 - 1).RoleOf("u1"), "rep");
}

TEST(OrgTables, AnOlderSnapshotIsStaleAndOneAtTheSameTimeReplacesTheLatest) {
  OrgTables org;
  EXPECT_EQ(org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kOct1)), ApplyOutcome::kApplied);
  EXPECT_EQ(org.Apply(MakeUser("u1", Role::kRep, "west", std::nullopt, kSep1)), ApplyOutcome::kStale);
  EXPECT_EQ(org.At(kNov1).TeamOf("u1"), "east");
  EXPECT_EQ(org.At(kSep1).TeamOf("u1"), "unknown");  // the stale one never entered the history
  EXPECT_EQ(org.Apply(MakeUser("u1", Role::kRep, "north", std::nullopt, kOct1)), ApplyOutcome::kApplied);
  EXPECT_EQ(org.At(kOct1).TeamOf("u1"), "north");
  EXPECT_EQ(org.version_count(), 1u);
}

TEST(OrgTables, DomainsAndUserDomainsAreTakenAsOfTheTime) {
  OrgTables org;
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kB, {}, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kCustomer, IcpTier::kB, {}, kOct1));
  EXPECT_EQ(org.At(kSep1 - 1).KindOfDomain("a1.example"), OrgView::DomainKind::kNone);
  EXPECT_EQ(org.At(kSep1).KindOfDomain("a1.example"), OrgView::DomainKind::kAccount);
  EXPECT_EQ(org.At(kOct1).KindOfDomain("a1.example"), OrgView::DomainKind::kCustomer);
  org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kOct1));
  EXPECT_FALSE(org.At(kSep1).IsUserDomain("acme.example"));
  EXPECT_TRUE(org.At(kOct1).IsUserDomain("acme.example"));
}

TEST(OrgTables, ChangesAreVisitedInTheOrderTheyTakeEffectWhateverTheOrderRead) {
  OrgTables org;
  org.Apply(MakeUser("late", Role::kRep, "east", std::nullopt, kNov1));
  org.Apply(MakeUser("early", Role::kRep, "east", std::nullopt, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kB, {}, kOct1));
  std::vector<std::string> seen;
  org.ForEachChange({kNoTime, 0}, kOct1, [&](const OrgChange& c) { seen.push_back(c.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"early", "a1"}));
  seen.clear();
  org.ForEachChange({kOct1, UINT64_MAX}, kNov1, [&](const OrgChange& c) { seen.push_back(c.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"late"}));
  EXPECT_EQ(org.NextChangeAfter(kSep1), kOct1);
  EXPECT_EQ(org.NextChangeAfter(kNov1), kNoTime);
}

TEST(OrgTables, PruningKeepsTheVersionInForceAndStandsItInForOlderLookUps) {
  OrgTables org;
  org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kSep1));
  org.Apply(MakeUser("u1", Role::kRep, "west", std::nullopt, kOct1));
  org.Apply(MakeUser("u1", Role::kRep, "north", std::nullopt, kNov1));
  org.Apply(MakeUser("u2", Role::kRep, "south", std::nullopt, kNov1));
  org.Prune(kOct1 + 1);
  EXPECT_EQ(org.version_count(), 3u);                 // u1's September version is gone
  EXPECT_EQ(org.At(kOct1).TeamOf("u1"), "west");      // kept: in force at the cut
  EXPECT_EQ(org.At(kSep1).TeamOf("u1"), "west");      // older: the oldest kept stands in
  EXPECT_EQ(org.At(kSep1 - 1).TeamOf("u1"), "unknown");  // before its first snapshot: unknown
  EXPECT_EQ(org.At(kNov1).TeamOf("u1"), "north");
  EXPECT_EQ(org.At(kOct1).TeamOf("u2"), "unknown");   // never pruned: not known before its time
}

}  // namespace
}  // namespace huntline::processors
