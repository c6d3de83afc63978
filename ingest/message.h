#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace huntline::ingest {

/// One Kafka header. Kafka allows a header without a value (null), distinct from an empty one;
/// `value` is then empty and `has_value` false.
struct Header {
  std::string key;
  std::string value;
  bool has_value = true;
};
using Headers = std::vector<Header>;

/// One input message as it arrived, before decoding: a Kafka record, or a line of a replay file
/// (topic "file:<path>", partition 0, offset = line number). Views point into the source's buffer
/// and are valid only during the call that receives the message.
struct RawMessage {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  /// No value at all (Kafka's tombstone: a compacted topic forgets the key), not an empty one.
  bool tombstone = false;
  const Headers* headers = nullptr;  // null when the source has none
};

}  // namespace huntline::ingest
