#pragma once

#include <algorithm>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "common/time.h"
#include "storage/kv_store.h"
#include "storage/write_back_cache.h"

namespace huntline::processors {

/// Event-time timers, one per key: "look at this key again when engine time reaches t". Setting a
/// key's timer replaces the one it had; entries that were replaced stay queued and are skipped
/// when they come up, so both operations are O(log n) and nothing is ever scanned.
///
/// Timers are derived state: a processor re-arms them when it re-evaluates its keys after a
/// restore, so they are never logged. Without a store they are all in memory. With one (Open),
/// they stay in memory while they fit (`cache_entries` queue entries, the replaced ones dropped,
/// and changed deadlines), then go to the store, under a scratch prefix the task clears at each
/// start: `a/<key>` → the key's deadline (behind a write-back cache) and `t/<deadline><key>`, the
/// queue in deadline order (only the entries still armed: a key re-armed several times, as a busy
/// account is, is written once); memory then holds the timers set since they were written, the
/// cached deadlines, and the queue's next entries read ahead (up to `read_ahead` of them, so that
/// time moving on takes its due timers from memory rather than opening an iterator at each step).
class TimerQueue {
 public:
  /// Keeps the timers in `store` under `prefix` (empty there: the task clears it) once they
  /// outgrow memory: up to `cache_entries` queue entries and `cache_entries` changed deadlines
  /// (armed or disarmed) stay there unwritten, beside up to `cache_entries` cached deadlines.
  void Open(storage::KvStore* store, const std::string& prefix, size_t cache_entries,
            size_t read_ahead = kReadAhead) {
    store_ = store;
    prefix_ = prefix;
    armed_ = storage::WriteBackCache<Timestamp>(store, prefix + "a/", cache_entries, DecodeDeadline);
    heap_ = {};
    armed_count_ = 0;
    stored_min_ = kNoTime;
    consumed_ = kNoTime;
    deleted_to_ = kNoTime;
    read_ahead_ = std::max<size_t>(read_ahead, 1);
    resident_ = cache_entries;
    queue_stored_ = false;
    staged_.clear();
    staged_to_.reset();
  }

  /// Arms `key` for `deadline`, or disarms it when `deadline` is kNoTime.
  void Set(std::string_view key, Timestamp deadline) {
    if (deadline == kNoTime) {
      if (armed_.Find(key)) {
        armed_.Erase(key);
        --armed_count_;
      }
      return;
    }
    const std::optional<Timestamp> before = armed_.Replace(key, deadline);
    if (before && *before == deadline) return;
    if (!before) ++armed_count_;
    heap_.emplace(deadline, std::string(key));
    if (!store_ && heap_.size() > 4 * armed_count_ + 1024) Compact();
  }

  /// Removes and returns, in deadline order (then key order), every key whose timer is due at
  /// `now`.
  std::vector<std::string> PopDue(Timestamp now) {
    std::vector<Entry> candidates;
    while (!heap_.empty() && heap_.top().first <= now) {
      candidates.push_back(heap_.top());
      heap_.pop();
    }
    if (store_) {
      const size_t from_memory = candidates.size();
      while (true) {
        while (!staged_.empty() && staged_.front().first <= now) {
          candidates.push_back(std::move(staged_.front()));
          staged_.pop_front();
        }
        if (!staged_.empty() || stored_min_ == kNoTime || stored_min_ > now) break;
        ReadAhead();
      }
      consumed_ = consumed_ == kNoTime ? now : std::max(consumed_, now);
      std::inplace_merge(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(from_memory),
                         candidates.end());
    }
    std::vector<std::string> due;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (i > 0 && candidates[i] == candidates[i - 1]) continue;
      auto& [deadline, key] = candidates[i];
      const Timestamp* current = armed_.Find(key);
      if (!current || *current != deadline) continue;  // replaced or disarmed
      armed_.Erase(key);
      --armed_count_;
      due.push_back(std::move(key));
    }
    return due;
  }

  /// With a store: writes the timers set since the last write and forgets those taken, once they
  /// no longer fit in memory (more than `cache_entries` deadlines changed, armed or disarmed, or
  /// more than `cache_entries` queue entries, and more than half of that once the replaced ones
  /// are dropped); until then they stay in memory and nothing is written.
  /// Its writes skip the write-ahead log: the task clears them at each start.
  void Flush() {
    if (!store_) {
      armed_.Flush([](std::string_view, Timestamp) {});  // forgets the disarmed
      return;
    }
    bool write = armed_.changed() > resident_;
    if (!write && heap_.size() > resident_) {
      // Written unless the replaced entries were most of it: the next compaction is then at
      // least half a budget of new entries away.
      DropReplaced();
      write = heap_.size() > resident_ / 2;
    }
    if (!write) {
      DeleteConsumed();
      return;
    }
    storage::WriteBatch batch;
    std::vector<Entry> kept;  // set for a time already taken: due at the next PopDue
    std::optional<Entry> written;  // the last entry written
    while (!heap_.empty()) {
      Entry entry = heap_.top();
      heap_.pop();
      if (consumed_ != kNoTime && entry.first <= consumed_) {
        kept.push_back(std::move(entry));
        continue;
      }
      // Replaced or disarmed since it was set: PopDue would skip it. Or the same entry again.
      if (written && *written == entry) continue;
      const Timestamp* current = armed_.Find(entry.second);
      if (!current || *current != entry.first) continue;
      batch.Put(prefix_ + "t/" + EncodeTime(entry.first) + entry.second, "");
      queue_stored_ = true;
      written = entry;
      if (staged_to_ && entry <= *staged_to_) {
        // Within what was read ahead: the copy in memory is the one PopDue takes (once).
        auto at = std::lower_bound(staged_.begin(), staged_.end(), entry);
        if (at == staged_.end() || *at != entry) staged_.insert(at, entry);
      } else if (stored_min_ == kNoTime || entry.first < stored_min_) {
        stored_min_ = entry.first;
      }
    }
    for (auto& entry : kept) heap_.push(std::move(entry));
    ForgetReadAheadBeyondBudget();
    armed_.Flush(
        [&](std::string_view key, Timestamp deadline) {
          batch.Put(prefix_ + "a/" + std::string(key), EncodeTime(deadline));
        },
        [&](std::string_view key) { batch.Delete(prefix_ + "a/" + std::string(key)); });
    if (!batch.empty()) (void)store_->WriteUnlogged(batch);
    DeleteConsumed();
  }

  /// Lets cached deadlines beyond the cache leave memory (after Flush()).
  void Trim() { armed_.Trim(); }

  size_t armed() const { return armed_count_; }
  /// Queue entries held in memory: set since the queue was last written, and read ahead of the store.
  size_t queued_in_memory() const { return heap_.size() + staged_.size(); }

 private:
  using Entry = std::pair<Timestamp, std::string>;

  /// Big-endian with the sign bit flipped: byte order is time order.
  static std::string EncodeTime(Timestamp t) {
    const uint64_t u = static_cast<uint64_t>(t) ^ (uint64_t{1} << 63);
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(u >> (56 - 8 * i));
    return out;
  }
  static Timestamp DecodeTime(std::string_view bytes) {
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
    return static_cast<Timestamp>(u ^ (uint64_t{1} << 63));
  }
  static bool DecodeDeadline(std::string_view value, Timestamp* out) {
    if (value.size() != 8) return false;
    *out = DecodeTime(value);
    return true;
  }

  /// Reads the queue's next `read_ahead_` entries after what was read ahead (or taken) into
  /// `staged_`, so that every entry up to `staged_to_` is in memory (or taken).
  void ReadAhead() {
    const std::string queue = prefix_ + "t/";
    std::string from = queue;
    if (staged_to_ && (consumed_ == kNoTime || staged_to_->first > consumed_)) {
      from += EncodeTime(staged_to_->first) + staged_to_->second;
      from.push_back('\0');  // the first key after it
    } else if (consumed_ != kNoTime) {
      from += EncodeTime(consumed_ + 1);
    }
    size_t read = 0;
    stored_min_ = kNoTime;
    (void)store_->ScanFrom(queue, from, [&](std::string_view key, std::string_view) {
      const std::string_view entry = key.substr(queue.size());
      const Timestamp deadline = DecodeTime(entry.substr(0, 8));
      if (read >= read_ahead_) {
        stored_min_ = deadline;
        return false;
      }
      staged_.emplace_back(deadline, std::string(entry.substr(8)));
      staged_to_ = staged_.back();
      ++read;
      return true;
    });
  }

  /// Keeps what was read ahead within twice its budget (timers set inside it are added to it):
  /// beyond, the last entries are left to be read again from the store.
  void ForgetReadAheadBeyondBudget() {
    if (staged_.size() <= 2 * read_ahead_) return;
    const Timestamp first_forgotten = staged_[read_ahead_].first;
    staged_.erase(staged_.begin() + static_cast<std::ptrdiff_t>(read_ahead_), staged_.end());
    staged_to_ = staged_.back();
    if (stored_min_ == kNoTime || first_forgotten < stored_min_) stored_min_ = first_forgotten;
  }

  /// Deletes the stored queue entries PopDue has taken.
  void DeleteConsumed() {
    if (queue_stored_ && consumed_ != kNoTime && consumed_ != deleted_to_) {
      (void)store_->DeleteRangeUnlogged(prefix_ + "t/", prefix_ + "t/" + EncodeTime(consumed_ + 1));
      deleted_to_ = consumed_;
    }
  }

  /// With a store: drops the heap's entries replaced or disarmed since they were set.
  void DropReplaced() {
    std::vector<Entry> live;
    while (!heap_.empty()) {
      Entry entry = heap_.top();
      heap_.pop();
      if (!live.empty() && live.back() == entry) continue;  // a key moved back and forth
      const Timestamp* current = armed_.Find(entry.second);
      if (current && *current == entry.first) live.push_back(std::move(entry));
    }
    heap_ = decltype(heap_)(std::greater<>{}, std::move(live));
  }

  /// In memory only: drops the replaced entries, so the heap stays proportional to the armed timers.
  void Compact() {
    std::vector<Entry> live;
    live.reserve(armed_count_);
    (void)armed_.ForEach([&](std::string_view key, Timestamp deadline) { live.emplace_back(deadline, key); });
    heap_ = decltype(heap_)(std::greater<>{}, std::move(live));
  }

  storage::KvStore* store_ = nullptr;
  std::string prefix_;
  storage::WriteBackCache<Timestamp> armed_{nullptr, "", 0, DecodeDeadline};
  size_t armed_count_ = 0;
  /// Set since the queue was last written (with a store); every timer (without one).
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  static constexpr size_t kReadAhead = 1024;
  size_t read_ahead_ = kReadAhead;
  size_t resident_ = 0;  // queue entries and changed deadlines kept in memory before they are written
  bool queue_stored_ = false;  // `t/` was written since Open()
  std::deque<Entry> staged_;        // the entries of `t/` up to staged_to_ not yet taken, in order
  std::optional<Entry> staged_to_;  // `t/` is in staged_ (or taken) up to this entry
  Timestamp stored_min_ = kNoTime;  // the earliest deadline of `t/` after staged_to_; kNoTime: none
  Timestamp consumed_ = kNoTime;    // `t/` entries up to this time were taken by PopDue
  Timestamp deleted_to_ = kNoTime;  // and deleted up to this time
};

}  // namespace huntline::processors
