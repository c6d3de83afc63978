#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace huntline {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool ParseCivilDate(std::string_view s, int* y, int* m, int* d) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d)) return false;
  return *m >= 1 && *m <= 12 && *d >= 1 && static_cast<unsigned>(*d) <= DaysInMonth(*y, *m);
}

}  // namespace

// Howard Hinnant's days_from_civil.
Day DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

CivilDate CivilFromDays(Day z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::optional<Timestamp> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!ParseCivilDate(s, &y, &mo, &d)) return std::nullopt;
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (!Digits(s, 11, 2, &h) || !Digits(s, 14, 2, &mi) || !Digits(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_minutes = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !Digits(s, pos + 1, 2, &oh) ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t seconds = static_cast<int64_t>(DaysFromCivil(y, mo, d)) * 86400 + h * 3600 +
                          mi * 60 + sec - offset_minutes * 60;
  return seconds * kMillisPerSecond + millis;
}

std::optional<Day> ParseDate(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !ParseCivilDate(s, &y, &m, &d)) return std::nullopt;
  return DaysFromCivil(y, m, d);
}

std::string FormatDate(Day day) {
  const CivilDate c = CivilFromDays(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

std::string FormatRfc3339(Timestamp t) {
  const Day day = DayOf(t);
  const int64_t ms_of_day = t - StartOfDay(day);
  const int64_t secs = ms_of_day / 1000;
  const int64_t ms = ms_of_day % 1000;
  char buf[48];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lldZ", FormatDate(day).c_str(),
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld.%03lldZ", FormatDate(day).c_str(),
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60), static_cast<long long>(ms));
  }
  return buf;
}

Timestamp WallClockNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int FiscalCalendar::QuarterOf(Day day) const {
  const CivilDate c = CivilFromDays(day);
  const int months_into_year = (static_cast<int>(c.month) - start_month_ + 12) % 12;
  // The fiscal year ends in the calendar year of its last month.
  const int fiscal_year =
      start_month_ == 1 ? c.year : (static_cast<int>(c.month) >= start_month_ ? c.year + 1 : c.year);
  return fiscal_year * 4 + months_into_year / 3;
}

std::string FiscalCalendar::Label(int quarter_index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "FY%d-Q%d", quarter_index / 4, quarter_index % 4 + 1);
  return buf;
}

std::optional<int> FiscalCalendar::ParseLabel(std::string_view label) {
  int year, q;
  if (label.size() != 9 || label.substr(0, 2) != "FY" || label.substr(6, 2) != "-Q" ||
      !Digits(label, 2, 4, &year) || !Digits(label, 8, 1, &q) || q < 1 || q > 4) {
    return std::nullopt;
  }
  return year * 4 + q - 1;
}

Day FiscalCalendar::QuarterStart(int quarter_index) const {
  const int fiscal_year = quarter_index / 4;
  const int quarter = quarter_index % 4;
  // Months since the start of calendar year (fiscal_year - 1) when start_month_ > 1.
  int year = start_month_ == 1 ? fiscal_year : fiscal_year - 1;
  int month = start_month_ + quarter * 3;  // 1-based, may exceed 12
  if (month > 12) {
    month -= 12;
    ++year;
  }
  return DaysFromCivil(year, static_cast<unsigned>(month), 1);
}

}  // namespace huntline
