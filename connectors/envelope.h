#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace huntline::connectors {

using Json = nlohmann::ordered_json;

/// A contract event made from a native record (MAPPING.md, "Envelope"): structured-mode
/// CloudEvent with `partitionkey` (the Kafka key, events.md "Topics and keys").
struct ContractEvent {
  Timestamp time = kNoTime;
  Json event;
};

/// A native record that cannot become a contract event (MAPPING.md, "Dead letters").
struct Refusal {
  std::string locator;  // where in the input: a JSONPath, or an ICS component path
  std::string reason;   // one of MAPPING.md's codes
  std::string detail;   // what is missing and what to do
  std::string record;   // the native record, at most kMaxRecordBytes of it
  static constexpr size_t kMaxRecordBytes = 4096;
};

/// What one input gives: events, refusals, and how many records correctly gave nothing.
struct Translation {
  std::vector<ContractEvent> events;
  std::vector<Refusal> refusals;
  size_t skipped = 0;

  void Refuse(std::string locator, std::string reason, std::string detail, std::string_view record);
};

/// A contract event: `id`, `source`, `type`, `time`, the Kafka key and `data`, in that order.
ContractEvent MakeEvent(std::string id, std::string source, std::string_view type, Timestamp time,
                        std::string key, Json data);

/// The events in `time` order, ties in the order they were made (MAPPING.md, "Order").
void SortByTime(std::vector<ContractEvent>& events);

/// One dead-letter line: `{"locator","reason","detail","format","input","record"}`.
std::string DeadLetterLine(const Refusal& refusal, std::string_view format, std::string_view input);

}  // namespace huntline::connectors
