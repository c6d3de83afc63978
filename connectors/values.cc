#include "connectors/values.h"

#include <cstdio>

#include "calendar/recurrence.h"

namespace huntline::connectors {

std::string Str(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Timestamp> IcalInstant(std::string_view text, const std::string& zone) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > text.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(4, 2), day = digits(6, 2);
  if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  const calendar::LocalDate date{*year, *month, *day};
  if (text.size() == 8) return calendar::AtLocalTime(date, 0, zone);
  if (text.size() < 15 || text[8] != 'T') return std::nullopt;
  auto hour = digits(9, 2), minute = digits(11, 2), second = digits(13, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const Timestamp seconds = *second * kMillisPerSecond;
  if (text.size() == 16 && text[15] == 'Z') {
    return StartOfDay(DaysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day))) +
           *hour * kMillisPerHour + *minute * kMillisPerMinute + seconds;
  }
  if (text.size() != 15) return std::nullopt;
  return calendar::AtLocalTime(date, *hour * 60 + *minute, zone) + seconds;
}

std::optional<Timestamp> LocalInstant(std::string_view text, const std::string& zone) {
  std::string compact;
  for (char c : text.substr(0, text.find('.'))) {
    if (c != '-' && c != ':') compact += c;
  }
  return IcalInstant(compact, zone);
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Json Amount(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value))) return static_cast<int64_t>(value);
  return value;
}

std::string IcalUtc(Timestamp t) {
  std::string text = FormatRfc3339(t - (t % kMillisPerSecond + kMillisPerSecond) % kMillisPerSecond);
  std::string out;
  for (char c : text) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

}  // namespace huntline::connectors
