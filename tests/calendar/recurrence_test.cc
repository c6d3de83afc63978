#include "calendar/recurrence.h"

#include <gtest/gtest.h>

namespace huntline::calendar {
namespace {

Timestamp At(const char* text) { return *ParseRfc3339(text); }

std::vector<std::string> Starts(const std::vector<Instance>& instances) {
  std::vector<std::string> out;
  for (const auto& i : instances) out.push_back(FormatRfc3339(i.start) + " " + i.date.ToString());
  return out;
}

TEST(Recurrence, WeeklyKeepsLocalTimeAcrossNewYorksDaylightSavingChange) {
  // 09:00 New York: EDT (UTC-4) until 2026-11-01, then EST (UTC-5).
  const Recurrence r{"FREQ=WEEKLY;BYDAY=TU", At("2026-10-20T13:00:00Z"), "America/New_York", {}};
  EXPECT_EQ(Starts(Expand(r, At("2026-10-01T00:00:00Z"), At("2026-11-11T00:00:00Z"))),
            (std::vector<std::string>{"2026-10-20T13:00:00Z 2026-10-20",
                                      "2026-10-27T13:00:00Z 2026-10-27",
                                      "2026-11-03T14:00:00Z 2026-11-03",
                                      "2026-11-10T14:00:00Z 2026-11-10"}));
}

TEST(Recurrence, WeeklyKeepsLocalTimeAcrossBerlinsDaylightSavingChange) {
  // 09:30 Berlin: CEST (UTC+2) until 2026-10-25, then CET (UTC+1); back to CEST on 2027-03-28.
  const Recurrence r{"FREQ=WEEKLY;BYDAY=MO", At("2026-10-19T07:30:00Z"), "Europe/Berlin", {}};
  EXPECT_EQ(Starts(Expand(r, At("2026-10-01T00:00:00Z"), At("2026-10-27T00:00:00Z"))),
            (std::vector<std::string>{"2026-10-19T07:30:00Z 2026-10-19",
                                      "2026-10-26T08:30:00Z 2026-10-26"}));
  EXPECT_EQ(Starts(Expand(r, At("2027-03-20T00:00:00Z"), At("2027-04-06T00:00:00Z"))),
            (std::vector<std::string>{"2027-03-22T08:30:00Z 2027-03-22",
                                      "2027-03-29T07:30:00Z 2027-03-29",
                                      "2027-04-05T07:30:00Z 2027-04-05"}));
}

TEST(Recurrence, ExdatesAndCountRemoveInstancesAndDtstartCountsTowardCount) {
  const Recurrence r{"FREQ=DAILY;COUNT=3", At("2026-08-03T09:00:00Z"), "UTC",
                     {At("2026-08-04T09:00:00Z")}};
  EXPECT_EQ(Starts(Expand(r, 0, At("2027-01-01T00:00:00Z"))),
            (std::vector<std::string>{"2026-08-03T09:00:00Z 2026-08-03",
                                      "2026-08-05T09:00:00Z 2026-08-05"}));
}

TEST(Recurrence, DtstartOutsideTheRuleIsStillTheFirstInstance) {
  // A Monday start for a Tuesday rule: RFC 5545 keeps the Monday and counts it.
  const Recurrence r{"FREQ=WEEKLY;BYDAY=TU;COUNT=2", At("2026-08-03T09:00:00Z"), "UTC", {}};
  EXPECT_EQ(Starts(Expand(r, 0, At("2027-01-01T00:00:00Z"))),
            (std::vector<std::string>{"2026-08-03T09:00:00Z 2026-08-03",
                                      "2026-08-04T09:00:00Z 2026-08-04"}));
}

TEST(Recurrence, UntilEndsASeriesAndAnEndlessOneIsExpandedOnlyInTheWindow) {
  const Recurrence bounded{"FREQ=WEEKLY;BYDAY=TH;UNTIL=20260820T000000Z",
                           At("2026-08-06T13:00:00Z"), "America/New_York", {}};
  EXPECT_EQ(Expand(bounded, 0, At("2030-01-01T00:00:00Z")).size(), 2u);
  const Recurrence endless{"FREQ=WEEKLY;BYDAY=TH", At("2026-08-06T13:00:00Z"), "America/New_York", {}};
  const auto window = Expand(endless, At("2036-01-01T00:00:00Z"), At("2036-01-15T00:00:00Z"));
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(FormatRfc3339(window[0].start), "2036-01-03T14:00:00Z");
  EXPECT_TRUE(Expand(endless, At("2036-01-01T00:00:00Z"), At("2036-01-01T00:00:00Z")).empty());
}

TEST(Recurrence, UntilIsAnInstantAndTheInstanceAtItIsTheLast) {
  // RFC 5545: UNTIL in UTC bounds the instances by their instant, inclusively, whatever the
  // zone's offset. Exchange writes an all-day series' UNTIL as its last day's 00:00 in UTC.
  const Recurrence london{"FREQ=WEEKLY;UNTIL=20240728T230000Z;INTERVAL=2;BYDAY=MO;WKST=MO",
                          At("2024-06-30T23:00:00Z"), "Europe/London", {}};
  EXPECT_EQ(Starts(Expand(london, 0, At("2025-01-01T00:00:00Z"))),
            (std::vector<std::string>{"2024-06-30T23:00:00Z 2024-07-01", "2024-07-14T23:00:00Z 2024-07-15",
                                      "2024-07-28T23:00:00Z 2024-07-29"}));
  const Recurrence berlin{"FREQ=DAILY;UNTIL=20260303T080000Z", At("2026-03-01T08:00:00Z"), "Europe/Berlin", {}};
  EXPECT_EQ(Expand(berlin, 0, At("2027-01-01T00:00:00Z")).size(), 3u);
  // Behind UTC: 09:00 EDT is 13:00Z, after an UNTIL of 11:00Z that day.
  const Recurrence new_york{"FREQ=DAILY;UNTIL=20260820T110000Z", At("2026-08-18T13:00:00Z"), "America/New_York", {}};
  EXPECT_EQ(Expand(new_york, 0, At("2027-01-01T00:00:00Z")).size(), 2u);
}

TEST(Recurrence, LocalDatesFollowTheZone) {
  EXPECT_EQ(LocalDateOf(At("2026-08-04T02:00:00Z"), "America/New_York").ToString(), "2026-08-03");
  EXPECT_EQ(LocalDateOf(At("2026-08-04T23:30:00Z"), "Europe/Berlin").ToString(), "2026-08-05");
  EXPECT_EQ(AtLocalTime({2026, 11, 3}, 9 * 60, "America/New_York"), At("2026-11-03T14:00:00Z"));
  EXPECT_EQ(AtLocalTime({2026, 7, 7}, 9 * 60, "America/New_York"), At("2026-07-07T13:00:00Z"));
}

TEST(Recurrence, BadRulesAndZonesAreRecognised) {
  EXPECT_TRUE(CheckRule("FREQ=WEEKLY;BYDAY=TU,TH").ok());
  EXPECT_FALSE(CheckRule("FREQ=FORTNIGHTLY").ok());
  // An ordinal weekday only means something within a month or a year (RFC 5545 3.3.10).
  EXPECT_FALSE(CheckRule("FREQ=WEEKLY;BYDAY=2TU;UNTIL=20261231T000000Z").ok());
  EXPECT_FALSE(CheckRule("FREQ=DAILY;BYDAY=-1FR").ok());
  EXPECT_TRUE(CheckRule("FREQ=MONTHLY;BYDAY=2TU").ok());
  EXPECT_TRUE(CheckRule("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH").ok());
  EXPECT_FALSE(CheckRule("").ok());
  EXPECT_TRUE(KnownTimeZone("Europe/Berlin"));
  EXPECT_TRUE(KnownTimeZone("UTC"));
  EXPECT_FALSE(KnownTimeZone("Mars/Olympus_Mons"));
  EXPECT_FALSE(KnownTimeZone("America/NewYork"));
  // Aliases of the IANA database are names too.
  for (const char* alias : {"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Europe/Kyiv", "Etc/GMT+5", "GMT",
                            "Zulu", "America/Godthab"}) {
    EXPECT_TRUE(KnownTimeZone(alias)) << alias;
  }
  // Files of the zone directory that are not IANA names.
  for (const char* file : {"localtime", "posixrules", "right/UTC", "posix/Europe/Berlin", "../zoneinfo/UTC",
                           "/usr/share/zoneinfo/UTC", "Factory"}) {
    EXPECT_FALSE(KnownTimeZone(file)) << file;
  }
}

// Found by tests/fuzz/recurrence_fuzzer (tests/fuzz/regressions/recurrence_fuzzer/): libical
// leaked the RSCALE value of every rule that had one, and all of it when the rule was malformed.
TEST(Recurrence, RscaleRulesAreRefusedAndNeverExpanded) {
  for (const char* rule : {"FREQ=WEEKLY;RSCALE=GREGORIAN", "FREQ=YEARLY;rscale=CHINESE",
                           "FREQ=WEEKLY;RSCALE=BOGUS;BYDAY=XX"}) {
    const Status s = CheckRule(rule);
    EXPECT_FALSE(s.ok()) << rule;
    EXPECT_EQ(s.message(), "RSCALE (a non-Gregorian calendar) is not supported") << rule;
    // A rule stored before it was refused: the documented fallback, just dtstart.
    const Recurrence r{rule, At("2026-08-03T09:00:00Z"), "UTC", {}};
    EXPECT_EQ(Starts(Expand(r, At("2026-08-01T00:00:00Z"), At("2026-12-01T00:00:00Z"))),
              std::vector<std::string>{"2026-08-03T09:00:00Z 2026-08-03"})
        << rule;
  }
}

// A series that started long ago: the first window asked for used to come back empty (libical
// stepped at most 200,000 instances a call from dtstart, 126 years of hourly blocks are 1.1
// million) and each call cost a second of CPU.
TEST(Recurrence, ASeriesThatStartedLongAgoIsExpandedInItsWindowAtOnce) {
  std::string hours;
  for (int h = 0; h < 24; ++h) hours += (h ? "," : "") + std::to_string(h);
  const Recurrence r{"FREQ=DAILY;BYHOUR=" + hours, At("1900-01-01T00:00:00Z"), "Europe/Berlin", {}};
  Expansion expansion(r);
  const auto week = expansion.Window(At("2026-10-01T00:00:00Z"), At("2026-10-08T00:00:00Z"));
  ASSERT_EQ(week.size(), 7u * 24u);
  EXPECT_EQ(Starts({week.front()}), std::vector<std::string>{"2026-10-01T00:00:00Z 2026-10-01"});
  for (size_t i = 1; i < week.size(); ++i) {
    EXPECT_EQ(week[i].start - week[i - 1].start, kMillisPerHour) << i;
  }
  // An earlier window afterwards: the series from its start again.
  const auto first_day = expansion.Window(At("1900-01-01T00:00:00Z"), At("1900-01-02T00:00:00Z"));
  ASSERT_EQ(first_day.size(), 24u);
  EXPECT_EQ(first_day.front().start, r.dtstart);
  EXPECT_EQ(expansion.Window(At("2026-10-01T00:00:00Z"), At("2026-10-08T00:00:00Z")).size(), 168u);
}

TEST(Recurrence, AJumpKeepsTheIntervalOfTheSeries) {
  // Every other Tuesday from Tuesday 2000-01-04: 2026-10-06 is 9,772 days (698 fortnights) later.
  const Recurrence r{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", At("2000-01-04T14:00:00Z"),
                     "America/New_York", {At("2026-10-20T13:00:00Z")}};
  EXPECT_EQ(Starts(Expand(r, At("2026-10-01T00:00:00Z"), At("2026-11-10T00:00:00Z"))),
            (std::vector<std::string>{"2026-10-06T13:00:00Z 2026-10-06",
                                      "2026-11-03T14:00:00Z 2026-11-03"}));
}

// Found by tests/fuzz/recurrence_fuzzer (regressions/recurrence_fuzzer/year-zero-out-of-order):
// from a start in year 0000 libical went back and forth (0001-12-30, then 0001-11-03, …), and a
// window of the unordered instances missed some.
TEST(Recurrence, ASeriesBefore1900IsJustItsStart) {
  const Recurrence r{"FREQ=WEEKLY;BYDAY=TH", At("0000-01-01T17:56:45Z"), "UTC", {}};
  EXPECT_EQ(Expand(r, At("0000-01-01T00:00:00Z"), At("0002-03-01T00:00:00Z")).size(), 1u);
  const Recurrence from_1900{"FREQ=WEEKLY;BYDAY=MO", kEarliestSeriesStart, "UTC", {}};
  EXPECT_EQ(Starts(Expand(from_1900, At("1900-01-01T00:00:00Z"), At("1900-01-09T00:00:00Z"))),
            (std::vector<std::string>{"1900-01-01T00:00:00Z 1900-01-01",
                                      "1900-01-08T00:00:00Z 1900-01-08"}));
}

}  // namespace
}  // namespace huntline::calendar
