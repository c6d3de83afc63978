#include "connectors/envelope.h"

#include <algorithm>

namespace huntline::connectors {

void Translation::Refuse(std::string locator, std::string reason, std::string detail, std::string_view record) {
  std::string kept(record.substr(0, Refusal::kMaxRecordBytes));
  refusals.push_back({std::move(locator), std::move(reason), std::move(detail), std::move(kept)});
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
