// libFuzzer target: calendar/ as the engine drives it, with rule and zone strings from the input.
//
// The first byte chooses the path:
// - even: a rule and a zone (`RULE\nZONE\n…`, the input's tail holding the numbers): CheckRule,
//   KnownTimeZone, LocalDateOf, AtLocalTime, and for a rule CheckRule accepts an Expansion over
//   several windows placed from a year before the series' start to forty years after it;
// - odd: `OWNER-ZONE\n` then the `data` of a calendar.event.upserted, decoded in binary mode as
//   the engine decodes it; an accepted series is expanded over the windows the protected-time
//   processor asks for (from before "now" to a year ahead).
//
// Contract: nothing crashes, leaks or hangs; a window returns instances in order, inside the
// window, none of them excluded; and an Expansion asked for windows one after another (its cache)
// gives the same instances as a fresh one asked for that window alone.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "calendar/recurrence.h"
#include "common/time.h"
#include "ingest/decoder.h"

namespace {

using huntline::kMillisPerDay;
using huntline::kMillisPerMinute;
using huntline::Timestamp;
using huntline::calendar::Expansion;
using huntline::calendar::Instance;
using huntline::calendar::Recurrence;

// The instants an RFC 3339 time of the contract can name: years 0000 to 9999, any offset.
constexpr Timestamp kEarliest = -62167219200000 - kMillisPerDay;
constexpr Timestamp kLatest = 253402300800000 + kMillisPerDay;
constexpr Timestamp kYear = 366 * kMillisPerDay;
constexpr Timestamp kCalendarsFrom = -2208988800000;  // 1900-01-01
constexpr Timestamp kCalendarsTo = 7258118400000;     // 2200-01-01

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckWindow(const std::vector<Instance>& instances, const Recurrence& recurrence,
                 Timestamp from, Timestamp to) {
  for (size_t i = 0; i < instances.size(); ++i) {
    Check(instances[i].start >= from && instances[i].start < to);
    if (i > 0) Check(instances[i - 1].start < instances[i].start);
    for (Timestamp excluded : recurrence.exdates) Check(instances[i].start != excluded);
  }
}

std::vector<Timestamp> Starts(const std::vector<Instance>& instances) {
  std::vector<Timestamp> out;
  out.reserve(instances.size());
  for (const Instance& i : instances) out.push_back(i.start);
  return out;
}

/// Asks one Expansion for `windows` in turn, then checks the last answer against a fresh one.
void ExpandWindows(const Recurrence& recurrence,
                   const std::vector<std::pair<Timestamp, Timestamp>>& windows) {
  Expansion expansion(recurrence);
  std::vector<Instance> last;
  for (const auto& [from, to] : windows) {
    last = expansion.Window(from, to);
    CheckWindow(last, recurrence, from, to);
  }
  const auto& [from, to] = windows.back();
  Check(Starts(last) == Starts(huntline::calendar::Expand(recurrence, from, to)));
}

void RuleAndZone(FuzzedDataProvider& input) {
  // Mostly the years calendars hold; sometimes any year the contract's times can name (libical's
  // zone tables grow to cover them, a hundred times slower).
  const bool any_year = input.ConsumeIntegralInRange(0, 7) == 0;
  const Timestamp dtstart = any_year ? input.ConsumeIntegralInRange(kEarliest, kLatest)
                                     : input.ConsumeIntegralInRange(kCalendarsFrom, kCalendarsTo);
  std::vector<std::pair<Timestamp, Timestamp>> windows(input.ConsumeIntegralInRange(1, 4));
  for (auto& [from, to] : windows) {
    // Mostly within two years of the series' start, sometimes decades after it (an Expansion
    // jumps there; the fresh one checked against it may walk).
    const Timestamp reach = input.ConsumeIntegralInRange(0, 3) == 0 ? 40 * kYear : 2 * kYear;
    from = dtstart + input.ConsumeIntegralInRange(-kYear, reach);
    to = from + input.ConsumeIntegralInRange<Timestamp>(0, 120 * kMillisPerDay);
  }
  std::vector<Timestamp> exdates(input.ConsumeIntegralInRange(0, 3));
  for (Timestamp& t : exdates) t = dtstart + input.ConsumeIntegralInRange(0, 800) * kMillisPerDay;
  const Timestamp instant = any_year ? input.ConsumeIntegralInRange(kEarliest, kLatest)
                                     : input.ConsumeIntegralInRange(kCalendarsFrom, kCalendarsTo);
  const int minutes = input.ConsumeIntegralInRange(0, 24 * 60);
  const huntline::Day day = any_year ? input.ConsumeIntegralInRange<huntline::Day>(-719528, 2932896)
                                     : huntline::DayOf(instant);

  const std::string text = input.ConsumeRemainingBytesAsString();
  const size_t rule_end = std::min(text.find('\n'), text.size());
  const std::string rule = text.substr(0, rule_end);
  std::string zone = rule_end < text.size() ? text.substr(rule_end + 1) : std::string();
  zone = zone.substr(0, zone.find('\n'));

  huntline::calendar::KnownTimeZone(zone);
  huntline::calendar::LocalDateOf(instant, zone);
  const huntline::CivilDate civil = huntline::CivilFromDays(day);
  huntline::calendar::AtLocalTime(
      {civil.year, static_cast<int>(civil.month), static_cast<int>(civil.day)}, minutes, zone);
  if (!huntline::calendar::CheckRule(rule).ok()) return;
  ExpandWindows({rule, dtstart, zone, exdates}, windows);
}

void DecodedSeries(FuzzedDataProvider& input) {
  const Timestamp now_offset = input.ConsumeIntegralInRange(-30 * kMillisPerDay, 3 * kYear);
  const int upcoming_days = input.ConsumeIntegralInRange(1, 365);
  const std::string text = input.ConsumeRemainingBytesAsString();
  const size_t zone_end = std::min(text.find('\n'), text.size());
  const std::string owner_zone = text.substr(0, zone_end);
  const std::string value = zone_end < text.size() ? text.substr(zone_end + 1) : std::string();

  static huntline::ingest::Decoder decoder;
  const huntline::ingest::Headers headers = {{"ce_specversion", "1.0"},
                                             {"ce_id", "fuzz-1"},
                                             {"ce_source", "fuzz"},
                                             {"ce_type", "calendar.event.upserted"},
                                             {"ce_time", "2026-10-06T14:05:00Z"},
                                             {"content-type", "application/json"}};
  huntline::ingest::RawMessage message;
  message.topic = "fuzz";
  message.value = value;
  message.headers = &headers;
  huntline::ingest::Event event;
  huntline::ingest::Rejection why;
  if (!decoder.Decode(message, &event, &why)) return;
  const auto& upsert = event.As<huntline::ingest::CalendarEventUpserted>();
  if (!upsert.rrule) return;
  // The owner's zone was checked when their org.user.upserted was decoded.
  const std::string zone = upsert.timezone ? *upsert.timezone
                           : huntline::calendar::KnownTimeZone(owner_zone) ? owner_zone
                                                                           : "UTC";
  // The protected-time processor's windows: settlement behind "now", conflicts ahead of it.
  const Timestamp now = upsert.start + now_offset;
  const Timestamp from = now - 60 * kMillisPerMinute - 2 * kMillisPerDay;
  const Timestamp to = now + (upcoming_days + 2) * kMillisPerDay;
  ExpandWindows({*upsert.rrule, upsert.start, zone, upsert.exdates},
                {{from - kMillisPerDay, to + kMillisPerDay}, {from, to}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider input(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    RuleAndZone(input);
  } else {
    DecodedSeries(input);
  }
  return 0;
}
