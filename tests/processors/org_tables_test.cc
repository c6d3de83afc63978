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
  EXPECT_EQ(org.At(kOct1).TeamOf("u1"), "west");      // kept: in force at the cut
  EXPECT_EQ(org.At(kSep1).TeamOf("u1"), "west");      // older: the oldest kept stands in
  EXPECT_EQ(org.At(kSep1 - 1).TeamOf("u1"), "unknown");  // before its first snapshot: unknown
  EXPECT_EQ(org.At(kNov1).TeamOf("u1"), "north");
  EXPECT_EQ(org.At(kOct1).TeamOf("u2"), "unknown");   // never pruned: not known before its time
}

TEST(OrgTables, AccountsAndContactsBeyondTheCacheAreReadBackFromTheStore) {
  storage::MemoryKvStore store;
  OrgTables small(&store, 1);  // one account and one contact decoded at a time
  OrgTables whole;             // every one of them cached
  for (OrgTables* org : {&small, &whole}) {
    for (int i = 0; i < 50; ++i) {
      const std::string id = "a" + std::to_string(i);
      const auto rel = i % 3 == 0 ? Relationship::kCustomer : Relationship::kProspect;
      org->Apply(MakeAccount(id, Relationship::kProspect, IcpTier::kB, {"u1"}, kSep1));
      org->Apply(MakeAccount(id, rel, IcpTier::kA, {}, kOct1 + i));
      org->Apply(MakeContact("c" + std::to_string(i), id, ingest::BuyingRole::kChampion, kOct1));
    }
    EXPECT_EQ(org->Apply(MakeAccount("a7", Relationship::kCustomer, IcpTier::kA, {}, kSep1)),
              ApplyOutcome::kStale);  // older than the version in the store, not in the cache
  }
  EXPECT_LE(small.cached_entries(), 3u);
  for (int i = 0; i < 50; ++i) {
    const std::string id = "a" + std::to_string(i);
    for (Timestamp t : {kSep1 - 1, kSep1, kOct1 + i - 1, kOct1 + i}) {
      const auto a = small.At(t).FindAccount(id);
      const auto b = whole.At(t).FindAccount(id);
      ASSERT_EQ(a == nullptr, b == nullptr) << id << " at " << t;
      if (!a) continue;
      EXPECT_EQ(a->data.relationship, b->data.relationship);
      EXPECT_EQ(a->data.target_of, b->data.target_of);
      EXPECT_EQ(a->email_domains, b->email_domains);
      EXPECT_EQ(small.At(t).KindOfDomain(id + ".example"), whole.At(t).KindOfDomain(id + ".example"));
    }
    const auto contact = small.Latest().FindContact("c" + std::to_string(i));
    ASSERT_NE(contact, nullptr);
    EXPECT_EQ(contact->data.account_id, id);
  }
  EXPECT_LE(small.cached_entries(), 3u);
  size_t visited = 0;
  small.At(kOct1).ForEachAccount([&](const std::string& id, const Account& account) {
    ++visited;
    EXPECT_EQ(account.data.relationship, whole.At(kOct1).FindAccount(id)->data.relationship);
  });
  EXPECT_EQ(visited, 50u);
  EXPECT_EQ(small.ChangesBetween({kNoTime, 0}, kOct1 + 100).size(), 150u);
}

TEST(OrgTables, ATombstoneForgetsTheEntityOfItsKeyAtEveryTime) {
  storage::MemoryKvStore store;
  OrgTables org(&store, 1);
  org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kCustomer, IcpTier::kA, {"u1"}, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {"u1"}, kOct1));
  org.Apply(MakeAccount("a2", Relationship::kCustomer, IcpTier::kA, {"u1"}, kSep1));
  const uint64_t version = org.version();

  const auto changes = org.Forget("a1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].type, ingest::EventType::kAccountUpserted);
  EXPECT_EQ(changes[0].time, kOct1);  // its latest version's: tasks past it look again now
  EXPECT_GT(org.version(), version);
  for (Timestamp t : {kSep1, kOct1, kNov1}) {
    EXPECT_EQ(org.At(t).FindAccount("a1"), nullptr);
    EXPECT_EQ(org.At(t).KindOfDomain("a1.example"), OrgView::DomainKind::kNone);
  }
  std::vector<std::string> ids;
  org.Latest().ForEachAccount([&](const std::string& id, const Account&) { ids.push_back(id); });
  EXPECT_EQ(ids, (std::vector<std::string>{"a2"}));
  EXPECT_EQ(org.ChangesBetween({kOct1, UINT64_MAX - 1}, kNov1).size(), 0u);
  EXPECT_EQ(org.ChangesBetween({kSep1, UINT64_MAX}, kOct1).size(), 2u);  // the version, the tombstone

  EXPECT_EQ(org.Forget("u1").size(), 1u);
  EXPECT_EQ(org.Latest().TeamOf("u1"), "unknown");
  EXPECT_FALSE(org.Latest().IsUserDomain("acme.example"));
  EXPECT_TRUE(org.Forget("nobody").empty());
  // Written again after it was forgotten: a new entity.
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {}, kNov1));
  EXPECT_EQ(org.At(kOct1).FindAccount("a1"), nullptr);
  EXPECT_NE(org.At(kNov1).FindAccount("a1"), nullptr);
}

TEST(OrgTables, ADomainLookedUpBeforeAnAccountTakesItSeesTheAccountAfter) {
  storage::MemoryKvStore store;
  OrgTables org(&store, 10);
  EXPECT_EQ(org.Latest().KindOfDomain("shared.example"), OrgView::DomainKind::kNone);  // cached
  ingest::Event a1 = MakeAccount("a1", Relationship::kProspect, IcpTier::kA, {}, kSep1);
  std::get<ingest::AccountUpserted>(a1.data).domains = {"Shared.example"};
  org.Apply(a1);
  EXPECT_EQ(org.Latest().KindOfDomain("shared.example"), OrgView::DomainKind::kAccount);
  ingest::Event a2 = MakeAccount("a2", Relationship::kCustomer, IcpTier::kA, {}, kOct1);
  std::get<ingest::AccountUpserted>(a2.data).domains = {"shared.example"};
  org.Apply(a2);
  EXPECT_EQ(org.At(kSep1).KindOfDomain("shared.example"), OrgView::DomainKind::kAccount);
  EXPECT_EQ(org.At(kOct1).KindOfDomain("shared.example"), OrgView::DomainKind::kCustomer);
  org.Forget("a2");
  EXPECT_EQ(org.At(kOct1).KindOfDomain("shared.example"), OrgView::DomainKind::kAccount);
}

TEST(OrgTables, TheChangeLogBeforeThePendingFloorIsReadFromTheStore) {
  storage::MemoryKvStore store;
  OrgTables org(&store, 10);
  org.Apply(MakeUser("u1", Role::kRep, "east", std::nullopt, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kB, {}, kOct1));
  org.Apply(MakeUser("u2", Role::kRep, "east", std::nullopt, kNov1));
  org.KeepPendingFrom(kOct1);
  org.Apply(MakeUser("u3", Role::kRep, "east", std::nullopt, kSep1 + 1));  // late: before the floor
  auto ids = [&](OrgChangeKey after, Timestamp until) {
    std::vector<std::string> out;
    for (const auto& c : org.ChangesBetween(after, until)) out.push_back(c.id);
    return out;
  };
  // From the floor on, from memory; a task behind it (one assigned later) reads the store.
  EXPECT_EQ(ids({kOct1, 0}, kNov1), (std::vector<std::string>{"a1", "u2"}));
  EXPECT_EQ(ids({kOct1, UINT64_MAX}, kNov1), (std::vector<std::string>{"u2"}));
  EXPECT_EQ(ids({kNoTime, 0}, kOct1), (std::vector<std::string>{"u1", "u3", "a1"}));
  EXPECT_EQ(org.NextChangeAfter(kOct1), kNov1);
  EXPECT_EQ(org.NextChangeAfter(kSep1), kSep1 + 1);
  EXPECT_EQ(org.NextChangeAfter(kNov1), kNoTime);
}

TEST(OrgTables, AnAccountFoundOutlivesItsEvictionFromTheCache) {
  storage::MemoryKvStore store;
  OrgTables org(&store, 1);
  org.Apply(MakeAccount("a1", Relationship::kCustomer, IcpTier::kA, {"u1"}, kSep1));
  org.Apply(MakeAccount("a2", Relationship::kProspect, IcpTier::kB, {}, kSep1));
  const auto a1 = org.Latest().FindAccount("a1");
  org.Latest().FindAccount("a2");  // evicts a1
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1->data.target_of, (std::vector<std::string>{"u1"}));
}

TEST(OrgTables, OpeningClearsWhatAnEarlierRunLeftInTheStore) {
  storage::MemoryKvStore store;
  storage::WriteBatch other;
  other.Put("t/huntline.crm/all/meta", "x");
  ASSERT_TRUE(store.Write(other).ok());
  {
    OrgTables org(&store, 10);
    EXPECT_TRUE(org.MarkSeen("crm", "e1"));
    EXPECT_FALSE(org.MarkSeen("crm", "e1"));
    EXPECT_TRUE(org.MarkSeen("crm\x1f" "e", "1"));  // not the same (source, id)
    org.Apply(MakeAccount("a1", Relationship::kCustomer, IcpTier::kA, {}, kSep1));
  }
  OrgTables org(&store, 10);  // the topic is read again from its start
  EXPECT_EQ(org.Latest().FindAccount("a1"), nullptr);
  EXPECT_EQ(org.Latest().KindOfDomain("a1.example"), OrgView::DomainKind::kNone);
  EXPECT_TRUE(org.MarkSeen("crm", "e1"));
  EXPECT_EQ(store.Get("t/huntline.crm/all/meta"), "x");
}

TEST(OrgTables, PruningStandsTheVersionInForceAtTheHorizonInForOlderAccountLookUps) {
  storage::MemoryKvStore store;
  OrgTables org(&store, 1);
  org.Apply(MakeAccount("a1", Relationship::kProspect, IcpTier::kB, {}, kSep1));
  org.Apply(MakeAccount("a1", Relationship::kCustomer, IcpTier::kB, {}, kOct1));
  org.Apply(MakeAccount("a2", Relationship::kProspect, IcpTier::kB, {}, kNov1));
  org.Prune(kOct1 + 1);
  EXPECT_EQ(org.At(kSep1).FindAccount("a1")->data.relationship, Relationship::kCustomer);
  EXPECT_EQ(org.At(kSep1 - 1).FindAccount("a1"), nullptr);  // before its first snapshot
  EXPECT_EQ(org.At(kOct1).FindAccount("a2"), nullptr);      // not known before its time
  EXPECT_TRUE(org.ChangesBetween({kNoTime, 0}, kOct1).empty());  // forgotten before the horizon
  EXPECT_EQ(org.NextChangeAfter(kOct1 + 1), kNov1);
  // Written again after the horizon: the version superseded before it is dropped for good.
  org.Apply(MakeAccount("a1", Relationship::kFormerCustomer, IcpTier::kB, {}, kNov1));
  EXPECT_EQ(org.At(kSep1).FindAccount("a1")->data.relationship, Relationship::kCustomer);
  EXPECT_EQ(org.At(kNov1).FindAccount("a1")->data.relationship, Relationship::kFormerCustomer);
}

}  // namespace
}  // namespace huntline::processors
