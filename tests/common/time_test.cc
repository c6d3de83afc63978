#include "common/time.h"

#include <gtest/gtest.h>

namespace huntline {
namespace {

TEST(ParseRfc3339, AcceptsUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-07-01T08:00:00Z"), 1782892800000);
  EXPECT_EQ(ParseRfc3339("2026-07-01T10:00:00+02:00"), 1782892800000);
  EXPECT_EQ(ParseRfc3339("2026-07-01T03:30:00-04:30"), 1782892800000);
  EXPECT_EQ(ParseRfc3339("2026-07-01T08:00:00.250Z"), 1782892800250);
  EXPECT_EQ(ParseRfc3339("2026-07-01T08:00:00.123456789Z"), 1782892800123);
}

TEST(ParseRfc3339, RefusesWhatTheSchemaRefuses) {
  for (const char* bad : {"2026-07-01", "2026-07-01T08:00:00", "2026-07-01 08:00:00Z",
                          "2026-13-01T08:00:00Z", "2026-02-29T08:00:00Z", "2026-07-01T24:00:00Z",
                          "2026-07-01T08:00:00.Z", "2026-07-01T08:00:00+0200", "2026-07-01t08:00:00z",
                          "2026-07-01T08:00:00Zjunk", ""}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseRfc3339("2028-02-29T08:00:00Z").has_value());
}

TEST(ParseDate, ValidatesTheCalendar) {
  EXPECT_EQ(ParseDate("1970-01-02"), 1);
  EXPECT_EQ(FormatDate(*ParseDate("2026-09-30")), "2026-09-30");
  EXPECT_FALSE(ParseDate("2026-09-31").has_value());
  EXPECT_FALSE(ParseDate("2026-9-30").has_value());
}

TEST(FormatRfc3339, RoundTrips) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-13T18:00:00Z")), "2026-11-13T18:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-13T18:00:00.5Z")), "2026-11-13T18:00:00.500Z");
}

TEST(FiscalCalendar, CalendarYearQuarters) {
  FiscalCalendar fiscal(1);
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2026-09-30"))), "FY2026-Q3");
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2026-10-01"))), "FY2026-Q4");
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2026-01-01"))), "FY2026-Q1");
  EXPECT_EQ(fiscal.QuarterStart(*FiscalCalendar::ParseLabel("FY2026-Q3")), *ParseDate("2026-07-01"));
  EXPECT_EQ(fiscal.QuarterEnd(*FiscalCalendar::ParseLabel("FY2026-Q4")), *ParseDate("2027-01-01"));
}

TEST(FiscalCalendar, YearNamedAfterTheCalendarYearItEndsIn) {
  // Start month 2: Feb 2026 – Jan 2027 is FY2027.
  FiscalCalendar fiscal(2);
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2026-02-01"))), "FY2027-Q1");
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2027-01-31"))), "FY2027-Q4");
  EXPECT_EQ(FiscalCalendar::Label(fiscal.QuarterOf(*ParseDate("2026-01-31"))), "FY2026-Q4");
  EXPECT_EQ(fiscal.QuarterStart(*FiscalCalendar::ParseLabel("FY2027-Q4")), *ParseDate("2026-11-01"));
  // Start month 10 (US federal style): Oct 2025 – Sep 2026 is FY2026.
  FiscalCalendar federal(10);
  EXPECT_EQ(FiscalCalendar::Label(federal.QuarterOf(*ParseDate("2025-10-01"))), "FY2026-Q1");
  EXPECT_EQ(FiscalCalendar::Label(federal.QuarterOf(*ParseDate("2026-09-30"))), "FY2026-Q4");
  EXPECT_EQ(federal.QuarterStart(*FiscalCalendar::ParseLabel("FY2026-Q2")), *ParseDate("2026-01-01"));
}

TEST(FiscalCalendar, QuartersAreContiguousForEveryStartMonth) {
  for (int month = 1; month <= 12; ++month) {
    FiscalCalendar fiscal(month);
    for (Day d = *ParseDate("2025-01-01"); d < *ParseDate("2028-01-01"); ++d) {
      const int q = fiscal.QuarterOf(d);
      ASSERT_LE(fiscal.QuarterStart(q), d) << month << " " << FormatDate(d);
      ASSERT_GT(fiscal.QuarterEnd(q), d) << month << " " << FormatDate(d);
    }
  }
}

}  // namespace
}  // namespace huntline
