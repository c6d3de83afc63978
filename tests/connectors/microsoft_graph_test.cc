#include "connectors/microsoft_graph.h"

#include <gtest/gtest.h>

#include "connectors/zones.h"

namespace huntline::connectors {
namespace {

Mapping People() {
  auto mapping = Mapping::Parse(R"(
users:
  - user_id: u-ada
    emails: [ada@acme.example]
    timezone: Europe/Paris
protected:
  categories: [Prospecting]
)", "test.yaml");
  EXPECT_TRUE(mapping.ok()) << mapping.status().message();
  return std::move(mapping).value();
}

/// A complete Graph event of Ada's calendar, with `extra` merged over it.
std::string Event(const Json& extra) {
  Json event = {{"id", "E1"},
                {"changeKey", "ck1"},
                {"lastModifiedDateTime", "2026-03-02T08:00:00.1234567Z"},
                {"type", "singleInstance"},
                {"showAs", "busy"},
                {"subject", "Call block"},
                {"organizer", {{"emailAddress", {{"address", "Ada@Acme.example"}}}}},
                {"attendees", Json::array({{{"type", "resource"},
                                            {"status", {{"response", "none"}}},
                                            {"emailAddress", {{"address", "room@acme.example"}}}},
                                           {{"type", "required"},
                                            {"status", {{"response", "tentativelyAccepted"}}},
                                            {"emailAddress", {{"address", "bob@else.example"}}}}})},
                {"start", {{"dateTime", "2026-03-03T09:00:00.0000000"}, {"timeZone", "W. Europe Standard Time"}}},
                {"end", {{"dateTime", "2026-03-03T10:30:00.0000000"}, {"timeZone", "W. Europe Standard Time"}}}};
  event.merge_patch(extra);
  return event.dump();
}

Translation Graph(const std::string& input, std::optional<Timestamp> observed_at = std::nullopt) {
  static const Mapping mapping = People();
  return TranslateMicrosoftGraph(input, {mapping, *mapping.FindCalendar("u-ada"), observed_at});
}

TEST(MicrosoftGraph, AnEventInAWindowsZoneWithItsAttendeesButNotItsRooms) {
  auto out = Graph(Event({{"categories", {"Prospecting"}}}));
  ASSERT_EQ(out.events.size(), 1u);
  const Json& e = out.events[0].event;
  EXPECT_EQ(e["id"], "E1:ck1");
  EXPECT_EQ(e["time"], "2026-03-02T08:00:00.123Z");
  const Json& d = e["data"];
  EXPECT_EQ(d["start"], "2026-03-03T08:00:00Z");  // 09:00 Berlin, winter time
  EXPECT_EQ(d["end"], "2026-03-03T09:30:00Z");
  EXPECT_EQ(d["organizer"], "u-ada");
  EXPECT_EQ(d["attendees"], Json::parse(R"([{"id_or_email":"bob@else.example","response":"tentative"}])"));
  EXPECT_EQ(d["protected"], true);
  EXPECT_FALSE(d.contains("series_id"));
}

TEST(MicrosoftGraph, SeriesRulesFromEveryPatternAndRange) {
  struct Case {
    Json recurrence;
    std::string rule;
  };
  const Case cases[] = {
      {{{"pattern", {{"type", "daily"}, {"interval", 2}}}, {"range", {{"type", "noEnd"}}}}, "FREQ=DAILY;INTERVAL=2"},
      {{{"pattern", {{"type", "relativeMonthly"}, {"interval", 1}, {"daysOfWeek", {"tuesday", "thursday"}}, {"index", "last"}}},
        {"range", {{"type", "numbered"}, {"numberOfOccurrences", 6}}}},
       "FREQ=MONTHLY;INTERVAL=1;BYDAY=TU,TH;BYSETPOS=-1;COUNT=6"},
      {{{"pattern", {{"type", "absoluteYearly"}, {"interval", 1}, {"month", 3}, {"dayOfMonth", 3}}},
        {"range", {{"type", "endDate"}, {"endDate", "2030-07-01"}, {"recurrenceTimeZone", "Europe/Paris"}}}},
       "FREQ=YEARLY;INTERVAL=1;BYMONTH=3;BYMONTHDAY=3;UNTIL=20300701T215959Z"},
      {{{"pattern", {{"type", "weekly"}, {"interval", 1}, {"daysOfWeek", {"monday"}}, {"firstDayOfWeek", "monday"}}},
        {"range", {{"type", "noEnd"}}}},
       "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;WKST=MO"},
  };
  for (const Case& c : cases) {
    auto out = Graph(Event({{"type", "seriesMaster"}, {"recurrence", c.recurrence}, {"originalStartTimeZone", "Romance Standard Time"}}));
    ASSERT_EQ(out.events.size(), 1u) << c.rule << (out.refusals.empty() ? "" : out.refusals[0].detail);
    EXPECT_EQ(out.events[0].event["data"]["rrule"], c.rule);
    EXPECT_EQ(out.events[0].event["data"]["timezone"], "Europe/Paris");
  }
}

TEST(MicrosoftGraph, OccurrencesAndExceptionsReplaceTheirPlaceInTheSeries) {
  auto occurrence = Graph(Event({{"type", "occurrence"}, {"seriesMasterId", "S1"}}));
  ASSERT_EQ(occurrence.events.size(), 1u);
  EXPECT_EQ(occurrence.events[0].event["data"]["series_id"], "S1");
  EXPECT_EQ(occurrence.events[0].event["data"]["original_start"], "2026-03-03T08:00:00Z");
  auto exception = Graph(Event({{"type", "exception"}, {"seriesMasterId", "S1"}, {"originalStart", "2026-03-02T08:00:00Z"}}));
  ASSERT_EQ(exception.events.size(), 1u);
  EXPECT_EQ(exception.events[0].event["data"]["original_start"], "2026-03-02T08:00:00Z");
  auto lost = Graph(Event({{"type", "exception"}, {"seriesMasterId", "S1"}}));
  ASSERT_EQ(lost.refusals.size(), 1u);
  EXPECT_EQ(lost.refusals[0].reason, "incomplete_record");
  EXPECT_NE(lost.refusals[0].detail.find("originalStart"), std::string::npos);
}

TEST(MicrosoftGraph, CancellationsDeletionsAndWhatCannotBeRead) {
  auto cancelled = Graph(Event({{"isCancelled", true}}));
  ASSERT_EQ(cancelled.events.size(), 1u);
  EXPECT_EQ(cancelled.events[0].event["type"], "calendar.event.cancelled");
  const std::string removed = R"({"value":[{"id":"E9","@removed":{"reason":"deleted"}},{"id":"E8","@removed":{"reason":"changed"}}]})";
  EXPECT_EQ(Graph(removed).refusals[0].reason, "no_event_time");
  auto deleted = Graph(removed, 1'000'000);
  ASSERT_EQ(deleted.events.size(), 1u);
  EXPECT_EQ(deleted.events[0].event["id"], "E9:cancelled");
  EXPECT_EQ(deleted.skipped, 1u);  // left the calendarView window: not a deletion
  auto zone = Graph(Event({{"start", {{"dateTime", "2026-03-03T09:00:00"}, {"timeZone", "Mars Standard Time"}}}}));
  ASSERT_EQ(zone.refusals.size(), 1u);
  EXPECT_EQ(zone.refusals[0].reason, "unknown_timezone");
  auto shown = Graph(Event({{"showAs", "elsewhere"}}));
  ASSERT_EQ(shown.refusals.size(), 1u);
  EXPECT_EQ(shown.refusals[0].reason, "unmapped_value");
  auto lifecycle = Graph(R"({"value":[{"lifecycleEvent":"missed","subscriptionId":"s"},{"lifecycleEvent":"reauthorizationRequired"}]})");
  ASSERT_EQ(lifecycle.refusals.size(), 1u);
  EXPECT_EQ(lifecycle.refusals[0].reason, "resync_required");
  EXPECT_EQ(lifecycle.skipped, 1u);
}

TEST(MicrosoftGraph, ARemovedInstanceHeldInTheStateCancelsItsOccurrence) {
  static const Mapping mapping = People();
  storage::MemoryKvStore store;
  ConnectorState state(store);
  const CalendarContext context{mapping, *mapping.FindCalendar("u-ada"), 1'000'000, &state};
  ASSERT_EQ(TranslateMicrosoftGraph(Event({{"id", "I7"}, {"type", "occurrence"}, {"seriesMasterId", "S1"}}), context)
                .events.size(), 1u);
  auto removed = TranslateMicrosoftGraph(R"({"value":[{"id":"I7","@removed":{"reason":"deleted"}}]})", context);
  ASSERT_EQ(removed.events.size(), 1u);
  EXPECT_EQ(removed.events[0].event["data"]["event_id"], "S1");
  EXPECT_EQ(removed.events[0].event["data"]["original_start"], "2026-03-03T08:00:00Z");
}

TEST(Zones, WindowsNamesGiveZonesOfTheSystemsDatabase) {
  EXPECT_EQ(IanaZone("Pacific Standard Time"), "America/Los_Angeles");
  EXPECT_EQ(IanaZone("GMT Standard Time"), "Europe/London");
  EXPECT_EQ(IanaZone("Asia/Kolkata"), "Asia/Kolkata");
  EXPECT_EQ(IanaZone("UTC"), "UTC");
  EXPECT_FALSE(IanaZone("America/NewYork"));
  EXPECT_FALSE(IanaZone(""));
  size_t n = 0;
  ForEachWindowsZone([&](std::string_view windows, std::string_view iana) {
    ++n;
    EXPECT_EQ(IanaZone(iana), std::string(iana)) << windows;
  });
  EXPECT_GT(n, 130u);
}

}  // namespace
}  // namespace huntline::connectors
