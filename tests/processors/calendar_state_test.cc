// A person's calendar as versions: reference (the owner's latest) and current (anyone's latest)
// placement of each occurrence of single events and recurring series.
#include "processors/calendar_state.h"

#include <gtest/gtest.h>

#include "tests/processors/test_events.h"

namespace huntline::processors {
namespace {

using testing::At;

ingest::CalendarEventUpserted Block(const char* start, const char* end,
                                    std::optional<std::string> rrule = std::nullopt,
                                    std::string tz = "America/New_York") {
  ingest::CalendarEventUpserted e;
  e.calendar_id = "rep";
  e.event_id = "blk";
  e.organizer = "rep";
  e.start = At(start);
  e.end = At(end);
  e.show_as = ingest::ShowAs::kBusy;
  e.is_protected = true;
  e.rrule = std::move(rrule);
  e.timezone = tz;
  return e;
}

/// Replaces the occurrence of series "blk" that starts at `original` with [start, end).
ingest::CalendarEventUpserted Replacement(const char* original, const char* start, const char* end,
                                          std::optional<std::string> by) {
  ingest::CalendarEventUpserted e = Block(start, end);
  e.event_id = std::string("blk-") + original;
  e.series_id = "blk";
  e.original_start = At(original);
  e.updated_by = std::move(by);
  e.timezone.reset();
  return e;
}

ingest::CalendarEventCancelled Cancel(std::optional<std::string> by,
                                      std::optional<const char*> original = std::nullopt,
                                      std::string id = "blk") {
  ingest::CalendarEventCancelled c;
  c.calendar_id = "rep";
  c.event_id = std::move(id);
  c.cancelled_by = std::move(by);
  if (original) c.original_start = At(*original);
  return c;
}

/// "date ref=start..end cur=start..end by=author" per occurrence, times as HH:MM UTC.
std::vector<std::string> Describe(const PersonCalendar& calendar, const char* from, const char* to) {
  auto hhmm = [](Timestamp t) { return FormatRfc3339(t).substr(11, 5); };
  auto place = [&](const std::optional<Placement>& p) {
    return p ? hhmm(p->start) + "-" + hhmm(p->end) : std::string("none");
  };
  std::vector<std::string> out;
  for (const Occurrence& o : calendar.Occurrences("rep", "UTC", At(from), At(to))) {
    out.push_back((o.key == OccurrenceKey::Single() ? std::string("single") : o.key.date.ToString()) +
                  " ref=" + place(o.reference) + " cur=" + place(o.current) + " by=" + o.author);
  }
  return out;
}

constexpr const char* kWeekly = "FREQ=WEEKLY;BYDAY=TU";

TEST(PersonCalendar, ASeriesWithoutEndIsExpandedOnlyInTheWindowAskedFor) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-05T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=13:00-15:00 by=rep",
                                      "2026-11-03 ref=14:00-16:00 cur=14:00-16:00 by=rep"}));
  EXPECT_EQ(Describe(c, "2031-01-01T00:00:00Z", "2031-01-08T00:00:00Z").size(), 1u);
}

TEST(PersonCalendar, ASeriesWithAnEndDateStops) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z",
                 "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261028T000000Z"),
           At("2026-10-01T00:00:00Z"), 1);
  EXPECT_EQ(Describe(c, "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z").size(), 2u);
}

TEST(PersonCalendar, AnOccurrenceMovedByTheManagerKeepsItsReference) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Upsert(Replacement("2026-10-27T13:00:00Z", "2026-10-27T14:00:00Z", "2026-10-27T15:00:00Z", "mgr"),
           At("2026-10-02T00:00:00Z"), 2);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-04T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=14:00-15:00 by=mgr",
                                      "2026-11-03 ref=14:00-16:00 cur=14:00-16:00 by=rep"}));
  // The owner moving it himself changes the reference: nothing is lost.
  c.Upsert(Replacement("2026-10-27T13:00:00Z", "2026-10-27T16:00:00Z", "2026-10-27T18:00:00Z",
                       std::nullopt),
           At("2026-10-03T00:00:00Z"), 3);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-10-28T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=16:00-18:00 cur=16:00-18:00 by=rep"}));
}

TEST(PersonCalendar, ACancelledOccurrenceHasNoCurrentAndTheOwnersCancellationNoReference) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Cancel(Cancel("mgr", "2026-10-27T13:00:00Z"), 2);
  c.Cancel(Cancel(std::nullopt, "2026-11-03T14:00:00Z"), 3);  // no cancelled_by: the owner
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-04T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=none by=mgr"}));
}

TEST(PersonCalendar, UpsertingTheSeriesAgainChangesOnlyItsOtherOccurrences) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Cancel(Cancel("mgr", "2026-10-27T13:00:00Z"), 2);
  // The owner moves the whole series an hour later.
  c.Upsert(Block("2026-10-20T14:00:00Z", "2026-10-20T16:00:00Z", kWeekly), At("2026-10-04T00:00:00Z"), 3);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-04T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=none by=mgr",
                                      "2026-11-03 ref=15:00-17:00 cur=15:00-17:00 by=rep"}));
}

TEST(PersonCalendar, CancellingTheSeriesTakesEveryOccurrenceAndUpsertingItBringsThemBack) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Upsert(Replacement("2026-10-27T13:00:00Z", "2026-10-27T14:00:00Z", "2026-10-27T15:00:00Z", "mgr"),
           At("2026-10-02T00:00:00Z"), 2);
  c.Cancel(Cancel("peer", std::nullopt), 3);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-04T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=none by=peer",
                                      "2026-11-03 ref=14:00-16:00 cur=none by=peer"}));
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-05T00:00:00Z"), 4);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-11-04T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=14:00-15:00 by=mgr",
                                      "2026-11-03 ref=14:00-16:00 cur=14:00-16:00 by=rep"}));
}

TEST(PersonCalendar, CancellingTheReplacingEventCancelsItsOccurrence) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Upsert(Replacement("2026-10-27T13:00:00Z", "2026-10-27T14:00:00Z", "2026-10-27T15:00:00Z", "mgr"),
           At("2026-10-02T00:00:00Z"), 2);
  c.Cancel(Cancel("mgr", std::nullopt, "blk-2026-10-27T13:00:00Z"), 3);
  EXPECT_EQ(Describe(c, "2026-10-26T00:00:00Z", "2026-10-28T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=none by=mgr"}));
}

TEST(PersonCalendar, OlderSnapshotsAreStaleAndACancelledEventUpsertedAgainIsLive) {
  PersonCalendar c;
  EXPECT_EQ(c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z"), At("2026-10-02T00:00:00Z"), 1),
            PersonCalendar::Change::kApplied);
  EXPECT_EQ(c.Upsert(Block("2026-10-20T09:00:00Z", "2026-10-20T10:00:00Z"), At("2026-10-01T00:00:00Z"), 2),
            PersonCalendar::Change::kStale);
  c.Cancel(Cancel("mgr"), 3);
  EXPECT_EQ(Describe(c, "2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z"),
            (std::vector<std::string>{"single ref=13:00-15:00 cur=none by=mgr"}));
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z"), At("2026-10-03T00:00:00Z"), 4);
  EXPECT_EQ(Describe(c, "2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z"),
            (std::vector<std::string>{"single ref=13:00-15:00 cur=13:00-15:00 by=rep"}));
}

TEST(PersonCalendar, AProtectedEventNeverWrittenByTheOwnerHasNoReference) {
  PersonCalendar c;
  ingest::CalendarEventUpserted e = Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z");
  e.updated_by = "mgr";
  c.Upsert(e, At("2026-10-01T00:00:00Z"), 1);
  EXPECT_EQ(Describe(c, "2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z"),
            (std::vector<std::string>{"single ref=none cur=13:00-15:00 by=mgr"}));
}

TEST(PersonCalendar, AnAllDayEventIsOneOccurrenceCoveringTheDay) {
  PersonCalendar c;
  ingest::CalendarEventUpserted offsite = Block("2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z");
  offsite.event_id = "offsite";
  offsite.is_protected = false;
  offsite.organizer = "vp@acme.example";
  c.Upsert(offsite, At("2026-10-01T00:00:00Z"), 1);
  EXPECT_EQ(Describe(c, "2026-10-20T09:00:00Z", "2026-10-20T11:00:00Z"),
            (std::vector<std::string>{"single ref=00:00-00:00 cur=00:00-00:00 by=rep"}));
}

TEST(PersonCalendar, PruningForgetsOldSingleEventsTasksAndSettledMarksButKeepsSeries) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  ingest::CalendarEventUpserted meeting = Block("2026-10-21T13:00:00Z", "2026-10-21T14:00:00Z");
  meeting.event_id = "old-meeting";
  c.Upsert(meeting, At("2026-10-01T00:00:00Z"), 2);
  c.AddTask({"t-1", "rep", "mgr", ingest::TaskKind::kAdmin, std::nullopt, 30.0}, At("2026-10-21T13:10:00Z"));
  auto& series = c.entities().at("blk");
  series.settled[{{2026, 10, 20}, 0}] = CalendarEntity::kBlockSettled;
  series.settled[{{2026, 12, 29}, 0}] = CalendarEntity::kBlockSettled;
  c.TakeDirtyEntities();
  const auto gone = c.Prune(At("2026-12-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));
  EXPECT_EQ(gone, (std::vector<std::string>{"e/old-meeting", "k/t-1"}));
  ASSERT_TRUE(c.entities().contains("blk"));
  EXPECT_EQ(c.entities().at("blk").settled.size(), 1u);
  EXPECT_EQ(c.TakeDirtyEntities(), (std::vector<std::string>{"blk"}));
}

TEST(PersonCalendar, ASeriesReSentByItsOwnerKeepsOneVersion) {
  PersonCalendar calendar;
  uint64_t seq = 0;
  for (int i = 0; i < 1000; ++i) {
    auto block = Block("2026-08-04T13:00:00Z", "2026-08-04T15:00:00Z", kWeekly);
    block.title = "Prospecting #" + std::to_string(i % 3);
    calendar.Upsert(block, At("2026-08-01T08:00:00Z") + i, ++seq);
  }
  EXPECT_EQ(calendar.entities().at("blk").actions.size(), 1u);
  EXPECT_EQ(Describe(calendar, "2026-08-04T00:00:00Z", "2026-08-12T00:00:00Z"),
            (std::vector<std::string>{"2026-08-04 ref=13:00-15:00 cur=13:00-15:00 by=rep",
                                      "2026-08-11 ref=13:00-15:00 cur=13:00-15:00 by=rep"}));
}

/// Calendars built from the same random changes, one through Upsert and Cancel (which drop the
/// versions nothing can show any more), one with every change appended as it came: every
/// occurrence is the same in both.
TEST(PersonCalendar, DroppingSupersededVersionsChangesNoOccurrence) {
  const std::vector<const char*> starts = {"2026-08-04T13:00:00Z", "2026-08-04T14:00:00Z"};
  const std::vector<std::optional<std::string>> authors = {std::nullopt, std::string("mgr")};
  uint32_t state = 12345;
  auto next = [&](uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 8) % n;
  };
  for (int round = 0; round < 200; ++round) {
    PersonCalendar pruned, whole;
    uint64_t seq = 0;
    Timestamp time = At("2026-08-01T08:00:00Z");
    for (int step = 0; step < 12; ++step) {
      ++seq;
      time += 1000;
      const auto& by = authors[next(2)];
      switch (next(5)) {
        case 0:
        case 1: {  // the series, sent again or moved, by the owner or the manager
          auto block = Block(starts[next(2)], "2026-08-04T16:00:00Z", kWeekly);
          block.updated_by = by;
          block.title = next(2) ? "a" : "b";
          pruned.Upsert(block, time, seq);
          auto& entity = whole.entities()["blk"];
          entity.updated = time;
          entity.actions.push_back({seq, by.value_or("rep"), false, std::nullopt, block});
          break;
        }
        case 2: {  // one occurrence moved
          auto moved = Replacement("2026-08-11T13:00:00Z", "2026-08-11T17:00:00Z", "2026-08-11T18:00:00Z", by);
          pruned.Upsert(moved, time, seq);
          whole.Upsert(moved, time, seq);
          break;
        }
        case 3: {  // one occurrence cancelled
          pruned.Cancel(Cancel(by, "2026-08-18T13:00:00Z"), seq);
          whole.Cancel(Cancel(by, "2026-08-18T13:00:00Z"), seq);
          break;
        }
        default: {  // the series cancelled
          pruned.Cancel(Cancel(by), seq);
          whole.Cancel(Cancel(by), seq);
          break;
        }
      }
      ASSERT_EQ(Describe(pruned, "2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z"),
                Describe(whole, "2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z"))
          << "round " << round << " step " << step;
    }
  }
}

TEST(PersonCalendar, RecordsSurviveEncoding) {
  PersonCalendar c;
  c.Upsert(Block("2026-10-20T13:00:00Z", "2026-10-20T15:00:00Z", kWeekly), At("2026-10-01T00:00:00Z"), 1);
  c.Upsert(Replacement("2026-10-27T13:00:00Z", "2026-10-27T14:00:00Z", "2026-10-27T15:00:00Z", "mgr"),
           At("2026-10-02T00:00:00Z"), 2);
  c.AddTask({"t-1", "rep", "mgr", ingest::TaskKind::kAdmin, std::nullopt, 30.0}, At("2026-10-27T13:10:00Z"));
  PersonCalendar restored;
  for (const auto& [id, entity] : c.entities()) {
    ASSERT_TRUE(restored.RestoreEntity(id, PersonCalendar::EncodeEntity(entity)).ok());
  }
  for (const auto& [id, task] : c.tasks()) {
    ASSERT_TRUE(restored.RestoreTask(id, PersonCalendar::EncodeTask(task)).ok());
  }
  EXPECT_EQ(Describe(restored, "2026-10-01T00:00:00Z", "2026-11-10T00:00:00Z"),
            Describe(c, "2026-10-01T00:00:00Z", "2026-11-10T00:00:00Z"));
  ASSERT_EQ(restored.tasks().size(), 1u);
  EXPECT_EQ(restored.tasks().begin()->second.data.effort_minutes, 30.0);
  // The replacing event is known again: cancelling it by its own id still finds the occurrence.
  restored.Cancel(Cancel("mgr", std::nullopt, "blk-2026-10-27T13:00:00Z"), 3);
  EXPECT_EQ(Describe(restored, "2026-10-26T00:00:00Z", "2026-10-28T00:00:00Z"),
            (std::vector<std::string>{"2026-10-27 ref=13:00-15:00 cur=none by=mgr"}));
}

}  // namespace
}  // namespace huntline::processors
