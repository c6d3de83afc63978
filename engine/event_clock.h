#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "common/time.h"

namespace huntline::engine {

/// Engine time for `engine_time: event_time` on Kafka: the event-time watermark of the inputs.
/// A partition with messages still to read holds time back at the latest event time it has
/// delivered (the minimum over active inputs, as stream processors do); a partition read to its
/// known end is idle and holds nothing back; with every partition idle, time is the latest event
/// time of any. So a partition consumed after another does not find its events already settled,
/// and a single partition, or `huntline replay`, gives the latest event time seen.
/// Used on the processing thread only.
class EventClock {
 public:
  using PartitionId = std::pair<std::string, int32_t>;

  /// A partition to wait for (assigned), or no longer (revoked).
  void Add(const PartitionId& id) { partitions_.try_emplace(id); }
  void Remove(const PartitionId& id) { partitions_.erase(id); }

  /// The partition's read position and end offset, as last known from the broker.
  void SetBounds(const PartitionId& id, int64_t position, int64_t end);
  /// An event of `id` at `next_offset - 1` with time `time` is about to be applied: records it
  /// and returns engine time for it (kNoTime while some active partition has delivered nothing).
  /// A partition never added (the org topic's, read in full) holds nothing back.
  Timestamp OnEvent(const PartitionId& id, int64_t next_offset, Timestamp time);
  /// Engine time now, from what every partition has delivered.
  Timestamp Now() const;

 private:
  struct Partition {
    Timestamp latest = kNoTime;  // latest event time delivered
    int64_t next_offset = -1;    // next offset to read; -1 before the first message
    int64_t end = -1;            // known end offset; -1 while unknown
    bool always_idle = false;
    bool Idle() const { return always_idle || (end >= 0 && next_offset >= end); }
  };
  std::map<PartitionId, Partition> partitions_;
};

}  // namespace huntline::engine
