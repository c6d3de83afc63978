#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/message.h"

namespace huntline::fuzz {

/// A Kafka message spelt as bytes, so that a fuzzer can reach every part of it and a seed can be
/// written by hand:
///
///     value [0xFF key [0xFF header-name 0xFF header-value]...]
///
/// One field: a message without headers (a replay line, or a Kafka record that has none). Two or
/// more: the headers are present, possibly none. A field that is exactly 0xFE is null (no value,
/// no key, a header without a value); a header name left without its value is a null header.
/// 0xFF and 0xFE never occur in UTF-8, so a contract line is itself the framing of a structured
/// message. The RawMessage returned by message() points into the input and into this object.
class FramedMessage {
 public:
  static constexpr char kSeparator = '\xff';
  static constexpr std::string_view kNull = "\xfe";

  FramedMessage(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> fields;
    size_t begin = 0;
    while (true) {
      const size_t end = input.find(kSeparator, begin);
      fields.push_back(input.substr(begin, end == std::string_view::npos ? std::string_view::npos
                                                                          : end - begin));
      if (end == std::string_view::npos) break;
      begin = end + 1;
    }
    message_.topic = "fuzz";
    // A null value or key is what librdkafka hands over for a tombstone: no pointer at all.
    if (fields[0] != kNull) message_.value = fields[0];
    if (fields.size() == 1) return;
    if (fields[1] != kNull) message_.key = fields[1];
    for (size_t i = 2; i < fields.size(); i += 2) {
      ingest::Header header;
      header.key = std::string(fields[i]);
      if (i + 1 < fields.size() && fields[i + 1] != kNull) {
        header.value = std::string(fields[i + 1]);
      } else {
        header.has_value = false;
      }
      headers_.push_back(std::move(header));
    }
    message_.headers = &headers_;
  }
  FramedMessage(const FramedMessage&) = delete;
  FramedMessage& operator=(const FramedMessage&) = delete;

  const ingest::RawMessage& message() const { return message_; }

 private:
  ingest::Headers headers_;
  ingest::RawMessage message_;
};

}  // namespace huntline::fuzz
