// The protected-time processor on a people partition: settlement on event-time timers, late
// changes, upcoming conflicts, the management chain and team at settlement, meeting counterparts,
// team policies, and a restart.
#include "processors/protected_processor.h"

#include <gtest/gtest.h>

#include "tests/processors/crm_harness.h"

namespace huntline::processors {
namespace {

using ingest::EventType;
using testing::At;
using testing::CrmHarness;

constexpr const char* kTeam = "east";

ingest::Event User(std::string id, ingest::Role role, std::string team,
                   std::optional<std::string> manager, Timestamp time,
                   std::string tz = "America/New_York") {
  ingest::UserUpserted u{id, id, id + "@acme.example", role, std::move(team), std::move(manager),
                         std::move(tz), std::nullopt, true};
  return testing::Wrap(EventType::kUserUpserted, time, u, "user-" + id + FormatRfc3339(time));
}

ingest::Event Account(std::string id, ingest::Relationship relationship) {
  ingest::AccountUpserted a{id, id, {id + ".example"}, relationship, std::nullopt,
                            ingest::IcpTier::kB, {}};
  return testing::Wrap(EventType::kAccountUpserted, 0, a, "account-" + id);
}

ingest::CalendarEventUpserted Event(std::string calendar, std::string id, const char* start,
                                    const char* end, std::string organizer,
                                    std::vector<std::string> attendees = {}) {
  ingest::CalendarEventUpserted e;
  e.calendar_id = std::move(calendar);
  e.event_id = std::move(id);
  e.organizer = std::move(organizer);
  for (auto& a : attendees) e.attendees.push_back({std::move(a), ingest::Response::kAccepted});
  e.start = At(start);
  e.end = At(end);
  e.show_as = ingest::ShowAs::kBusy;
  e.is_protected = false;
  return e;
}

ingest::CalendarEventUpserted ProtectedBlock(const char* start, const char* end,
                                             std::optional<std::string> rrule = std::nullopt) {
  auto e = Event("rep", "blk", start, end, "rep", {"rep"});
  e.is_protected = true;
  e.rrule = std::move(rrule);
  return e;
}

class ProtectedTime : public ::testing::Test {
 public:
  explicit ProtectedTime(Settings settings = {}) : h_(std::move(settings), ingest::TopicKind::kPeople) {
    h_.Org(User("vp", ingest::Role::kExecutive, "leadership", std::nullopt, 0));
    h_.Org(User("mgr", ingest::Role::kManager, kTeam, "vp", 0));
    h_.Org(User("rep", ingest::Role::kRep, kTeam, "mgr", 0));
    h_.Org(User("peer", ingest::Role::kRep, kTeam, "mgr", 0));
    h_.Org(User("boss2", ingest::Role::kManager, "west", "vp", 0));
    h_.Org(Account("initech", ingest::Relationship::kCustomer));
    h_.Org(Account("globex", ingest::Relationship::kProspect));
  }
  metrics::EventResult Upsert(const char* time, ingest::CalendarEventUpserted e) {
    return h_.Crm(EventType::kCalendarEventUpserted, At(time), std::move(e));
  }
  metrics::EventResult Cancel(const char* time, std::string calendar, std::string id,
                              std::optional<std::string> by,
                              std::optional<const char*> original = std::nullopt) {
    ingest::CalendarEventCancelled c{std::move(calendar), std::move(id), std::move(by), std::nullopt};
    if (original) c.original_start = At(*original);
    return h_.Crm(EventType::kCalendarEventCancelled, At(time), std::move(c));
  }
  metrics::EventResult Task(const char* time, std::string id, std::string by, ingest::TaskKind kind,
                            std::optional<double> effort) {
    return h_.Crm(EventType::kTaskAssigned, At(time),
                  ingest::TaskAssigned{std::move(id), "rep", std::move(by), kind, std::nullopt, effort});
  }
  double Protected(const std::string& team = kTeam) {
    return h_.Value("huntline_protected_seconds_total", {team, "rep"});
  }
  double Lost(const std::string& cause, const std::string& team = kTeam) {
    return h_.Value("huntline_protected_lost_seconds_total", {team, "rep", cause});
  }
  double Conflicts(const std::string& cause) {
    return h_.Value("huntline_protected_conflicts_upcoming", {kTeam, cause});
  }

  CrmHarness h_;
};

TEST_F(ProtectedTime, ABlockSettlesOnceWhenEngineTimePassesItsEndPlusTheLateness) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  Upsert("2026-10-02T08:00:00Z", Event("rep", "sync", "2026-10-06T13:30:00Z", "2026-10-06T14:00:00Z",
                                       "mgr", {"rep", "mgr"}));
  h_.AdvanceTo(At("2026-10-06T15:59:59Z"));
  EXPECT_EQ(Protected(), 0);
  h_.AdvanceTo(At("2026-10-06T16:00:00Z"));
  EXPECT_EQ(Protected(), 7200);
  EXPECT_EQ(Lost("manager_meeting"), 1800);
  EXPECT_EQ(h_.Value("huntline_interruptions_total", {kTeam, "manager_meeting"}), 1);
  EXPECT_EQ(h_.Value("huntline_manager_interruptions_total", {kTeam, "mgr"}), 1);
  EXPECT_EQ(h_.Value("huntline_manager_interruption_seconds_total", {kTeam, "mgr"}), 1800);
  EXPECT_EQ(h_.Value("huntline_meeting_seconds_total", {kTeam, "rep", "internal"}), 1800);
  h_.AdvanceTo(At("2026-10-20T00:00:00Z"));
  EXPECT_EQ(Protected(), 7200);
  EXPECT_EQ(Lost("manager_meeting"), 1800);
}

TEST_F(ProtectedTime, AChangeAtExactlyEndPlusLatenessArrivesAfterTheSettlement) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  EXPECT_EQ(Upsert("2026-10-06T16:00:00Z", Event("rep", "late", "2026-10-06T13:00:00Z",
                                                 "2026-10-06T14:00:00Z", "mgr", {"rep"})),
            metrics::EventResult::kLate);
  EXPECT_EQ(Task("2026-10-06T16:00:00Z", "t-late", "mgr", ingest::TaskKind::kAdmin, 30.0),
            metrics::EventResult::kAccepted);  // its time is after the block: not about it
  ingest::TaskAssigned inside{"t-in", "rep", "mgr", ingest::TaskKind::kAdmin, std::nullopt, 30.0};
  // A task whose time falls in the settled block, arriving after settlement: late.
  EXPECT_EQ(h_.Crm(EventType::kTaskAssigned, At("2026-10-06T14:00:00Z"), inside),
            metrics::EventResult::kLate);
  h_.AdvanceTo(At("2026-10-08T00:00:00Z"));
  EXPECT_EQ(Protected(), 7200);
  EXPECT_EQ(h_.Sum("huntline_protected_lost_seconds_total"), 0);
  EXPECT_EQ(h_.Sum("huntline_meeting_seconds_total"), 0);  // the late meeting never counts
}

TEST_F(ProtectedTime, UpcomingConflictsMoveAsSoonAsAMeetingIsBookedOrCancelled) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z"));
  Upsert("2026-10-01T09:00:00Z", Event("rep", "sync", "2026-10-20T14:00:00Z", "2026-10-20T15:00:00Z",
                                       "mgr", {"rep"}));
  EXPECT_EQ(Conflicts("manager_meeting"), 0);  // starts in 19 days: not upcoming yet
  h_.AdvanceTo(At("2026-10-06T13:00:00Z"));    // exactly 14 days before
  EXPECT_EQ(Conflicts("manager_meeting"), 1);
  Cancel("2026-10-07T09:00:00Z", "rep", "sync", "mgr");
  EXPECT_EQ(Conflicts("manager_meeting"), 0);
  Upsert("2026-10-08T09:00:00Z", Event("rep", "call", "2026-10-20T13:00:00Z", "2026-10-20T14:00:00Z",
                                       "rep", {"rep", "buyer@initech.example"}));
  EXPECT_EQ(Conflicts("customer_meeting"), 1);
  h_.AdvanceTo(At("2026-10-20T13:00:00Z"));  // the block has started: no longer upcoming
  EXPECT_EQ(Conflicts("customer_meeting"), 0);
}

TEST_F(ProtectedTime, TheChainAndTeamAreThoseKnownAtSettlement) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  Upsert("2026-10-01T09:00:00Z", Event("rep", "plan", "2026-10-06T13:00:00Z", "2026-10-06T14:00:00Z",
                                       "boss2", {"rep", "boss2"}));
  EXPECT_EQ(Conflicts("other_meeting"), 1);
  // Before the block settles, the rep moves to boss2's team.
  h_.Org(User("rep", ingest::Role::kRep, "west", "boss2", At("2026-10-02T00:00:00Z")));
  EXPECT_EQ(h_.Value("huntline_protected_conflicts_upcoming", {"west", "manager_meeting"}), 1);
  EXPECT_EQ(Conflicts("other_meeting"), 0);
  h_.AdvanceTo(At("2026-10-06T16:00:00Z"));
  EXPECT_EQ(Protected("west"), 7200);
  EXPECT_EQ(Lost("manager_meeting", "west"), 3600);
  EXPECT_EQ(h_.Value("huntline_manager_interruptions_total", {"west", "boss2"}), 1);
  EXPECT_EQ(Protected(kTeam), 0);
}

TEST_F(ProtectedTime, TheManagersManagerIsInTheChainAndAPeerIsNot) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  Upsert("2026-10-01T09:00:00Z", Event("rep", "qbr", "2026-10-06T13:00:00Z", "2026-10-06T13:30:00Z",
                                       "vp@acme.example", {"rep"}));
  Upsert("2026-10-01T09:00:00Z", Event("rep", "pair", "2026-10-06T14:00:00Z", "2026-10-06T14:20:00Z",
                                       "peer", {"rep", "peer"}));
  Cancel("2026-10-02T09:00:00Z", "rep", "blk", "vp");
  h_.AdvanceTo(At("2026-10-06T16:00:00Z"));
  // Cancelled by the vp: every second lost to that one change, nothing left for meetings.
  EXPECT_EQ(Lost("manager_cancelled"), 7200);
  EXPECT_EQ(h_.Sum("huntline_interruptions_total"), 1);
  EXPECT_EQ(h_.Value("huntline_manager_interruptions_total", {kTeam, "vp"}), 1);
}

TEST_F(ProtectedTime, ABlockTheOwnerCancelsIsNoLongerABlock) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z",
                                                "FREQ=WEEKLY;BYDAY=TU;COUNT=3"));
  Cancel("2026-10-02T08:00:00Z", "rep", "blk", std::nullopt, "2026-10-13T13:00:00Z");
  Cancel("2026-10-02T08:00:00Z", "rep", "blk", "peer", "2026-10-20T13:00:00Z");
  h_.AdvanceTo(At("2026-10-30T00:00:00Z"));
  EXPECT_EQ(Protected(), 2 * 7200);
  EXPECT_EQ(Lost("other_cancelled"), 7200);
}

TEST_F(ProtectedTime, TasksDuringABlockInterruptItByCause) {
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  Task("2026-10-06T13:10:00Z", "t-1", "mgr", ingest::TaskKind::kReport, 20.0);
  Task("2026-10-06T13:40:00Z", "t-2", "am", ingest::TaskKind::kCustomerIssue, 45.0);
  Task("2026-10-06T14:50:00Z", "t-3", "peer", ingest::TaskKind::kAdmin, std::nullopt);
  h_.AdvanceTo(At("2026-10-06T16:00:00Z"));
  EXPECT_EQ(Lost("manager_task"), 1200);
  EXPECT_EQ(Lost("customer_issue_task"), 2700);
  EXPECT_EQ(Lost("other_task"), 0);
  EXPECT_EQ(h_.Value("huntline_interruptions_total", {kTeam, "other_task"}), 1);
  EXPECT_EQ(h_.Value("huntline_manager_interruption_seconds_total", {kTeam, "mgr"}), 1200);
}

TEST_F(ProtectedTime, MeetingTimeCountsByCounterpartAndLeader) {
  const char* booked = "2026-10-01T08:00:00Z";
  Upsert(booked, Event("mgr", "c", "2026-10-06T13:00:00Z", "2026-10-06T14:00:00Z", "mgr",
                       {"mgr", "a@globex.example", "b@INITECH.example"}));
  Upsert(booked, Event("mgr", "p", "2026-10-06T14:00:00Z", "2026-10-06T14:30:00Z", "x@globex.example",
                       {"mgr"}));
  Upsert(booked, Event("mgr", "e", "2026-10-06T15:00:00Z", "2026-10-06T15:15:00Z", "mgr",
                       {"someone@partner.example"}));
  Upsert(booked, Event("mgr", "i", "2026-10-06T16:00:00Z", "2026-10-06T16:45:00Z", "mgr",
                       {"rep", "peer@acme.example"}));
  auto declined = Event("mgr", "d", "2026-10-06T17:00:00Z", "2026-10-06T18:00:00Z", "vp", {});
  declined.attendees.push_back({"MGR@acme.example", ingest::Response::kDeclined});
  Upsert(booked, declined);
  auto free = Event("mgr", "f", "2026-10-06T18:00:00Z", "2026-10-06T19:00:00Z", "mgr", {});
  free.show_as = ingest::ShowAs::kFree;
  Upsert(booked, free);
  h_.AdvanceTo(At("2026-10-07T00:00:00Z"));
  EXPECT_EQ(h_.NonZero("huntline_meeting_seconds_total"),
            (std::vector<std::string>{"east,manager,customer=3600", "east,manager,external=900",
                                      "east,manager,internal=2700", "east,manager,prospect=1800"}));
  EXPECT_EQ(h_.Value("huntline_leader_meeting_seconds_total", {kTeam, "mgr", "customer"}), 3600);
}

TEST_F(ProtectedTime, AnAllDayOffsiteTakesTheWholeBlock) {
  // An all-day event in New York (midnight to midnight local) covers the 09:00–11:00 block.
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  Upsert("2026-10-02T08:00:00Z", Event("rep", "offsite", "2026-10-06T04:00:00Z", "2026-10-07T04:00:00Z",
                                       "events@partner.example", {"rep"}));
  h_.AdvanceTo(At("2026-10-07T05:00:00Z"));
  EXPECT_EQ(Lost("other_meeting"), 7200);
  EXPECT_EQ(h_.Value("huntline_meeting_seconds_total", {kTeam, "rep", "external"}), 86400);
}

TEST_F(ProtectedTime, AMeetingSeriesCountsEachOccurrence) {
  auto weekly = Event("rep", "standup", "2026-10-05T13:00:00Z", "2026-10-05T13:15:00Z", "mgr", {"rep"});
  weekly.rrule = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR";
  weekly.timezone = "America/New_York";
  Upsert("2026-10-01T08:00:00Z", weekly);
  Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z"));
  h_.AdvanceTo(At("2026-10-10T00:00:00Z"));  // Monday to Friday settled
  EXPECT_EQ(h_.Value("huntline_meeting_seconds_total", {kTeam, "rep", "internal"}), 5 * 900);
  EXPECT_EQ(Lost("manager_meeting"), 900);
}

class ProtectedPolicy : public ProtectedTime {
 protected:
  static Settings WithPolicy() {
    Settings s;
    s.policies.push_back({"hunting-hours", {kTeam}, "FREQ=WEEKLY;BYDAY=TU,TH", 9 * 60, 11 * 60,
                          *ParseDate("2026-10-01")});
    return s;
  }
  ProtectedPolicy() : ProtectedTime(WithPolicy()) {}
};

TEST_F(ProtectedPolicy, TeamPolicyBlocksFollowEachMembersTimeZone) {
  // Thursday 2026-10-01, Tuesday 2026-10-06 and Thursday 2026-10-08, 09:00–11:00 New York
  // (13:00–15:00 UTC), for every member of east: mgr, rep and peer.
  Upsert("2026-10-01T08:00:00Z", Event("rep", "sync", "2026-10-08T14:30:00Z", "2026-10-08T15:30:00Z",
                                       "mgr", {"rep"}));
  h_.AdvanceTo(At("2026-10-09T00:00:00Z"));
  EXPECT_EQ(Protected(), 3 * 7200);
  EXPECT_EQ(h_.Value("huntline_protected_seconds_total", {kTeam, "peer"}), 3 * 7200);
  EXPECT_EQ(h_.Value("huntline_protected_seconds_total", {"leadership", "vp"}), 0);
  EXPECT_EQ(Lost("manager_meeting"), 1800);
}

TEST_F(ProtectedTime, FiguresAreTheSameAfterARestart) {
  auto feed = [](ProtectedTime& t, bool restart) {
    t.Upsert("2026-10-01T08:00:00Z", ProtectedBlock("2026-10-06T13:00:00Z", "2026-10-06T15:00:00Z",
                                                    "FREQ=WEEKLY;BYDAY=TU,TH"));
    t.Upsert("2026-10-02T08:00:00Z", Event("rep", "sync", "2026-10-08T13:30:00Z",
                                           "2026-10-08T14:00:00Z", "mgr", {"rep"}));
    t.Cancel("2026-10-03T08:00:00Z", "rep", "blk", "mgr", "2026-10-13T13:00:00Z");
    if (restart) t.h_.Restart();
    t.Task("2026-10-06T13:10:00Z", "t-1", "mgr", ingest::TaskKind::kReport, 20.0);
    if (restart) t.h_.Restart();
    t.h_.AdvanceTo(At("2026-10-09T00:00:00Z"));
    if (restart) t.h_.Restart();
    t.Upsert("2026-10-10T08:00:00Z", Event("rep", "call", "2026-10-15T13:00:00Z",
                                           "2026-10-15T14:00:00Z", "rep", {"b@initech.example"}));
    t.h_.AdvanceTo(At("2026-10-16T00:00:00Z"));
  };
  struct Run : ProtectedTime {
    void TestBody() override {}
  } once, restarted;
  feed(once, false);
  feed(restarted, true);
  for (const char* family :
       {"huntline_protected_seconds_total", "huntline_protected_lost_seconds_total",
        "huntline_interruptions_total", "huntline_manager_interruption_seconds_total",
        "huntline_meeting_seconds_total", "huntline_protected_conflicts_upcoming"}) {
    EXPECT_EQ(restarted.h_.NonZero(family), once.h_.NonZero(family)) << family;
  }
  EXPECT_EQ(once.Protected(), 4 * 7200);
  EXPECT_EQ(once.Lost("manager_cancelled"), 7200);
  // Organized by the rep, but with an initech attendee: a customer meeting comes first.
  EXPECT_EQ(once.Lost("customer_meeting"), 3600);
  EXPECT_EQ(once.Lost("self_scheduled"), 0);
}

}  // namespace
}  // namespace huntline::processors
