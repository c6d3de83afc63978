#pragma once

#include <cstdint>
#include <string_view>

namespace huntline {

/// How producers spread keyed messages over a topic's partitions, so that an instance can tell
/// which of its partitions a key belongs to without having seen a message with it.
enum class KeyPartitioner : uint8_t {
  kMurmur2,  // Kafka's Java producer, Kafka Connect, librdkafka's `murmur2_random`
  kCrc32,    // librdkafka's default `consistent_random`
};

/// Kafka's 32-bit murmur2 of the key bytes (seed 0x9747b28c), as the Java client computes it.
uint32_t Murmur2(std::string_view key);
/// CRC-32 (IEEE) of the key bytes, as librdkafka's consistent partitioners compute it.
uint32_t Crc32(std::string_view key);

/// The partition of `count` that `partitioner` gives a non-empty key.
int32_t PartitionOf(std::string_view key, int32_t count, KeyPartitioner partitioner);

}  // namespace huntline
