#pragma once

#include <array>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "ingest/event.h"
#include "ingest/message.h"

namespace huntline::ingest {

/// Why a message was refused. The label of `huntline_dead_letters_total`, so a closed set.
enum class RejectReason : uint8_t {
  kInvalidJson,    // not parseable JSON, or not an object where one is required
  kMissingField,   // a required attribute or field is absent
  kWrongType,      // a field of the wrong JSON type
  kInvalidValue,   // out of range, bad format, or not one of the allowed values
  kUnknownType,    // `type` is not one the contract lists
  kWrongKey,       // the message key is not the one the contract gives the event
};
inline constexpr std::array<std::string_view, 6> kRejectReasonNames = {
    "invalid_json", "missing_field", "wrong_type", "invalid_value", "unknown_type", "wrong_key"};

struct Rejection {
  RejectReason reason = RejectReason::kInvalidJson;
  /// Names the field and says what is wrong: `data.outcome: "maybe" is not one of …`.
  std::string detail;
};

/// Decodes CloudEvents 1.0 (structured JSON mode, or binary mode with `ce_*` headers) and validates
/// them against `events.schema.json`. Not thread-safe: one decoder per thread; it reuses its
/// parser's buffers between calls.
class Decoder {
 public:
  /// True and `*out` filled when the message is a valid event; false and `*why` filled otherwise.
  bool Decode(const RawMessage& message, Event* out, Rejection* why);

 private:
  bool DecodeStructured(std::string_view value, Event* out, Rejection* why);
  bool DecodeBinary(const Headers& headers, std::string_view value, Event* out, Rejection* why);
  bool DecodeData(simdjson::dom::element data, EventType type, Event* out, Rejection* why);

  simdjson::dom::parser parser_;
};

}  // namespace huntline::ingest
