#pragma once

#include <exception>
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

  /// Translates one native record with `translate`: a record no rule foresaw (a value of the
  /// wrong type, a number out of range) is refused (`invalid_value`) with what went wrong,
  /// never the end of the run; an event the contract would refuse (ContractViolation) is
  /// refused in its place.
  template <typename F>
  void Record(const std::string& locator, std::string_view record, F translate) {
    const size_t first = events.size();
    try {
      translate();
    } catch (const std::exception& e) {
      events.resize(first);
      Refuse(locator, "invalid_value", std::string("the record cannot be read: ") + e.what(), record);
      return;
    }
    for (size_t i = first; i < events.size();) {
      if (std::string why = ContractViolation(events[i].event); !why.empty()) {
        Refuse(locator, "invalid_value", why, record);
        events.erase(events.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }

  /// Why the contract would refuse `event`, or "": ids and sources of 1..256 characters,
  /// non-empty entity ids, no negative amount or duration, times within years 1900..9999, an
  /// end not before its start.
  static std::string ContractViolation(const Json& event);
};

/// A contract event: `id`, `source`, `type`, `time`, the Kafka key and `data`, in that order.
ContractEvent MakeEvent(std::string id, std::string source, std::string_view type, Timestamp time,
                        std::string key, Json data);

/// The events in `time` order, ties in the order they were made (MAPPING.md, "Order").
void SortByTime(std::vector<ContractEvent>& events);

/// One dead-letter line: `{"locator","reason","detail","format","input","record"}`.
std::string DeadLetterLine(const Refusal& refusal, std::string_view format, std::string_view input);

}  // namespace huntline::connectors
