#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace huntline {

/// Milliseconds since 1970-01-01T00:00:00Z. Every instant in the engine is one of these.
using Timestamp = int64_t;
/// Days since 1970-01-01 (UTC). Contract dates (`YYYY-MM-DD`) become these.
using Day = int32_t;

inline constexpr Timestamp kMillisPerSecond = 1000;
inline constexpr Timestamp kMillisPerMinute = 60 * kMillisPerSecond;
inline constexpr Timestamp kMillisPerHour = 60 * kMillisPerMinute;
inline constexpr Timestamp kMillisPerDay = 24 * kMillisPerHour;
inline constexpr Timestamp kNoTime = INT64_MIN;

/// Parses RFC 3339 as the contract allows it: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, with a
/// calendar-valid date and time. Fractions below a millisecond are truncated.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

/// Parses `YYYY-MM-DD` (a calendar-valid date).
std::optional<Day> ParseDate(std::string_view text);

/// `2026-07-01T08:00:00Z` (milliseconds shown only when not zero).
std::string FormatRfc3339(Timestamp t);
/// `2026-07-01`.
std::string FormatDate(Day day);

/// The system clock now.
Timestamp WallClockNow();

/// The UTC day holding `t`.
constexpr Day DayOf(Timestamp t) {
  return static_cast<Day>(t >= 0 ? t / kMillisPerDay : (t - kMillisPerDay + 1) / kMillisPerDay);
}
constexpr Timestamp StartOfDay(Day day) { return static_cast<Timestamp>(day) * kMillisPerDay; }

/// Days since the epoch of a civil date (proleptic Gregorian).
Day DaysFromCivil(int year, unsigned month, unsigned day);
struct CivilDate {
  int year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(Day day);

/// Fiscal quarters of a fiscal year that starts in `start_month` (1..12). A fiscal year is named
/// after the calendar year in which it ends: with start month 2, Feb 2026–Jan 2027 is FY2027.
class FiscalCalendar {
 public:
  explicit FiscalCalendar(int start_month = 1) : start_month_(start_month) {}

  int start_month() const { return start_month_; }
  /// A totally ordered index: fiscal_year * 4 + (quarter - 1).
  int QuarterOf(Day day) const;
  /// `FY2026-Q3`.
  static std::string Label(int quarter_index);
  /// Parses a label back to its index.
  static std::optional<int> ParseLabel(std::string_view label);
  /// First day of the quarter, and the first day of the next one.
  Day QuarterStart(int quarter_index) const;
  Day QuarterEnd(int quarter_index) const { return QuarterStart(quarter_index + 1); }

 private:
  int start_month_;
};

}  // namespace huntline
