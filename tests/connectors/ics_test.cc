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

}  // namespace
}  // namespace huntline::connectors
