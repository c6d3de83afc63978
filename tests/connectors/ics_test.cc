#include "connectors/ics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "calendar/recurrence.h"

namespace huntline::connectors {
namespace {

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(HUNTLINE_SHARED_DIR) + "/samples/ics/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Mapping& TestMapping() {
  static const Mapping mapping = [] {
    auto loaded = Mapping::Load(std::string(HUNTLINE_SOURCE_DIR) + "/tests/connectors/mapping-test.yaml");
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    return std::move(loaded).value();
  }();
  return mapping;
}

/// The starts of a series' occurrences in [from, to) as the engine expands the translated
/// events: the rule with its exdates, moved occurrences at their new start, cancelled ones gone.
std::vector<std::string> Occurrences(const std::vector<std::string>& files, const std::string& calendar,
                                     const std::string& uid, const std::string& from, const std::string& to) {
  std::vector<ContractEvent> events;
  for (const auto& file : files) {
    auto out = TranslateIcs(Sample(file), {TestMapping(), *TestMapping().FindCalendar(calendar), std::nullopt});
    EXPECT_TRUE(out.refusals.empty()) << file << ": " << out.refusals[0].reason << " " << out.refusals[0].detail;
    for (auto& e : out.events) events.push_back(std::move(e));
  }
  std::vector<Timestamp> starts;
  for (const auto& e : events) {
    const Json& d = e.event["data"];
    if (d["event_id"] != uid || !d.contains("rrule")) continue;
    calendar::Recurrence recurrence{d["rrule"], *ParseRfc3339(d["start"].get<std::string>()), d["timezone"], {}};
    for (const auto& x : d.value("exdates", Json::array())) recurrence.exdates.push_back(*ParseRfc3339(x.get<std::string>()));
    calendar::Expansion expansion(recurrence);
    for (const auto& i : expansion.Window(*ParseRfc3339(from), *ParseRfc3339(to))) starts.push_back(i.start);
  }
  for (const auto& e : events) {
    const Json& d = e.event["data"];
    if (!d.contains("original_start")) continue;
    const bool of_series = d.value("series_id", "") == uid || (e.event["type"] == "calendar.event.cancelled" && d["event_id"] == uid);
    if (!of_series) continue;
    std::erase(starts, *ParseRfc3339(d["original_start"].get<std::string>()));
    if (e.event["type"] == "calendar.event.upserted") starts.push_back(*ParseRfc3339(d["start"].get<std::string>()));
  }
  std::sort(starts.begin(), starts.end());
  std::vector<std::string> out;
  for (Timestamp t : starts) out.push_back(FormatRfc3339(t));
  return out;
}

// Each list below was read off the file by hand.

TEST(Ics, AnOverrideBeforeItsMasterMovesItsOccurrence) {
  // Daily ×3 from 10:00 America/Denver (MST) on 10 Feb 2026; the 11th moved to 10:30.
  EXPECT_EQ(Occurrences({"ics-03-nodeical-google-export-override-before-master.ics"}, "denver.rep@acme.example",
                        "aaaaaaaaaa888se1rr0b24sm4p@google.com", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            (std::vector<std::string>{"2026-02-10T17:00:00Z", "2026-02-11T17:30:00Z", "2026-02-12T17:00:00Z"}));
}

TEST(Ics, AnAllDaySeriesInAWindowsZoneWithAnExdate) {
  // Every other Monday from 1 July 2024, all day in London, until 29 July (UNTIL is 00:00 BST
  // that day, and inclusive); 15 July excluded.
  EXPECT_EQ(Occurrences({"ics-05-icalendar-exchange2010-exdate-windows-tz.ics"}, "london.rep@acme.example", "111",
                        "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
            (std::vector<std::string>{"2024-06-30T23:00:00Z", "2024-07-28T23:00:00Z"}));
}

TEST(Ics, AnAllDayOccurrenceMovedThroughAWindowsRecurrenceId) {
  // Tuesdays and Thursdays, all day in Berlin, from Thursday 19 February 2026; the 26th moved
  // to Friday the 27th.
  EXPECT_EQ(Occurrences({"ics-04-nodeical-exchange2010-allday-moved-occurrence.ics"}, "berlin.rep@acme.example",
                        "exchange-moved-recurrence", "2026-02-01T00:00:00Z", "2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"2026-02-18T23:00:00Z", "2026-02-23T23:00:00Z", "2026-02-26T23:00:00Z",
                                      "2026-03-02T23:00:00Z", "2026-03-04T23:00:00Z"}));
}

TEST(Ics, ASeriesRequestThenAMovedInstanceThenACancelledOne) {
  // The 1st of each month at 21:00Z from June 1997 to September 1998; July's moved to the 3rd,
  // August's cancelled.
  std::vector<std::string> expected = {"1997-06-01T21:00:00Z", "1997-07-03T21:00:00Z"};
  for (const char* month : {"1997-09", "1997-10", "1997-11", "1997-12", "1998-01", "1998-02", "1998-03", "1998-04",
                            "1998-05", "1998-06", "1998-07", "1998-08", "1998-09"}) {
    expected.push_back(std::string(month) + "-01T21:00:00Z");
  }
  EXPECT_EQ(Occurrences({"ics-07-rfc5546-4.4.2-monthly-series-request.ics",
                         "ics-08-rfc5546-4.4.2-moved-instance-recurrence-id.ics",
                         "ics-09-rfc5546-4.4.3-cancel-one-instance.ics"},
                        "b@example.com", "guid-1@example.com", "1997-01-01T00:00:00Z", "1999-01-01T00:00:00Z"),
            expected);
}

TEST(Ics, RdateOccurrencesAreEventsOfTheirOwnAndAnExdateRemovesOneOccurrence) {
  auto out = TranslateIcs(Sample("ics-01-icaljs-recur-instances-zimbra.ics"),
                          {TestMapping(), *TestMapping().FindCalendar("jlal@mozilla.com"), std::nullopt});
  std::vector<std::string> singles;
  for (const auto& e : out.events) {
    const Json& d = e.event["data"];
    if (!d.contains("rrule") && !d.contains("series_id")) singles.push_back(d["start"]);
  }
  // RDATEs 10 and 30 Nov 2012 10:00 PST, 23 Nov 2023 (a PERIOD to 12:30Z) and 25 Nov 2023; the
  // 5 Nov 2012 one overridden to the 6th, 20:00 PST.
  EXPECT_EQ(singles, (std::vector<std::string>{"2012-11-10T18:00:00Z", "2012-11-30T18:00:00Z", "2023-11-23T09:00:00Z",
                                               "2023-11-25T09:00:00Z", "2012-11-07T04:00:00Z"}));
}

TEST(Ics, AReplyAndAnOverrideOfAnRdateInALaterInputUseWhatTheStateHolds) {
  auto mapping = Mapping::Parse("users: [{user_id: u-a, emails: [a@example.com]}]", "test.yaml");
  ASSERT_TRUE(mapping.ok());
  storage::MemoryKvStore store;
  ConnectorState state(store);
  const CalendarContext context{*mapping, *mapping->FindCalendar("u-a"), std::nullopt, &state};
  const std::string request =
      "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:q1\nSEQUENCE:0\nDTSTAMP:20250101T000000Z\n"
      "DTSTART:20250105T100000Z\nDTEND:20250105T110000Z\nRDATE:20250110T100000Z\n"
      "ORGANIZER:mailto:a@example.com\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:b@example.com\n"
      "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:c@example.com\nSUMMARY:Plan\nEND:VEVENT\nEND:VCALENDAR\n";
  ASSERT_EQ(TranslateIcs(request, context).events.size(), 2u);  // the event and its RDATE occurrence
  ASSERT_TRUE(state.Commit().ok());
  auto reply = [&](const char* who, const char* partstat) {
    return std::string("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:q1\nDTSTAMP:20250102T000000Z\n") +
           "ATTENDEE;PARTSTAT=" + partstat + ":mailto:" + who + "\nEND:VEVENT\nEND:VCALENDAR\n";
  };
  auto first = TranslateIcs(reply("b@example.com", "ACCEPTED"), context);
  auto second = TranslateIcs(reply("c@example.com", "DECLINED"), context);
  ASSERT_EQ(first.events.size(), 1u);
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_NE(first.events[0].event["id"], second.events[0].event["id"]);  // stamped alike, told apart
  EXPECT_EQ(second.events[0].event["data"]["attendees"],
            Json::parse(R"([{"id_or_email":"b@example.com","response":"accepted"},
                            {"id_or_email":"c@example.com","response":"declined"}])"));
  const std::string moved =
      "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:q1\nSEQUENCE:1\nDTSTAMP:20250103T000000Z\n"
      "RECURRENCE-ID:20250110T100000Z\nDTSTART:20250111T100000Z\nDTEND:20250111T110000Z\nEND:VEVENT\nEND:VCALENDAR\n";
  auto override = TranslateIcs(moved, context);
  ASSERT_EQ(override.events.size(), 1u);
  EXPECT_EQ(override.events[0].event["data"]["event_id"], "q1_20250110T100000Z");  // the RDATE's own event
  EXPECT_FALSE(override.events[0].event["data"].contains("series_id"));
}

TEST(Ics, AZoneOnlyTheFileDefinesReadsItsTimesButCannotNameASeries) {
  auto mapping = Mapping::Parse("users: [{user_id: u-a, emails: [a@example.com]}]", "test.yaml");
  ASSERT_TRUE(mapping.ok());
  const CalendarContext context{*mapping, *mapping->FindCalendar("u-a"), std::nullopt};
  const std::string zone =
      "BEGIN:VTIMEZONE\nTZID:Head Office\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:-0500\n"
      "TZOFFSETTO:-0500\nEND:STANDARD\nEND:VTIMEZONE\n";
  auto event = [&](const char* extra) {
    return "BEGIN:VCALENDAR\n" + zone + "BEGIN:VEVENT\nUID:z1\nDTSTAMP:20250101T000000Z\n" +
           "DTSTART;TZID=Head Office:20250310T090000\nDTEND;TZID=Head Office:20250310T100000\n" + extra +
           "END:VEVENT\nEND:VCALENDAR\n";
  };
  auto single = TranslateIcs(event(""), context);
  ASSERT_EQ(single.events.size(), 1u) << (single.refusals.empty() ? "" : single.refusals[0].detail);
  EXPECT_EQ(single.events[0].event["data"]["start"], "2025-03-10T14:00:00Z");
  auto series = TranslateIcs(event("RRULE:FREQ=DAILY;COUNT=2\n"), context);
  ASSERT_EQ(series.refusals.size(), 1u);
  EXPECT_EQ(series.refusals[0].reason, "unknown_timezone");
}

}  // namespace
}  // namespace huntline::connectors
