#include "calendar/recurrence.h"

#include <libical/ical.h>

#include <algorithm>
#include <cstdio>

namespace huntline::calendar {
namespace {

/// Guards against rules that would yield an absurd number of instances (FREQ=SECONDLY, …).
constexpr int kMaxSteps = 200000;

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

RuleParse Parse(std::string_view text) {
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
  if (!Parse(rule).ok) return Status::Error("not an RFC 5545 recurrence rule: " + std::string(rule));
  return Status::Ok();
}

bool KnownTimeZone(std::string_view timezone) {
  if (timezone == "UTC" || timezone == "Etc/UTC") return true;
  return !timezone.empty() &&
         icaltimezone_get_builtin_timezone(std::string(timezone).c_str()) != nullptr;
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

std::vector<Instance> Expand(const Recurrence& recurrence, Timestamp from, Timestamp to) {
  std::vector<Instance> out;
  if (from >= to) return out;
  icaltimezone* zone = Zone(recurrence.timezone);
  auto keep = [&](Timestamp start, const icaltimetype& local) {
    if (start < from || start >= to) return;
    if (std::find(recurrence.exdates.begin(), recurrence.exdates.end(), start) !=
        recurrence.exdates.end()) {
      return;
    }
    out.push_back({start, {local.year, local.month, local.day}});
  };
  const icaltimetype dtstart =
      icaltime_from_timet_with_zone(Seconds(recurrence.dtstart), 0, zone);
  const RuleParse parsed = Parse(recurrence.rule);
  if (!parsed.ok) {
    keep(recurrence.dtstart, dtstart);
    return out;
  }
  icalrecur_iterator* it = icalrecur_iterator_new(parsed.rule, dtstart);
  if (!it) {
    keep(recurrence.dtstart, dtstart);
    return out;
  }
  // RFC 5545: dtstart is always the first instance and counts toward COUNT, whether or not it
  // matches the rule (libical yields it first but may not count it).
  keep(recurrence.dtstart, dtstart);
  const int count = parsed.rule.count;
  int instances = 1;
  for (int step = 0; step < kMaxSteps && (count <= 0 || instances < count); ++step) {
    const icaltimetype next = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(next)) break;
    const Timestamp start =
        static_cast<Timestamp>(icaltime_as_timet_with_zone(next, zone)) * kMillisPerSecond;
    if (start >= to) break;
    if (start <= recurrence.dtstart) continue;
    ++instances;
    keep(start, next);
  }
  icalrecur_iterator_free(it);
  return out;
}

}  // namespace huntline::calendar
