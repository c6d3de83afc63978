#include "connectors/envelope.h"

#include <algorithm>

namespace huntline::connectors {

void Translation::Refuse(std::string locator, std::string reason, std::string detail, std::string_view record) {
  std::string kept(record.substr(0, Refusal::kMaxRecordBytes));
  refusals.push_back({std::move(locator), std::move(reason), std::move(detail), std::move(kept)});
}

std::string Translation::ContractViolation(const Json& event) {
  for (const char* key : {"id", "source"}) {
    const std::string value = event.value(key, "");
    if (value.empty() || value.size() > 256) return std::string(key) + " must have 1 to 256 characters";
  }
  const Json& data = event["data"];
  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string& key = it.key();
    const Json& value = it.value();
    if (key.ends_with("_id") && value.is_string() && value.get<std::string>().empty()) return key + " is empty";
    if ((key == "amount" || key == "duration_s" || key == "effort_minutes" || key == "quarterly_quota") &&
        value.is_number() && value.get<double>() < 0) {
      return key + " is negative";
    }
    if ((key == "start" || key == "end" || key == "original_start" || key == "created_at") && value.is_string()) {
      const std::string text = value;
      if (text.size() < 20 || text[4] != '-' || text < "1900" || text > "9999-12-31T23:59:59.999Z") {
        return key + " is not a time between 1900 and 9999";
      }
    }
  }
  if (data.contains("start") && data.contains("end")) {
    auto start = ParseRfc3339(data["start"].get<std::string>());
    auto end = ParseRfc3339(data["end"].get<std::string>());
    if (!start || !end || *end < *start) return "end is before start";
  }
  return "";
}

ContractEvent MakeEvent(std::string id, std::string source, std::string_view type, Timestamp time,
                        std::string key, Json data) {
  ContractEvent out;
  out.time = time;
  out.event["specversion"] = "1.0";
  out.event["id"] = std::move(id);
  out.event["source"] = std::move(source);
  out.event["type"] = std::string(type);
  out.event["time"] = FormatRfc3339(time);
  out.event["partitionkey"] = std::move(key);
  out.event["data"] = std::move(data);
  return out;
}

void SortByTime(std::vector<ContractEvent>& events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const ContractEvent& a, const ContractEvent& b) { return a.time < b.time; });
}

std::string DeadLetterLine(const Refusal& refusal, std::string_view format, std::string_view input) {
  Json line;
  line["locator"] = refusal.locator;
  line["reason"] = refusal.reason;
  line["detail"] = refusal.detail;
  line["format"] = std::string(format);
  line["input"] = std::string(input);
  line["record"] = refusal.record;
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace huntline::connectors
