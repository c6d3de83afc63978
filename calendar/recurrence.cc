#include "calendar/recurrence.h"

#include <libical/ical.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <cctype>
#include <cstdio>

namespace huntline::calendar {
namespace {

/// Guards against rules that would yield an absurd number of instances (FREQ=SECONDLY, …).
constexpr int kMaxSteps = 200000;
/// How far past what it has expanded a window must start for an Expansion to jump there: at
/// most kMaxInstancesPerDay × 400 steps are walked instead.
constexpr Timestamp kSeekAfter = 400 * kMillisPerDay;

icaltimezone* Zone(std::string_view timezone) {
  if (timezone.empty() || timezone == "UTC" || timezone == "Etc/UTC") {
    return icaltimezone_get_utc_timezone();
  }
  icaltimezone* zone = icaltimezone_get_builtin_timezone(std::string(timezone).c_str());
  return zone ? zone : icaltimezone_get_utc_timezone();
}

time_t Seconds(Timestamp t) { return static_cast<time_t>(t / kMillisPerSecond); }

struct RuleParse {
  icalrecurrencetype rule;
  bool ok;
};

/// RFC 7529's RSCALE (a non-Gregorian calendar). libical copies its value into memory that
/// nothing frees, and loses it outright when the rest of the rule is malformed: a leak on every
/// message. Such a rule is never handed to libical.
bool HasRscale(std::string_view text) {
  constexpr std::string_view kName = "RSCALE";
  for (size_t i = 0; i + kName.size() <= text.size(); ++i) {
    size_t n = 0;
    while (n < kName.size() && std::toupper(static_cast<unsigned char>(text[i + n])) == kName[n]) ++n;
    if (n == kName.size()) return true;
  }
  return false;
}

RuleParse Parse(std::string_view text) {
  if (HasRscale(text)) return {icalrecurrencetype{}, false};
  icalerror_clear_errno();
  const icalerrorstate previous = icalerror_get_error_state(ICAL_MALFORMEDDATA_ERROR);
  icalerror_set_error_state(ICAL_MALFORMEDDATA_ERROR, ICAL_ERROR_NONFATAL);
  icalrecurrencetype rule = icalrecurrencetype_from_string(std::string(text).c_str());
  icalerror_set_error_state(ICAL_MALFORMEDDATA_ERROR, previous);
  const bool ok = rule.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
  icalerror_clear_errno();
  return {rule, ok};
}

}  // namespace

std::string LocalDate::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

Status CheckRule(std::string_view rule) {
  if (rule.empty()) return Status::Error("empty recurrence rule");
  if (HasRscale(rule)) return Status::Error("RSCALE (a non-Gregorian calendar) is not supported");
  const RuleParse parsed = Parse(rule);
  if (!parsed.ok) return Status::Error("not an RFC 5545 recurrence rule: " + std::string(rule));
  const icalrecurrencetype& r = parsed.rule;
  if (r.freq == ICAL_SECONDLY_RECURRENCE || r.freq == ICAL_MINUTELY_RECURRENCE ||
      r.freq == ICAL_HOURLY_RECURRENCE) {
    return Status::Error(std::string("FREQ=") + icalrecur_freq_to_string(r.freq) +
                         " is not a calendar's: DAILY, WEEKLY, MONTHLY or YEARLY");
  }
  auto listed = [](const short* values, size_t size) {
    size_t n = 0;
    while (n < size && values[n] != ICAL_RECURRENCE_ARRAY_MAX) ++n;
    return std::max<size_t>(n, 1);
  };
  const size_t per_day = listed(r.by_hour, ICAL_BY_HOUR_SIZE) * listed(r.by_minute, ICAL_BY_MINUTE_SIZE) *
                         listed(r.by_second, ICAL_BY_SECOND_SIZE);
  if (per_day > kMaxInstancesPerDay) {
    return Status::Error("BYHOUR, BYMINUTE and BYSECOND make " + std::to_string(per_day) +
                         " instances a day; at most " + std::to_string(kMaxInstancesPerDay));
  }
  if (r.count > kMaxCount) {
    return Status::Error("COUNT=" + std::to_string(r.count) + " is over " + std::to_string(kMaxCount));
  }
  // RFC 5545 3.3.10: BYDAY takes an ordinal (2TU, -1FR) only in a MONTHLY or YEARLY rule; libical
  // expands one elsewhere differently depending on where it starts.
  if (r.freq != ICAL_MONTHLY_RECURRENCE && r.freq != ICAL_YEARLY_RECURRENCE) {
    for (size_t i = 0; i < ICAL_BY_DAY_SIZE && r.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
      if (icalrecurrencetype_day_position(r.by_day[i]) != 0) {
        return Status::Error("BYDAY with an ordinal (such as 2TU) needs FREQ=MONTHLY or YEARLY");
      }
    }
  }
  return Status::Ok();
}

namespace {

/// The zone and link names of the IANA database as the system's tzdata lists them
/// (`tzdata.zi`: "Z <name> …" and "L <target> <name>" lines); empty when it is not there.
const std::set<std::string, std::less<>>& IanaNames() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> out;
    std::ifstream in("/usr/share/zoneinfo/tzdata.zi");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string kind, first, second;
      fields >> kind >> first >> second;
      if (kind == "Z") out.insert(first);
      if (kind == "L") out.insert(second);
    }
    return out;
  }();
  return names;
}

}  // namespace

bool KnownTimeZone(std::string_view timezone) {
  if (timezone == "UTC" || timezone == "Etc/UTC") return true;
  if (timezone.empty() || timezone == "Factory") return false;  // "no zone set", not a place
  // libical finds zones by file path too: "localtime" (the server's own zone), "posixrules",
  // "right/…" (leap seconds), "posix/…", "../zoneinfo/UTC" are files, not IANA names.
  const auto& names = IanaNames();
  if (!names.empty() ? !names.contains(timezone)
                     : timezone.find("..") != std::string_view::npos || timezone.front() == '/' ||
                           timezone.starts_with("posix") || timezone.starts_with("right/") ||
                           timezone == "localtime") {
    return false;
  }
  return icaltimezone_get_builtin_timezone(std::string(timezone).c_str()) != nullptr;
}

LocalDate LocalDateOf(Timestamp t, std::string_view timezone) {
  const icaltimetype local = icaltime_from_timet_with_zone(Seconds(t), 0, Zone(timezone));
  return {local.year, local.month, local.day};
}

Timestamp AtLocalTime(const LocalDate& date, int minutes, std::string_view timezone) {
  icaltimetype local = icaltime_null_time();
  local.year = date.year;
  local.month = date.month;
  local.day = date.day;
  local.hour = minutes / 60;
  local.minute = minutes % 60;
  local.is_date = 0;
  return static_cast<Timestamp>(icaltime_as_timet_with_zone(local, Zone(timezone))) *
         kMillisPerSecond;
}

/// The parsed rule, and libical's iterator over it (null once the rule has no more instances).
struct Expansion::Iterator {
  icalrecurrencetype rule;
  icaltimetype dtstart;
  icaltimezone* zone = nullptr;
  icalrecur_iterator* it = nullptr;
  void Reset(icalrecur_iterator* next) {
    if (it) icalrecur_iterator_free(it);
    it = next;
  }
  ~Iterator() { Reset(nullptr); }
};

Expansion::Expansion(Recurrence recurrence)
    : recurrence_(std::move(recurrence)), expanded_to_(recurrence_.dtstart) {
  icaltimezone* zone = Zone(recurrence_.timezone);
  const icaltimetype dtstart = icaltime_from_timet_with_zone(Seconds(recurrence_.dtstart), 0, zone);
  const RuleParse parsed = recurrence_.dtstart >= kEarliestSeriesStart
                              ? Parse(recurrence_.rule)
                              : RuleParse{icalrecurrencetype{}, false};
  if (parsed.ok && parsed.rule.count != 1) {
    auto iterator = std::make_unique<Iterator>();
    iterator->rule = parsed.rule;
    // libical compares UNTIL with the wall-clock times it makes in the rule's zone: a UTC
    // UNTIL is given to it as the same instant's wall-clock time there (RFC 5545: an instant,
    // and the instance at it is the last).
    icaltimetype& until = iterator->rule.until;
    if (!icaltime_is_null_time(until) && !until.is_date && icaltime_is_utc(until)) {
      const time_t instant = icaltime_as_timet_with_zone(until, icaltimezone_get_utc_timezone());
      until = icaltime_from_timet_with_zone(instant, 0, zone);
    }
    iterator->dtstart = dtstart;
    iterator->zone = zone;
    iterator_ = std::move(iterator);
  }
  if (parsed.ok) count_ = parsed.rule.count;
  Restart();
}

Expansion::~Expansion() = default;

void Expansion::Restart() {
  const icaltimetype dtstart = icaltime_from_timet_with_zone(
      Seconds(recurrence_.dtstart), 0, Zone(recurrence_.timezone));
  // RFC 5545: dtstart is always the first instance and counts toward COUNT, whether or not it
  // matches the rule (libical yields it first but may not count it).
  instances_.assign({{recurrence_.dtstart, {dtstart.year, dtstart.month, dtstart.day}}});
  instances_seen_ = 1;
  covered_from_ = recurrence_.dtstart;
  expanded_to_ = recurrence_.dtstart + 1;
  if (iterator_) iterator_->Reset(icalrecur_iterator_new(iterator_->rule, iterator_->dtstart));
  if (!iterator_ || !iterator_->it) expanded_to_ = INT64_MAX;
}

void Expansion::SeekTo(Timestamp from) {
  // libical starts at a wall-clock time of the rule's zone: start two days early, and count on
  // one day of margin for the zone's offset.
  const Timestamp seek = from - 2 * kMillisPerDay;
  icalrecur_iterator* it = icalrecur_iterator_new(iterator_->rule, iterator_->dtstart);
  if (!it) return;
  if (!icalrecur_iterator_set_start(it, icaltime_from_timet_with_zone(Seconds(seek), 0,
                                                                       iterator_->zone))) {
    icalrecur_iterator_free(it);
    return;  // walk there instead
  }
  iterator_->Reset(it);
  instances_.clear();
  covered_from_ = seek + kMillisPerDay;
  expanded_to_ = covered_from_;
}

void Expansion::ExtendTo(Timestamp to) {
  for (int step = 0; iterator_ && iterator_->it && expanded_to_ < to && step < kMaxSteps; ++step) {
    const icaltimetype next = icalrecur_iterator_next(iterator_->it);
    if (icaltime_is_null_time(next)) {
      iterator_->Reset(nullptr);
      break;
    }
    const Timestamp start =
        static_cast<Timestamp>(icaltime_as_timet_with_zone(next, iterator_->zone)) * kMillisPerSecond;
    // Instances are kept in order: one libical yields out of order is dropped, not misplaced.
    if (start <= recurrence_.dtstart || (!instances_.empty() && start <= instances_.back().start)) {
      continue;
    }
    instances_.push_back({start, {next.year, next.month, next.day}});
    expanded_to_ = start + 1;
    if (count_ > 0 && ++instances_seen_ >= count_) iterator_->Reset(nullptr);
  }
  if (!iterator_ || !iterator_->it) expanded_to_ = INT64_MAX;
}

std::vector<Instance> Expansion::Window(Timestamp from, Timestamp to) {
  std::vector<Instance> out;
  if (from >= to) return out;
  if (from < covered_from_ && covered_from_ > recurrence_.dtstart) Restart();
  // A rule without COUNT does not depend on its earlier instances: jump over a long stretch
  // instead of stepping through it (a series that started decades ago).
  if (count_ == 0 && iterator_ && iterator_->it && from > expanded_to_ &&
      from - expanded_to_ > kSeekAfter) {
    SeekTo(from);
  }
  ExtendTo(to);
  auto it = std::lower_bound(instances_.begin(), instances_.end(), from,
                             [](const Instance& i, Timestamp t) { return i.start < t; });
  for (; it != instances_.end() && it->start < to; ++it) {
    if (std::find(recurrence_.exdates.begin(), recurrence_.exdates.end(), it->start) !=
        recurrence_.exdates.end()) {
      continue;
    }
    out.push_back(*it);
  }
  return out;
}

std::vector<Instance> Expand(const Recurrence& recurrence, Timestamp from, Timestamp to) {
  return Expansion(recurrence).Window(from, to);
}

}  // namespace huntline::calendar
