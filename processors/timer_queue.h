#pragma once

#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "common/time.h"

namespace huntline::processors {

/// Event-time timers, one per key: "look at this key again when engine time reaches t". Setting a
/// key's timer replaces the one it had; entries that were replaced stay in the heap and are
/// skipped when they come up, so both operations are O(log n) and nothing is ever scanned.
/// Timers are derived state: a processor re-arms them when it re-evaluates its keys after a
/// restore, so they are never persisted.
class TimerQueue {
 public:
  /// Arms `key` for `deadline`, or disarms it when `deadline` is kNoTime.
  void Set(std::string_view key, Timestamp deadline) {
    auto it = armed_.find(key);
    if (deadline == kNoTime) {
      if (it != armed_.end()) armed_.erase(it);
      return;
    }
    if (it != armed_.end()) {
      if (it->second == deadline) return;
      it->second = deadline;
    } else {
      armed_.emplace(std::string(key), deadline);
    }
    heap_.emplace(deadline, std::string(key));
    if (heap_.size() > 4 * armed_.size() + 1024) Compact();
  }

  /// Removes and returns, in deadline order, every key whose timer is due at `now`.
  std::vector<std::string> PopDue(Timestamp now) {
    std::vector<std::string> due;
    while (!heap_.empty() && heap_.top().first <= now) {
      auto [deadline, key] = heap_.top();
      heap_.pop();
      auto it = armed_.find(key);
      if (it == armed_.end() || it->second != deadline) continue;  // replaced or disarmed
      armed_.erase(it);
      due.push_back(std::move(key));
    }
    return due;
  }

  size_t armed() const { return armed_.size(); }

 private:
  using Entry = std::pair<Timestamp, std::string>;
  /// Drops the replaced entries, so the heap stays proportional to the armed timers.
  void Compact() {
    std::vector<Entry> live;
    live.reserve(armed_.size());
    for (const auto& [key, deadline] : armed_) live.emplace_back(deadline, key);
    heap_ = decltype(heap_)(std::greater<>{}, std::move(live));
  }

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  StringMap<Timestamp> armed_;
};

}  // namespace huntline::processors
