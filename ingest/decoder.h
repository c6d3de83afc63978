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

/// How a Kafka message carries its CloudEvent (the CloudEvents Kafka binding, §3).
enum class ContentMode : uint8_t {
  kStructured,  // the value is the whole event, a JSON object
  kBinary,      // attributes in `ce_*` headers, the value is `data`
};

/// The mode of `message`, decided as the README's "The Kafka message format" says: a
/// `content-type` starting with `application/cloudevents` (any case) means structured mode, and
/// must be `application/cloudevents+json` (parameters allowed); otherwise a `ce_*` header (any
/// case) means binary mode; otherwise (no headers, a replay line, a plain `application/json`)
/// the contract's structured mode. False and `*why` filled for a CloudEvents format Huntline does
/// not read (`+avro`, `-batch+json`).
bool SelectMode(const RawMessage& message, ContentMode* mode, Rejection* why);

/// Whether a media type declares JSON data: `application/json`, `text/json` and any `+json`
/// subtype of `application/` or `text/`, parameters allowed after `;` (as CloudEvents' sdk-java
/// counts them; names compared without regard to case).
bool IsJsonContentType(std::string_view media_type);

/// Decodes CloudEvents 1.0 (structured JSON mode, or binary mode with `ce_*` headers) and validates
/// them against `events.schema.json`. Not thread-safe: one decoder per thread; it reuses its
/// parser's buffers between calls.
class Decoder {
 public:
  /// True and `*out` filled when the message is a valid event; false and `*why` filled otherwise.
  /// Never throws; any bytes, headers and key are a valid argument.
  bool Decode(const RawMessage& message, Event* out, Rejection* why);

 private:
  bool DecodeStructured(std::string_view value, Event* out, Rejection* why);
  bool DecodeBinary(const Headers& headers, std::string_view value, Event* out, Rejection* why);
  bool DecodeData(simdjson::dom::element data, EventType type, Event* out, Rejection* why);

  simdjson::dom::parser parser_;
};

}  // namespace huntline::ingest
