#include "engine/event_clock.h"

#include <algorithm>

namespace huntline::engine {

void EventClock::SetBounds(const PartitionId& id, int64_t position, int64_t end) {
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return;
  it->second.next_offset = std::max(it->second.next_offset, position);
  it->second.end = end;
}

Timestamp EventClock::OnEvent(const PartitionId& id, int64_t next_offset, Timestamp time) {
  auto [it, inserted] = partitions_.try_emplace(id);
  Partition& p = it->second;
  if (inserted) p.always_idle = true;  // not an assigned partition (the org topic's)
  p.latest = std::max(p.latest, time);
  p.next_offset = std::max(p.next_offset, next_offset);
  return Now();
}

Timestamp EventClock::Now() const {
  Timestamp active_min = INT64_MAX;
  Timestamp latest = kNoTime;
  bool any_active = false;
  for (const auto& [id, p] : partitions_) {
    latest = std::max(latest, p.latest);
    if (p.Idle()) continue;
    any_active = true;
    active_min = std::min(active_min, p.latest);  // kNoTime when it has delivered nothing yet
  }
  return any_active ? active_min : latest;
}

}  // namespace huntline::engine
