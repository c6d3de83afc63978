#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace huntline::calendar {

/// A calendar date in some time zone, ordered and printable (`2026-08-04`).
struct LocalDate {
  int year = 0;
  int month = 0;
  int day = 0;
  auto operator<=>(const LocalDate&) const = default;
  std::string ToString() const;
};

/// One instance of a recurring rule: when it starts, and on which local date of the rule's zone.
struct Instance {
  Timestamp start = 0;
  LocalDate date;
};

/// An RFC 5545 recurrence: a rule (`FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=…`), its first instance
/// `dtstart`, the IANA zone its wall-clock times are taken in (daylight-saving changes keep the
/// local time, as RFC 5545 says) and the instants it excludes (`EXDATE`). `dtstart` is always the
/// first instance and counts toward `COUNT`.
struct Recurrence {
  std::string rule;
  Timestamp dtstart = 0;
  std::string timezone;
  std::vector<Timestamp> exdates;
};

/// The most instances a rule may make in one day (BYHOUR × BYMINUTE × BYSECOND values).
constexpr size_t kMaxInstancesPerDay = 24;
/// The largest COUNT a rule may have.
constexpr int kMaxCount = 10000;
/// The earliest start a recurrence is expanded from, 1900-01-01T00:00:00Z: libical's iterator
/// goes back and forth in years 0000 and 0001, and no calendar Huntline reads has a series older.
constexpr Timestamp kEarliestSeriesStart = -2208988800000;

/// Checks that `rule` is an RFC 5545 RRULE a calendar can mean: FREQ=DAILY, WEEKLY, MONTHLY or
/// YEARLY (no calendar repeats a block every second, minute or hour), at most
/// kMaxInstancesPerDay a day and a COUNT of at most kMaxCount. The error says why not.
Status CheckRule(std::string_view rule);
/// Whether `timezone` names a zone of the system's IANA database (`UTC` included).
bool KnownTimeZone(std::string_view timezone);

/// The instances of one recurrence, expanded once and extended on demand: asking again for a
/// window of a long-running series costs a lookup, not a re-expansion (libical's iterator, which
/// this owns, is slow). Never expands past the latest window asked for. A rule without COUNT
/// jumps to a window far past what it has expanded (a series that started decades ago costs its
/// window, not its history); a window before the stretch it jumped to starts it again. An unknown
/// zone is taken as UTC; an unparseable rule, or a `dtstart` before kEarliestSeriesStart, yields
/// just `dtstart`. Not thread-safe; not copyable.
class Expansion {
 public:
  explicit Expansion(Recurrence recurrence);
  ~Expansion();
  Expansion(const Expansion&) = delete;
  Expansion& operator=(const Expansion&) = delete;

  /// The instances that start in `[from, to)`, in order, minus the exdates.
  std::vector<Instance> Window(Timestamp from, Timestamp to);

 private:
  struct Iterator;
  void Restart();
  void SeekTo(Timestamp from);
  void ExtendTo(Timestamp to);

  Recurrence recurrence_;
  std::unique_ptr<Iterator> iterator_;  // null when the rule yields nothing past dtstart
  /// Every instance in [covered_from_, expanded_to_), exdates included, in order.
  std::vector<Instance> instances_;
  Timestamp covered_from_;
  Timestamp expanded_to_;
  int count_ = 0;      // the rule's COUNT (0: none)
  int instances_seen_ = 0;
};

/// The instances of `recurrence` that start in `[from, to)` (a one-off Expansion).
std::vector<Instance> Expand(const Recurrence& recurrence, Timestamp from, Timestamp to);

/// The local date of `t` in `timezone` (UTC when unknown).
LocalDate LocalDateOf(Timestamp t, std::string_view timezone);
/// The instant of a local wall-clock time (`minutes` after midnight) on `date` in `timezone`.
Timestamp AtLocalTime(const LocalDate& date, int minutes, std::string_view timezone);

}  // namespace huntline::calendar
