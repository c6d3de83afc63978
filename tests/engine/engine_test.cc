#include "engine/engine.h"
#include "engine/config.h"
#include "metrics/history.h"
#include "storage/codec.h"
#include "storage/write_behind.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace huntline::engine {
namespace {

using ingest::TopicKind;

/// Collects dead letters in memory.
class RecordingSink : public ingest::DeadLetterSink {
 public:
  Status Send(const ingest::RawMessage& m, const ingest::Rejection& why, Timestamp) override {
    letters.push_back({std::string(m.value), why.detail});
    return Status::Ok();
  }
  std::vector<std::pair<std::string, std::string>> letters;
};

/// An engine with everything it needs, over a given store.
struct Harness {
  explicit Harness(storage::KvStore& store, Engine::Options options = {})
      : registry(catalog),
        engine_metrics("test"),
        published(catalog, {}),
        engine((processors::RegisterAllProcessors(registry), registry), catalog, store, sink,
               engine_metrics, published, std::move(options)) {}

  metrics::EventResult Send(TopicKind kind, int32_t partition, int64_t offset,
                            const std::string& value, std::string_view key = {}) {
    ingest::RawMessage m;
    m.topic = "t";
    m.partition = partition;
    m.offset = offset;
    m.key = key;
    m.value = value;
    return engine.HandleMessage(kind, m);
  }
  /// A published series, summed over the partitions it is published under (people tasks, live).
  double Value(const std::string& family, const std::string& key) {
    auto id = catalog.Find(family);
    auto snapshot = published.Current();
    double sum = 0;
    auto add = [&](const metrics::Snapshot::Families& families) {
      if (!id || *id >= families.size()) return;
      for (const auto& [k, value] : *families[*id]) {
        if (k == key) sum += value;
      }
    };
    add(snapshot->families);
    for (const auto& [partition, families] : snapshot->by_partition) add(families);
    return sum;
  }

  metrics::Catalog catalog;
  processors::ProcessorRegistry registry;
  RecordingSink sink;
  metrics::EngineMetrics engine_metrics;
  metrics::PublishedMetrics published;
  Engine engine;
};

std::string UserEvent(const std::string& id, const std::string& team);

TEST(Engine, AnOrgTombstoneForgetsItsKeyAndIsNoDeadLetter) {
  storage::MemoryKvStore store;
  Harness h(store);
  h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
  ingest::RawMessage tombstone;
  tombstone.topic = "t";
  tombstone.offset = 1;
  tombstone.key = "u1";
  tombstone.tombstone = true;
  EXPECT_EQ(h.engine.HandleMessage(TopicKind::kOrg, tombstone), metrics::EventResult::kAccepted);
  EXPECT_EQ(h.engine.org().Latest().TeamOf("u1"), "unknown");
  EXPECT_EQ(h.engine_metrics.org_tombstones().Value(), 1);
  // An empty value that is not a tombstone is still refused.
  tombstone.tombstone = false;
  EXPECT_EQ(h.engine.HandleMessage(TopicKind::kOrg, tombstone), metrics::EventResult::kRejected);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.sink.letters.size(), 1u);
}

std::string UserEvent(const std::string& id, const std::string& team) {
  return R"({"specversion":"1.0","id":"u-)" + id + R"(","source":"t","type":"org.user.upserted",)"
         R"("time":"2026-07-01T08:00:00Z","data":{"user_id":")" + id + R"(","name":"n","email":"e",)"
         R"("role":"rep","team":")" + team + R"(","timezone":"UTC","active":true}})";
}

std::string ActivityEvent(int n, const std::string& actor = "u1") {
  return R"({"specversion":"1.0","id":"act-)" + std::to_string(n) +
         R"(","source":"t","type":"crm.activity.logged","time":"2026-07-02T08:00:00Z",)"
         R"("data":{"activity_id":"a)" + std::to_string(n) + R"(","actor_id":")" + actor +
         R"(","account_id":"acct-)" + std::to_string(n % 7) +
         R"(","channel":"call","direction":"outbound","outcome":"no_response","duration_s":60}})";
}

constexpr char kKey[] = "east\x1frep\x1f" "opportunistic_prospecting\x1fno_response";

TEST(Engine, ATaskDroppedLosesWhatItDidSinceItsLastCommitAndIsMadeAgainFromTheStore) {
  storage::MemoryKvStore store;
  Harness h(store);
  h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
  ASSERT_TRUE(h.engine.Assign(TopicKind::kCrm, 0).ok());
  auto send = [&](int i) {
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, i, ActivityEvent(i)), metrics::EventResult::kAccepted) << i;
    h.engine.tasks().at({TopicKind::kCrm, kAllPartitions})->set_next_offset(0, i + 1);
  };
  for (int i = 0; i < 10; ++i) send(i);
  ASSERT_TRUE(h.engine.Commit().ok());
  for (int i = 10; i < 15; ++i) send(i);  // never committed: its partition is lost
  h.engine.Drop(TopicKind::kCrm, 0);
  ASSERT_TRUE(h.engine.Commit().ok());  // nothing of the dropped task is written
  auto next = h.engine.Assign(TopicKind::kCrm, 0);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, (std::map<int32_t, int64_t>{{0, 10}}));
  for (int i = 10; i < 15; ++i) send(i);  // read again: new to the task made again
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_activities_total", kKey), 15);
}

TEST(Engine, CountersAndOffsetsSurviveARestartWithoutDoubleCounting) {
  const auto dir = std::filesystem::temp_directory_path() / "huntline_engine_restart";
  std::filesystem::remove_all(dir);
  {
    auto store = storage::OpenRocksDb(dir.string());
    ASSERT_TRUE(store.ok());
    Harness h(**store);
    h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
    ASSERT_TRUE(h.engine.Assign(TopicKind::kCrm, 0).ok());
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(h.Send(TopicKind::kCrm, 0, i, ActivityEvent(i)), metrics::EventResult::kAccepted);
      h.engine.tasks().at({TopicKind::kCrm, kAllPartitions})->set_next_offset(0, i + 1);
    }
    ASSERT_TRUE(h.engine.Commit().ok());
    // Handled but never committed: lost with the crash, and read again after it.
    for (int i = 10; i < 15; ++i) h.Send(TopicKind::kCrm, 0, i, ActivityEvent(i));
  }
  auto store = storage::OpenRocksDb(dir.string());
  ASSERT_TRUE(store.ok());
  Harness h(**store);
  h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
  auto next = h.engine.Assign(TopicKind::kCrm, 0);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(*next, (std::map<int32_t, int64_t>{{0, 10}}));
  for (int i = 10; i < 15; ++i) {
    h.Send(TopicKind::kCrm, 0, i, ActivityEvent(i));
    h.engine.tasks().at({TopicKind::kCrm, kAllPartitions})->set_next_offset(0, i + 1);
  }
  // A redelivery of an event committed before the restart is still a duplicate.
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 3, ActivityEvent(3)), metrics::EventResult::kDuplicate);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_activities_total", kKey), 15);
  EXPECT_EQ(h.Value("huntline_activity_seconds_total",
                    "east\x1frep\x1fopportunistic_prospecting"),
            15 * 60);
}

/// Every record of a store, in key order.
std::map<std::string, std::string> Contents(storage::KvStore& store) {
  std::map<std::string, std::string> out;
  (void)store.Scan("", [&](std::string_view key, std::string_view value) {
    out.emplace(std::string(key), std::string(value));
  });
  return out;
}

TEST(Engine, StateBuiltWithAnotherPartitionCountIsRefusedAndLeftAsItIs) {
  storage::MemoryKvStore store;
  Harness h(store);
  // The first start records the counts the state is built with.
  ASSERT_TRUE(h.engine.CheckPartitionCount("huntline.people", 3).ok());
  ASSERT_TRUE(h.engine.CheckPartitionCount("huntline.crm", 6).ok());
  EXPECT_EQ(store.Get("topics/huntline.people/partitions"), "3");
  ASSERT_TRUE(h.engine.Assign(TopicKind::kPeople, 1, 3).ok());
  h.engine.tasks().at({TopicKind::kPeople, 1})->set_next_offset(1, 42);
  ASSERT_TRUE(h.engine.Commit().ok());
  const auto before = Contents(store);
  EXPECT_TRUE(h.engine.CheckPartitionCount("huntline.people", 3).ok());

  const Status grown = h.engine.CheckPartitionCount("huntline.people", 5);
  ASSERT_FALSE(grown.ok());
  EXPECT_NE(
      grown.message().find("huntline.people has 5 partitions, but the state was built with 3"),
      std::string::npos)
      << grown.message();
  EXPECT_FALSE(h.engine.CheckPartitionCount("huntline.crm", 12).ok());
  EXPECT_EQ(Contents(store), before);
}

TEST(Engine, MalformedMessagesBecomeDeadLettersAndChangeNothing) {
  storage::MemoryKvStore store;
  Harness h(store);
  h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
  h.Send(TopicKind::kCrm, 0, 0, ActivityEvent(1));
  const Timestamp before = h.engine.now();
  std::string bad = ActivityEvent(2);
  bad.replace(bad.find("\"outbound\""), 10, "\"sideways\"");
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, bad), metrics::EventResult::kRejected);
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 2, "not json"), metrics::EventResult::kRejected);
  // An org event on the crm topic breaks the topic contract.
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 3, UserEvent("u2", "west")),
            metrics::EventResult::kRejected);
  ASSERT_TRUE(h.engine.Commit().ok());
  ASSERT_EQ(h.sink.letters.size(), 3u);
  EXPECT_EQ(h.sink.letters[0].first, bad);
  EXPECT_EQ(h.sink.letters[0].second,
            "data.direction: \"sideways\" is not one of outbound, inbound");
  EXPECT_NE(h.sink.letters[2].second.find("does not belong on huntline.crm"), std::string::npos);
  EXPECT_EQ(h.engine.now(), before);
  EXPECT_EQ(h.engine.org().Latest().FindUser("u2"), nullptr);
  EXPECT_EQ(h.Value("huntline_activities_total", kKey), 1);
}

TEST(Engine, DuplicatesAndStaleSnapshotsChangeNothing) {
  storage::MemoryKvStore store;
  Harness h(store);
  EXPECT_EQ(h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east")),
            metrics::EventResult::kAccepted);
  EXPECT_EQ(h.Send(TopicKind::kOrg, 0, 1, UserEvent("u1", "east")),
            metrics::EventResult::kDuplicate);
  std::string older = UserEvent("u1", "west");
  older.replace(older.find("\"id\":\"u-u1\""), 11, "\"id\":\"u-u1b\"");
  older.replace(older.find("2026-07-01T08"), 13, "2026-06-01T08");
  EXPECT_EQ(h.Send(TopicKind::kOrg, 0, 2, older), metrics::EventResult::kStale);
  EXPECT_EQ(h.engine.org().Latest().TeamOf("u1"), "east");
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, ActivityEvent(1)), metrics::EventResult::kAccepted);
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, ActivityEvent(1)), metrics::EventResult::kDuplicate);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_activities_total", kKey), 1);
}

TEST(Engine, UnknownActorsCountUnderUnknownTeamAndRole) {
  storage::MemoryKvStore store;
  Harness h(store);
  h.Send(TopicKind::kCrm, 0, 0, ActivityEvent(1, "u-ghost"));
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_activities_total",
                    "unknown\x1funknown\x1fopportunistic_prospecting\x1fno_response"),
            1);
  EXPECT_EQ(h.Value("huntline_rep_activities_total",
                    "unknown\x1fu-ghost\x1fopportunistic_prospecting"),
            1);
}

/// A live run's engine: tasks follow engine time only once caught up; engine time follows event time.
Engine::Options Live() {
  Engine::Options options;
  options.live = true;
  options.event_time = true;
  return options;
}

std::string Event(const std::string& id, const std::string& type, const std::string& time,
                  const std::string& data) {
  return R"({"specversion":"1.0","id":")" + id + R"(","source":"t","type":")" + type +
         R"(","time":")" + time + R"(","data":)" + data + "}";
}

std::string User(const std::string& id, const std::string& team, const std::string& time) {
  return Event("u-" + id + "-" + time, "org.user.upserted", time,
               R"({"user_id":")" + id + R"(","name":"n","email":")" + id + R"(@acme.example","role":"rep",)"
               R"("team":")" + team + R"(","timezone":"UTC","active":true})");
}

std::string Activity(const std::string& id, const std::string& time, const std::string& where) {
  return Event(id, "crm.activity.logged", time,
               R"({"activity_id":")" + id + R"(","actor_id":"u1",)" + where +
                   R"(,"channel":"call","direction":"outbound","outcome":"connected"})");
}

TEST(EngineLive, AnActivityReadAfterTheOrgTopicCountsWithTheTeamOfItsOwnTime) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  // The org topic is read to its end first: u1 moved from east to west on 1 October.
  h.Send(TopicKind::kOrg, 0, 0, User("u1", "east", "2026-09-01T00:00:00Z"));
  h.Send(TopicKind::kOrg, 0, 1, User("u1", "west", "2026-10-01T00:00:00Z"));
  ASSERT_TRUE(h.engine.Assign(TopicKind::kCrm, 0).ok());
  h.Send(TopicKind::kCrm, 0, 0, Activity("a1", "2026-09-15T10:00:00Z", R"("account_id":"x")"));
  h.Send(TopicKind::kCrm, 0, 1, Activity("a2", "2026-10-15T10:00:00Z", R"("account_id":"x")"));
  h.engine.SetCaughtUp(TopicKind::kCrm, 0, true);  // read: published from now on
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_rep_activities_total", "east\x1fu1\x1fopportunistic_prospecting"), 1);
  EXPECT_EQ(h.Value("huntline_rep_activities_total", "west\x1fu1\x1fopportunistic_prospecting"), 1);
}

TEST(EngineLive, ATaskReadingABacklogRunsOnItsOwnTimeUntilItHasCaughtUp) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  h.Send(TopicKind::kOrg, 0, 0, User("u1", "east", "2026-08-01T00:00:00Z"));
  h.Send(TopicKind::kOrg, 0, 1, User("u9", "west", "2026-12-01T00:00:00Z"));
  ASSERT_TRUE(h.engine.Assign(TopicKind::kPeople, 0).ok());
  Task& task = *h.engine.tasks().at({TopicKind::kPeople, 0});
  EXPECT_FALSE(task.caught_up());
  // Engine time (the org topic's latest, or the wall clock) does not move a task with a backlog.
  h.engine.AdvanceTime(*ParseRfc3339("2026-12-01T00:00:00Z"));
  EXPECT_EQ(task.now(), kNoTime);
  const std::string block =
      R"({"calendar_id":"u1","event_id":"b1","organizer":"u1","attendees":[],)"
      R"("start":"2026-09-01T09:00:00Z","end":"2026-09-01T11:00:00Z","show_as":"busy","protected":true})";
  h.Send(TopicKind::kPeople, 0, 0, Event("c1", "calendar.event.upserted", "2026-08-20T00:00:00Z", block), "u1");
  EXPECT_EQ(task.now(), *ParseRfc3339("2026-08-20T00:00:00Z"));
  // A manager cancels it before it settles: in the backlog's own time, not late.
  const auto cancelled = h.Send(TopicKind::kPeople, 0, 1,
      Event("c2", "calendar.event.cancelled", "2026-08-25T00:00:00Z",
            R"({"calendar_id":"u1","event_id":"b1","cancelled_by":"boss"})"), "u1");
  EXPECT_EQ(cancelled, metrics::EventResult::kAccepted);
  // Once caught up the task follows engine time, and the block settles, lost.
  h.engine.SetCaughtUp(TopicKind::kPeople, 0, true);
  h.engine.AdvanceTime(*ParseRfc3339("2026-12-01T00:00:01Z"));
  EXPECT_EQ(task.now(), *ParseRfc3339("2026-12-01T00:00:01Z"));
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_protected_lost_seconds_total", "east\x1fu1\x1fother_cancelled"), 7200);
}

TEST(EngineLive, EveryCrmPartitionFeedsOneTaskSoAnActivityNamingOnlyALeadCountsWithItsAccount) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  h.Send(TopicKind::kOrg, 0, 0, User("u1", "east", "2026-09-01T00:00:00Z"));
  // The lead lives under its account's key (partition 1); the activity names only the lead and
  // is keyed lead:l1 (partition 2).
  h.Send(TopicKind::kCrm, 1, 0,
         Event("l1", "crm.lead.upserted", "2026-09-02T00:00:00Z",
               R"({"lead_id":"l1","account_id":"acct","owner_id":"u1","source":"inbound","status":"working"})"),
         "acct");
  h.Send(TopicKind::kCrm, 2, 0, Activity("a1", "2026-09-03T00:00:00Z", R"("lead_id":"l1")"), "lead:l1");
  h.engine.SetCaughtUp(TopicKind::kCrm, 0, true);  // read: published from now on
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.engine.tasks().size(), 1u);
  EXPECT_EQ(h.Value("huntline_rep_activities_total", "east\x1fu1\x1finbound_followup"), 1);
  const Task& crm = *h.engine.tasks().at({TopicKind::kCrm, kAllPartitions});
  EXPECT_EQ(crm.next_offset(1), std::optional<int64_t>(1));
  EXPECT_EQ(crm.next_offset(2), std::optional<int64_t>(1));
}

TEST(EngineLive, ADealMovedToAnAccountOnAnotherPartitionIsCreatedOnceAndLeavesTheOldOne) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  h.Send(TopicKind::kOrg, 0, 0, User("u1", "east", "2026-09-01T00:00:00Z"));
  const std::string deal =
      R"({"opportunity_id":"o1","account_id":"%s","owner_id":"u1","type":"new_business",)"
      R"("origin":"seller_sourced","stage":"discovery","amount":1000,"close_date":"2026-12-15",)"
      R"("created_at":"2026-09-02T00:00:00Z"})";
  auto at = [&](const std::string& account) {
    std::string d = deal;
    d.replace(d.find("%s"), 2, account);
    return d;
  };
  h.Send(TopicKind::kCrm, 0, 0, Event("o1a", "crm.opportunity.upserted", "2026-09-02T00:00:00Z", at("old")), "old");
  h.Send(TopicKind::kCrm, 1, 0, Event("o1b", "crm.opportunity.upserted", "2026-09-05T00:00:00Z", at("new")), "new");
  h.engine.SetCaughtUp(TopicKind::kCrm, 0, true);  // read: published from now on
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_pipeline_created_deals_total", "east\x1fseller_sourced"), 1);
  EXPECT_EQ(h.Value("huntline_pipeline_open_deals", "east\x1f" "early\x1f" "seller_sourced"), 1);
}

TEST(EngineLive, ATaskIsPublishedOnlyOnceItHasReadItsBacklog) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  h.Send(TopicKind::kOrg, 0, 0, User("u1", "east", "2026-09-01T00:00:00Z"));
  h.Send(TopicKind::kCrm, 0, 0, Activity("a1", "2026-09-15T10:00:00Z", R"("account_id":"x")"));
  ASSERT_TRUE(h.engine.Commit().ok());
  const std::string key = "east\x1fu1\x1fopportunistic_prospecting";
  EXPECT_EQ(h.Value("huntline_rep_activities_total", key), 0);  // a partial sum: not shown
  EXPECT_EQ(h.engine_metrics.catching_up_partitions().Value(), 1);
  // Read to its end, one message of 2026-09-20 waiting for its turn: it follows engine time no
  // further than that message.
  h.engine.SetCaughtUp(TopicKind::kCrm, 0, true, *ParseRfc3339("2026-09-20T00:00:00Z"));
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Value("huntline_rep_activities_total", key), 1);
  EXPECT_EQ(h.engine_metrics.catching_up_partitions().Value(), 0);
  h.engine.AdvanceTime(*ParseRfc3339("2026-09-25T00:00:00Z"));
  EXPECT_EQ(h.engine.tasks().at({TopicKind::kCrm, kAllPartitions})->now(), *ParseRfc3339("2026-09-20T00:00:00Z"));
  h.engine.SetCaughtUp(TopicKind::kCrm, 0, true);  // the message applied: nothing waits
  h.engine.AdvanceTime(*ParseRfc3339("2026-09-25T00:00:00Z"));
  EXPECT_EQ(h.engine.tasks().at({TopicKind::kCrm, kAllPartitions})->now(), *ParseRfc3339("2026-09-25T00:00:00Z"));
}

TEST(EngineLive, AnEventAYearAfterEverythingSeenIsADeadLetterAndTimeStaysPut) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, Activity("a1", "2026-09-15T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kAccepted);
  // A typo: 2126. Accepted, the task would step through a century of midnights.
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, Activity("a2", "2126-09-15T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kRejected);
  ASSERT_EQ(h.sink.letters.size(), 1u);
  EXPECT_NE(h.sink.letters[0].second.find("36524 days after the latest time seen (2026-09-15T10:00:00"),
            std::string::npos)
      << h.sink.letters[0].second;
  EXPECT_EQ(h.engine.latest_event_time(), *ParseRfc3339("2026-09-15T10:00:00Z"));
  // Within the bound (365 days on): accepted.
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 2, Activity("a3", "2027-09-15T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kAccepted);
}

size_t SeenRecords(storage::KvStore& store) {
  size_t n = 0;
  EXPECT_TRUE(store.Scan("s/", [&](std::string_view, std::string_view) { ++n; }).ok());
  return n;
}

TEST(EngineLive, ARepeatIsADuplicateHoweverLateItComesAndTheIdsLiveInTheStore) {
  storage::MemoryKvStore store;
  const std::string first = Activity("a1", "2026-07-06T14:00:00Z", R"("account_id":"x")");
  {
    Harness h(store, Live());
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, first), metrics::EventResult::kAccepted);
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, first), metrics::EventResult::kDuplicate);  // before the commit
    ASSERT_TRUE(h.engine.Commit().ok());
    EXPECT_EQ(SeenRecords(store), 1u);
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 2, Activity("a2", "2026-09-30T12:00:00Z", R"("account_id":"x")")),
              metrics::EventResult::kAccepted);
    // 86 days later, from the store.
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 3, first), metrics::EventResult::kDuplicate);
    ASSERT_TRUE(h.engine.Commit().ok());
  }
  Harness h(store, Live());  // and after a restart
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 4, first), metrics::EventResult::kDuplicate);
  EXPECT_EQ(SeenRecords(store), 2u);
}

Engine::Options LiveWithDedupWindow(int days) {
  Engine::Options options = Live();
  options.settings.dedup_window_days = days;
  return options;
}

TEST(EngineLive, WithAWindowIdsOfOlderEventsAreForgottenInTheStoreToo) {
  storage::MemoryKvStore store;
  const Engine::Options options = LiveWithDedupWindow(30);
  const std::string first = Activity("a1", "2026-09-01T10:00:00Z", R"("account_id":"x")");
  {
    Harness h(store, options);
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, first), metrics::EventResult::kAccepted);
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, Activity("a2", "2026-09-30T10:00:00Z", R"("account_id":"x")")),
              metrics::EventResult::kAccepted);
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 2, first), metrics::EventResult::kDuplicate);  // 29 days: within
    ASSERT_TRUE(h.engine.Commit().ok());
    EXPECT_EQ(SeenRecords(store), 2u);
  }
  Harness h(store, options);
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 3, first), metrics::EventResult::kDuplicate);
  // The partition's time moves 31 days past the first event: it is forgotten.
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 4, Activity("a3", "2026-10-02T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kAccepted);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(SeenRecords(store), 2u);  // a2's and a3's
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 5, first), metrics::EventResult::kAccepted);  // taken as new
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 6, Activity("a2", "2026-09-30T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kDuplicate);
}

TEST(EngineLive, AnIdForgottenBeforeTheCommitIsForgottenAtOnceAsInReplay) {
  storage::MemoryKvStore store;
  const Engine::Options options = LiveWithDedupWindow(30);
  const std::string first = Activity("a1", "2026-09-01T10:00:00Z", R"("account_id":"x")");
  Harness h(store, options);
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, first), metrics::EventResult::kAccepted);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, Activity("a3", "2026-10-02T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kAccepted);
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 2, first), metrics::EventResult::kAccepted);  // still stored
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(SeenRecords(store), 2u);  // a1 stored again, a3
}

TEST(EngineLive, WithAWindowTheIdsOfAPartitionStayWithinTheWindowsEventsAndAreCounted) {
  storage::MemoryKvStore store;
  const Engine::Options options = LiveWithDedupWindow(30);
  constexpr int kPerDay = 20;
  constexpr int kDays = 150;
  const Timestamp start = *ParseRfc3339("2026-01-01T00:00:00Z");
  Harness h(store, options);
  int64_t offset = 0;
  size_t most = 0;
  for (int day = 0; day < kDays; ++day) {
    for (int i = 0; i < kPerDay; ++i) {
      const std::string id = "a" + std::to_string(day) + "-" + std::to_string(i);
      const std::string time = FormatRfc3339(start + Timestamp{day} * 86'400'000 + i * 60'000);
      ASSERT_EQ(h.Send(TopicKind::kCrm, 0, offset++, Activity(id, time, R"("account_id":"x")")),
                metrics::EventResult::kAccepted);
    }
    ASSERT_TRUE(h.engine.Commit().ok());
    // The gauge counts what the store holds: this day's ids and those of the 30 days before.
    const size_t stored = SeenRecords(store);
    EXPECT_EQ(h.engine_metrics.DedupIds(options.topics.crm, kAllPartitions).Value(), static_cast<double>(stored)) << day;
    EXPECT_EQ(stored, static_cast<size_t>(std::min(day + 1, 31) * kPerDay)) << day;
    most = std::max(most, stored);
  }
  EXPECT_EQ(most, 31u * kPerDay);  // flat from day 30 on, over five months of events
}

TEST(EngineLive, IdsKeptInTheFirstFormatsMoveToARecordEach) {
  storage::MemoryKvStore store;
  storage::WriteBatch batch;
  batch.Put("t/huntline.crm/all/seen/0000000000000001",
            storage::Encoder().U64(1).Str(std::string("t\x1f") + "a1").str());
  ASSERT_TRUE(store.Write(batch).ok());
  Harness h(store, Live());
  EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, Activity("a1", "2026-09-01T10:00:00Z", R"("account_id":"x")")),
            metrics::EventResult::kDuplicate);
  ASSERT_TRUE(h.engine.Commit().ok());
  EXPECT_EQ(SeenRecords(store), 1u);
  EXPECT_FALSE(store.Get("t/huntline.crm/all/seen/0000000000000001").has_value());
}

TEST(EngineLive, APeopleEventUnderAnotherPersonsKeyIsADeadLetter) {
  storage::MemoryKvStore store;
  Harness h(store, Live());
  ASSERT_TRUE(h.engine.Assign(TopicKind::kPeople, 0).ok());
  const std::string task = Event("t1", "crm.task.assigned", "2026-09-01T10:00:00Z",
                                 R"({"task_id":"t1","assignee_id":"u1","assigned_by":"boss","kind":"admin"})");
  EXPECT_EQ(h.Send(TopicKind::kPeople, 0, 0, task, "u2"), metrics::EventResult::kRejected);
  ASSERT_EQ(h.sink.letters.size(), 1u);
  EXPECT_NE(h.sink.letters[0].second.find("does not match the event's person \"u1\""), std::string::npos)
      << h.sink.letters[0].second;
  EXPECT_EQ(h.Send(TopicKind::kPeople, 0, 1, task, "u1"), metrics::EventResult::kAccepted);
}

/// The contract's medium example as messages of the three topics, in file order.
struct Stream {
  struct Message {
    TopicKind kind;
    int64_t offset;  // within its topic's partition 0
    Timestamp time;
    std::string value;
  };
  std::vector<Message> messages;

  Stream() {
    std::ifstream in(std::string(HUNTLINE_SHARED_DIR) + "/contract/examples/medium-org.jsonl");
    std::map<TopicKind, int64_t> next;
    for (std::string line; std::getline(in, line);) {
      const auto doc = nlohmann::json::parse(line);
      const std::string type = doc["type"];
      const TopicKind kind = type.starts_with("org.") || type == "crm.account.upserted" ||
                                     type == "crm.contact.upserted"
                                 ? TopicKind::kOrg
                             : type.starts_with("calendar.") || type == "crm.task.assigned"
                                 ? TopicKind::kPeople
                                 : TopicKind::kCrm;
      messages.push_back({kind, next[kind]++, *ParseRfc3339(doc["time"].get<std::string>()), line});
    }
  }
  /// Handles messages [from, to) as a live run would, engine time following event time.
  void Feed(Harness& h, size_t from, size_t to, bool org_only = false) const {
    for (size_t i = from; i < to; ++i) {
      const Message& m = messages[i];
      if (org_only && m.kind != TopicKind::kOrg) continue;
      h.engine.AdvanceTime(m.time);
      if (m.kind != TopicKind::kOrg && !h.engine.tasks().contains({m.kind, 0})) {
        ASSERT_TRUE(h.engine.Assign(m.kind, 0).ok());
      }
      h.Send(m.kind, 0, m.offset, m.value);
    }
  }
};

/// Every non-zero series of every family, by family name.
std::map<std::string, std::map<std::string, double>> Figures(Harness& h) {
  std::map<std::string, std::map<std::string, double>> out;
  const auto snapshot = h.published.Current();
  for (size_t f = 0; f < snapshot->families.size(); ++f) {
    for (const auto& [key, value] : *snapshot->families[f]) {
      if (value != 0) out[h.catalog.spec(static_cast<metrics::FamilyId>(f)).name][key] = value;
    }
  }
  return out;
}

/// An engine whose store holds the state committed after `committed` messages, as a new
/// process: reads the org topic again from its start, finds each task's offsets where they were
/// committed, and handles the rest of the stream.
void ResumeAfter(const Stream& stream, Harness& h, size_t committed) {
  stream.Feed(h, 0, committed, /*org_only=*/true);
  for (TopicKind kind : {TopicKind::kCrm, TopicKind::kPeople}) {
    auto next = h.engine.Assign(kind, 0);
    ASSERT_TRUE(next.ok());
    int64_t expected = 0;
    for (size_t i = 0; i < committed; ++i) expected += stream.messages[i].kind == kind;
    ASSERT_EQ(*next, (std::map<int32_t, int64_t>{{0, expected}}));
  }
  stream.Feed(h, committed, stream.messages.size());
  ASSERT_TRUE(h.engine.Commit().ok());
}

/// Every non-zero series of `got` equals `reference`'s, and there are enough to mean something.
void ExpectSameFigures(Harness& reference, Harness& got_from) {
  const auto want = Figures(reference);
  const auto got = Figures(got_from);
  EXPECT_GT(want.size(), 15u);
  for (const auto& [family, series] : want) EXPECT_EQ(got.count(family) ? got.at(family) : decltype(series){}, series) << family;
  EXPECT_EQ(got.size(), want.size());
}

TEST(Engine, StateReadFromTheStoreWhenNeededGivesTheSameFiguresAsStateHeldInMemory) {
  const Stream stream;
  storage::MemoryKvStore reference_store;
  Engine::Options in_memory;
  in_memory.durable = false;  // everything in memory, as replay
  Harness reference(reference_store, in_memory);
  stream.Feed(reference, 0, stream.messages.size());
  ASSERT_TRUE(reference.engine.Commit().ok());

  // One value of each cached structure kept decoded: every other one is read back from the
  // store, after commits every 50 messages, and after a restart in the middle.
  storage::MemoryKvStore store;
  Engine::Options tiny;
  tiny.state_cache_entries = 1;
  const size_t committed = 1100;
  {
    Harness h(store, tiny);
    for (size_t i = 0; i < committed; i += 50) {
      stream.Feed(h, i, std::min(i + 50, committed));
      ASSERT_TRUE(h.engine.Commit().ok());
    }
  }
  Harness h(store, tiny);
  ResumeAfter(stream, h, committed);
  ExpectSameFigures(reference, h);
}

TEST(Engine, EveryFigureIsTheSameAfterACrashAndARestartFromTheStore) {
  const Stream stream;
  ASSERT_GT(stream.messages.size(), 2000u);
  storage::MemoryKvStore reference_store;
  Harness reference(reference_store);
  stream.Feed(reference, 0, stream.messages.size());
  ASSERT_TRUE(reference.engine.Commit().ok());

  const auto dir = std::filesystem::temp_directory_path() / "huntline_engine_crash_figures";
  std::filesystem::remove_all(dir);
  const size_t committed = 1300;
  {
    auto store = storage::OpenRocksDb(dir.string());
    ASSERT_TRUE(store.ok());
    Harness h(**store);
    stream.Feed(h, 0, committed);
    ASSERT_TRUE(h.engine.Commit().ok());
    stream.Feed(h, committed, committed + 400);  // handled, never committed: lost in the crash
  }
  auto store = storage::OpenRocksDb(dir.string());
  ASSERT_TRUE(store.ok());
  Harness h(**store);
  ResumeAfter(stream, h, committed);

  // The daily history too: every day's record of every task, as an uninterrupted run wrote it.
  auto want_history = metrics::LoadHistory(reference_store);
  auto got_history = metrics::LoadHistory(**store);
  ASSERT_TRUE(want_history.ok() && got_history.ok());
  EXPECT_GT(want_history->size(), 100u);
  ASSERT_EQ(got_history->size(), want_history->size());
  auto as_map = [](const metrics::History::Record& record) {
    std::map<std::string, double> out;  // series order within a record is not significant
    for (const auto& sample : record) out[sample.family + " " + sample.series] = sample.value;
    return out;
  };
  for (const auto& [day, owners] : *want_history) {
    ASSERT_TRUE(got_history->contains(day)) << FormatDate(day);
    ASSERT_EQ(got_history->at(day).size(), owners.size()) << FormatDate(day);
    for (const auto& [owner, record] : owners) {
      ASSERT_TRUE(got_history->at(day).contains(owner)) << FormatDate(day) << " " << owner;
      EXPECT_EQ(as_map(got_history->at(day).at(owner)), as_map(record)) << FormatDate(day) << " " << owner;
    }
  }

  ExpectSameFigures(reference, h);
}

/// A changelog in memory: each task's messages in commit order, those of a commit appended only
/// when it commits. The crm task is logged only while `log_crm` (the instance publishing it).
class MemoryChangelog : public ChangelogSink {
 public:
  using Message = std::pair<std::string, std::optional<std::string>>;
  bool Logs(const Task& task) const override { return task.kind() == TopicKind::kPeople || log_crm; }
  Status Send(const Task& task, std::string_view key, std::optional<std::string_view> value) override {
    pending[task.prefix()].emplace_back(std::string(key),
                                        value ? std::optional<std::string>(std::string(*value)) : std::nullopt);
    return Status::Ok();
  }
  Result<std::map<std::string, int64_t>> Commit(const std::vector<const Task*>&) override {
    std::map<std::string, std::vector<Message>> sent;
    sent.swap(pending);
    if (fail_next) return Status::Error("the transaction was aborted");
    std::map<std::string, int64_t> next;
    for (auto& [prefix, messages] : sent) {
      auto& log = logs[prefix];
      log.insert(log.end(), messages.begin(), messages.end());
      next[prefix] = static_cast<int64_t>(log.size());
    }
    return next;
  }
  /// Rebuilds every task logged into `store` from its changelog alone, as a restore does.
  void RestoreInto(storage::KvStore& store) const {
    for (const auto& [prefix, log] : logs) {
      changelog::Applier applier(store, prefix);
      ASSERT_TRUE(applier.Begin(true).ok());
      for (const auto& [key, value] : log) {
        ASSERT_TRUE(applier.Apply(key, value ? std::optional<std::string_view>(*value) : std::nullopt).ok());
      }
      ASSERT_TRUE(applier.Finish(static_cast<int64_t>(log.size())).ok());
    }
  }

  bool log_crm = true;
  bool fail_next = false;
  std::map<std::string, std::vector<Message>> pending;
  std::map<std::string, std::vector<Message>> logs;
};

Engine::Options WithChangelog(ChangelogSink& log) {
  Engine::Options options;
  options.changelog = &log;
  return options;
}

/// A task's keys in a store, without the store's own (checkpoint, restore mark).
std::map<std::string, std::string> TaskState(storage::KvStore& store, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const std::string& p : changelog::StatePrefixes(prefix)) {
    (void)store.Scan(p, [&](std::string_view key, std::string_view value) {
      if (!changelog::LocalOnly(key, prefix)) out.emplace(std::string(key), std::string(value));
    });
  }
  return out;
}

TEST(EngineChangelog, StandbyCopiesGoToTheMembersAfterEachOwnerNeverToItself) {
  const std::map<std::string, std::set<int32_t>> members = {{"a", {0, 1}}, {"b", {2, 3}}, {"c", {4, 5}}};
  using Set = std::set<int32_t>;
  EXPECT_EQ(changelog::StandbyPartitions(members, "a", 1), (Set{4, 5}));
  EXPECT_EQ(changelog::StandbyPartitions(members, "b", 1), (Set{0, 1}));
  EXPECT_EQ(changelog::StandbyPartitions(members, "c", 1), (Set{2, 3}));
  EXPECT_EQ(changelog::StandbyPartitions(members, "a", 2), (Set{2, 3, 4, 5}));
  EXPECT_EQ(changelog::StandbyPartitions(members, "a", 7), (Set{2, 3, 4, 5}));  // two copies at most
  EXPECT_EQ(changelog::StandbyPartitions(members, "a", 0), Set{});
  EXPECT_EQ(changelog::StandbyPartitions(members, "d", 1), Set{});  // not (yet) a member
  // A member that owns nothing still keeps copies; the copies of each partition number `replicas`.
  const std::map<std::string, std::set<int32_t>> four = {{"a", {0}}, {"b", {1}}, {"c", {}}, {"d", {2}}};
  std::map<int32_t, int> copies;
  for (const auto& [id, owned] : four) {
    for (int32_t p : changelog::StandbyPartitions(four, id, 2)) {
      EXPECT_FALSE(owned.contains(p)) << id;
      ++copies[p];
    }
  }
  EXPECT_EQ(copies, (std::map<int32_t, int>{{0, 2}, {1, 2}, {2, 2}}));
}

TEST(EngineChangelog, AnApplierWritesNothingBeforeItsFinishUnlessItMustAndThenMarksTheState) {
  storage::MemoryKvStore store;
  const std::string prefix = "t/p/0/";
  const std::string mark = prefix + std::string(changelog::kRestoring);
  const std::string checkpoint = prefix + std::string(changelog::kCheckpoint);
  {
    changelog::Applier applier(store, prefix);
    ASSERT_TRUE(applier.Begin(/*wipe=*/false).ok());
    ASSERT_TRUE(applier.Apply(prefix + "a", "1").ok());
    ASSERT_TRUE(applier.Apply("elsewhere", "x").ok());  // not the task's: ignored
    EXPECT_TRUE(TaskState(store, prefix).empty());
    ASSERT_TRUE(applier.Finish(7).ok());
    EXPECT_EQ(TaskState(store, prefix), (std::map<std::string, std::string>{{prefix + "a", "1"}}));
    EXPECT_TRUE(store.Get(checkpoint).has_value());
    EXPECT_FALSE(store.Get("elsewhere").has_value());
  }
  {
    // Stopped before its Finish with little held: the store stays the last Finish's.
    changelog::Applier applier(store, prefix);
    ASSERT_TRUE(applier.Begin(false).ok());
    ASSERT_TRUE(applier.Apply(prefix + "a", std::nullopt).ok());
    EXPECT_TRUE(applier.Discard());
    EXPECT_EQ(TaskState(store, prefix).size(), 1u);
    EXPECT_FALSE(store.Get(mark).has_value());
  }
  {
    // Too much held: part of it is written, after the mark, which stays if it stops there.
    changelog::Applier applier(store, prefix);
    ASSERT_TRUE(applier.Begin(false).ok());
    for (size_t i = 0; i < changelog::Applier::kHeldChanges; ++i) {
      ASSERT_TRUE(applier.Apply(prefix + "k" + std::to_string(i), "v").ok());
    }
    EXPECT_TRUE(store.Get(mark).has_value());
    EXPECT_FALSE(applier.Discard());
    EXPECT_TRUE(store.Get(mark).has_value());
  }
  {
    // An epoch message: the task's keys are dropped at once, marked, until the copy is finished.
    changelog::Applier applier(store, prefix);
    ASSERT_TRUE(applier.Begin(false).ok());
    ASSERT_TRUE(applier.Apply(prefix + std::string(changelog::kEpoch), "").ok());
    EXPECT_TRUE(TaskState(store, prefix).empty());
    EXPECT_TRUE(store.Get(mark).has_value());
    ASSERT_TRUE(applier.Apply(prefix + "b", "2").ok());
    ASSERT_TRUE(applier.Finish(9).ok());
    EXPECT_EQ(TaskState(store, prefix), (std::map<std::string, std::string>{{prefix + "b", "2"}}));
    EXPECT_FALSE(store.Get(mark).has_value());
  }
}

TEST(EngineChangelog, AnotherInstanceRebuildsEveryTaskFromTheChangelogAloneAndCountsOnExactly) {
  const Stream stream;
  storage::MemoryKvStore reference_store;
  Harness reference(reference_store);
  stream.Feed(reference, 0, stream.messages.size());
  ASSERT_TRUE(reference.engine.Commit().ok());

  // The first instance commits every 100 messages; for a stretch another instance publishes the
  // crm task (this one computes it unlogged), then this one again (a full copy, after an epoch).
  MemoryChangelog log;
  storage::MemoryKvStore first_store;
  size_t committed = 0;
  {
    Harness h(first_store, WithChangelog(log));
    for (size_t i = 0; i < 1700; i += 100) {
      log.log_crm = !(i >= 500 && i < 900);
      stream.Feed(h, i, i + 100);
      ASSERT_TRUE(h.engine.Commit().ok());
      committed = i + 100;
    }
    // A commit whose transaction is aborted: neither its changelog messages nor its state count.
    stream.Feed(h, committed, committed + 300);
    log.fail_next = true;
    ASSERT_FALSE(h.engine.Commit().ok());
    for (const auto& [key, task] : h.engine.tasks()) {
      EXPECT_EQ(TaskState(first_store, task->prefix()).empty(), false) << task->prefix();
    }
  }
  ASSERT_EQ(log.logs.size(), 2u);  // the crm task and the one people task
  bool epoch = false;
  for (const auto& [key, value] : log.logs.begin()->second) epoch |= key.ends_with("/epoch");
  EXPECT_TRUE(epoch) << "the crm task logged again after an unlogged stretch starts with a full copy";

  // A second instance with nothing but the changelog.
  storage::MemoryKvStore second_store;
  log.RestoreInto(second_store);
  for (const auto& [prefix, messages] : log.logs) {
    EXPECT_EQ(TaskState(second_store, prefix), TaskState(first_store, prefix)) << prefix;
  }
  Harness h(second_store, WithChangelog(log));
  log.fail_next = false;
  ResumeAfter(stream, h, committed);
  ExpectSameFigures(reference, h);
}

TEST(EngineChangelog, ARunWithoutTheChangelogIsCopiedToItInFullWhenItIsOnAgain) {
  const Stream stream;
  MemoryChangelog log;
  storage::MemoryKvStore store;
  // On, off (kafka.changelog false: the changes are not logged), on again, over one store.
  const size_t stretches[] = {0, 600, 1200, 1800};
  for (int i = 0; i < 3; ++i) {
    Harness h(store, i == 1 ? Engine::Options{} : WithChangelog(log));
    stream.Feed(h, 0, stretches[i], /*org_only=*/true);
    stream.Feed(h, stretches[i], stretches[i + 1]);
    ASSERT_TRUE(h.engine.Commit().ok());
  }
  storage::MemoryKvStore rebuilt;
  log.RestoreInto(rebuilt);
  ASSERT_EQ(log.logs.size(), 2u);
  for (const auto& [prefix, messages] : log.logs) {
    EXPECT_EQ(TaskState(rebuilt, prefix), TaskState(store, prefix)) << prefix;
  }
}

/// A memory store whose logged writes fail while `fail` is set (a full disk).
class FailingStore : public storage::MemoryKvStore {
 public:
  Status Write(const storage::WriteBatch& batch) override {
    if (fail.load()) return Status::Error("disk full");
    return MemoryKvStore::Write(batch);
  }
  std::atomic<bool> fail = false;
};

// A batch written behind whose write fails: the next commit stops before its changelog
// transaction (which carries the group offsets), so what another instance restores holds each
// event once.
TEST(EngineChangelog, AFailedWriteBehindStopsTheNextCommitBeforeItsTransaction) {
  FailingStore base;
  MemoryChangelog log;
  {
    storage::WriteBehindKvStore store(base);
    Harness h(store, WithChangelog(log));
    h.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
    ASSERT_TRUE(h.engine.Assign(TopicKind::kCrm, 0).ok());
    Task& task = *h.engine.tasks().at({TopicKind::kCrm, kAllPartitions});
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 0, ActivityEvent(0)), metrics::EventResult::kAccepted);
    task.set_next_offset(0, 1);
    ASSERT_TRUE(h.engine.Commit().ok());
    ASSERT_TRUE(store.Settle().ok());
    base.fail = true;
    EXPECT_EQ(h.Send(TopicKind::kCrm, 0, 1, ActivityEvent(1)), metrics::EventResult::kAccepted);
    task.set_next_offset(0, 2);
    ASSERT_TRUE(h.engine.Commit().ok());  // handed over; its write fails behind
    (void)store.Settle();
    base.fail = false;
    // The same event again (a producer's retry): the store answers without the failed batch.
    h.Send(TopicKind::kCrm, 0, 2, ActivityEvent(1));
    task.set_next_offset(0, 3);
    const auto logged = log.logs;
    const Status s = h.engine.Commit();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("disk full"), std::string::npos) << s.message();
    EXPECT_EQ(log.logs, logged) << "the transaction went out after the write before it failed";
  }
  storage::MemoryKvStore rebuilt;
  log.RestoreInto(rebuilt);
  Harness again(rebuilt);
  again.Send(TopicKind::kOrg, 0, 0, UserEvent("u1", "east"));
  ASSERT_TRUE(again.engine.Assign(TopicKind::kCrm, 0).ok());
  again.engine.SetCaughtUp(TopicKind::kCrm, 0, true);
  ASSERT_TRUE(again.engine.Commit().ok());
  EXPECT_LE(again.Value("huntline_activities_total", kKey), 2);
}

}  // namespace
}  // namespace huntline::engine

namespace huntline::engine {
namespace {

TEST(Config, TheTimeJumpBoundIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"thresholds":{"max_time_jump_days":30}})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->settings.max_time_jump_days, 30);
  EXPECT_EQ(ParseConfig("{}", "test.json")->settings.max_time_jump_days, 366);
  auto bad = ParseConfig(R"({"thresholds":{"max_time_jump_days":0}})", "test.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("thresholds.max_time_jump_days"), std::string::npos)
      << bad.status().message();
}

TEST(Config, PerPersonMetricsAreOnPseudonymizedWithAKeyOrOff) {
  EXPECT_EQ(ParseConfig("{}", "t.json")->privacy.per_person_metrics, metrics::PerPerson::kOn);
  EXPECT_EQ(ParseConfig(R"({"privacy":{"per_person_metrics":"off"}})", "t.json")->privacy.per_person_metrics,
            metrics::PerPerson::kOff);
  auto pseudonymized =
      ParseConfig(R"({"privacy":{"per_person_metrics":"pseudonymized","pseudonym_key":"k"}})", "t.json");
  ASSERT_TRUE(pseudonymized.ok()) << pseudonymized.status().message();
  EXPECT_EQ(pseudonymized->privacy.per_person_metrics, metrics::PerPerson::kPseudonymized);
  auto keyless = ParseConfig(R"({"privacy":{"per_person_metrics":"pseudonymized"}})", "t.json");
  ASSERT_FALSE(keyless.ok());
  EXPECT_NE(keyless.status().message().find("privacy.pseudonym_key"), std::string::npos);
  auto bad = ParseConfig(R"({"privacy":{"per_person_metrics":"hidden"}})", "t.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("privacy.per_person_metrics"), std::string::npos);
}

TEST(Config, RocksDbsMemoryBudgetIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"rocksdb":{"block_cache_mb":16,"write_buffer_mb":8}})", "t.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->rocksdb_block_cache_mb, 16);
  EXPECT_EQ(config->rocksdb_write_buffer_mb, 8);
  EXPECT_EQ(ParseConfig("{}", "t.json")->rocksdb_block_cache_mb, 64);
  auto bad = ParseConfig(R"({"rocksdb":{"write_buffer_mb":0}})", "t.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rocksdb.write_buffer_mb"), std::string::npos) << bad.status().message();
}

TEST(Config, TheSeriesLimitIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"limits":{"max_series_per_family":10}})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->settings.max_series_per_family, 10);
  EXPECT_EQ(ParseConfig("{}", "test.json")->settings.max_series_per_family, 250000);
  for (const char* text : {R"({"limits":{"max_series_per_family":0}})", R"({"limits":{"max_series":5}})"}) {
    auto bad = ParseConfig(text, "test.json");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("limits."), std::string::npos) << bad.status().message();
  }
}

TEST(Config, TheOrgCacheSizeIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"limits":{"org_cache_entries":1000}})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->org_cache_entries, 1000);
  EXPECT_EQ(ParseConfig("{}", "test.json")->org_cache_entries, 50000);
  auto bad = ParseConfig(R"({"limits":{"org_cache_entries":0}})", "test.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("limits.org_cache_entries"), std::string::npos)
      << bad.status().message();
}

TEST(Config, TheStateCacheSizeIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"limits":{"state_cache_entries":1000}})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->state_cache_entries, 1000);
  EXPECT_EQ(ParseConfig("{}", "test.json")->state_cache_entries, 50000);
  auto bad = ParseConfig(R"({"limits":{"state_cache_entries":0}})", "test.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("limits.state_cache_entries"), std::string::npos)
      << bad.status().message();
}

TEST(Config, TheReadAheadLimitIsSetAndCheckedByName) {
  auto config = ParseConfig(R"({"limits":{"read_ahead_messages":500}})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->read_ahead_messages, 500);
  EXPECT_EQ(ParseConfig("{}", "test.json")->read_ahead_messages, 20000);
  auto bad = ParseConfig(R"({"limits":{"read_ahead_messages":10}})", "test.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("limits.read_ahead_messages"), std::string::npos)
      << bad.status().message();
}

TEST(Config, TheChangelogIsOnByDefaultAndItsReplicationFactorIsCheckedByName) {
  auto defaults = ParseConfig("{}", "test.json");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->kafka.changelog);
  EXPECT_EQ(defaults->kafka.changelog_replication_factor, -1);
  auto set = ParseConfig(R"({"kafka":{"changelog":false,"changelog_replication_factor":3}})", "test.json");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_FALSE(set->kafka.changelog);
  EXPECT_EQ(set->kafka.changelog_replication_factor, 3);
  auto bad = ParseConfig(R"({"kafka":{"changelog_replication_factor":0}})", "test.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("kafka.changelog_replication_factor"), std::string::npos)
      << bad.status().message();
}

TEST(Config, StandbyReplicasNeedTheChangelogAndAreCheckedByName) {
  EXPECT_EQ(ParseConfig("{}", "test.json")->kafka.num_standby_replicas, 0);
  auto set = ParseConfig(R"({"kafka":{"num_standby_replicas":2}})", "test.json");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->kafka.num_standby_replicas, 2);
  for (const char* text : {R"({"kafka":{"num_standby_replicas":-1}})",
                           R"({"kafka":{"num_standby_replicas":1,"changelog":false}})"}) {
    auto bad = ParseConfig(text, "test.json");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("kafka.num_standby_replicas"), std::string::npos) << bad.status().message();
  }
}

TEST(Config, TheWebConfigFileIsReadAndCheckedByName) {
  auto config = ParseConfig(R"({"web_config_file":"/etc/huntline/web.yml"})", "test.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->web_config_file, "/etc/huntline/web.yml");
  EXPECT_EQ(ParseConfig("{}", "test.json")->web_config_file, "");
  for (const char* text : {R"({"web_config_file":""})", R"({"web_config_file":3})"}) {
    auto bad = ParseConfig(text, "test.json");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("test.json: web_config_file: must"), std::string::npos)
        << bad.status().message();
  }
}

}  // namespace
}  // namespace huntline::engine
