#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "storage/kv_store.h"

namespace huntline::storage {

/// Values of type `V` by id, stored in a KvStore one record each (`<prefix><id>`), of which
/// memory holds only those changed since the last Flush() and up to `capacity` unchanged ones
/// (the least recently used leave first, at Trim()). A look-up of an id not in memory reads the
/// store once, and remembers an absent one too.
///
/// The store is written by the caller: Flush() hands it every changed value, to put in the batch
/// of the commit that includes it, and from then on the value may leave memory. Without a store
/// (a task that persists nothing: replay) every value stays in memory and nothing is read.
///
/// Pointers and references returned stay valid until the next Trim(): call it where no caller
/// holds one (between events, between keys of a long loop).
template <typename V>
class WriteBackCache {
 public:
  /// Decodes a stored record; false if it is corrupt.
  using Decode = std::function<bool(std::string_view value, V* out)>;

  WriteBackCache(KvStore* store, std::string prefix, size_t capacity, Decode decode)
      : store_(store), prefix_(std::move(prefix)), capacity_(capacity), decode_(std::move(decode)) {}

  /// The value of `id`, or null when there is none.
  const V* Find(std::string_view id) {
    Slot* slot = Load(id);
    return slot && slot->value ? &*slot->value : nullptr;
  }

  /// The value of `id` to change, made (default) when there is none; it stays in memory until
  /// the next Flush().
  V& Mutable(std::string_view id) {
    Slot* slot = Load(id);
    if (!slot) slot = &slots_.try_emplace(std::string(id)).first->second;
    if (!slot->value) slot->value.emplace();
    MarkDirty(*slot, id);
    return *slot->value;
  }

  /// Sets the value of `id` to `value` unless it is that already, with one look-up: the value it
  /// had (none when it had none).
  std::optional<V> Replace(std::string_view id, const V& value) {
    Slot* slot = Load(id);
    if (!slot) slot = &slots_.try_emplace(std::string(id)).first->second;
    std::optional<V> before = slot->value;
    if (before && *before == value) return before;
    slot->value = value;
    MarkDirty(*slot, id);
    return before;
  }

  /// Removes the value of `id` (the store's record goes at the next Flush()).
  void Erase(std::string_view id) {
    Slot* slot = Load(id);
    if (!slot || !slot->value) return;
    slot->value.reset();
    MarkDirty(*slot, id);
  }

  /// Hands every value changed since the last call to `write`, and every id erased since then
  /// to `remove` (ids in the order first changed); they may leave memory from now on.
  void Flush(const std::function<void(std::string_view id, const V& value)>& write,
             const std::function<void(std::string_view id)>& remove = nullptr) {
    for (const std::string& id : dirty_) {
      auto it = slots_.find(id);
      if (it == slots_.end() || !it->second.dirty) continue;
      if (it->second.value) {
        write(id, *it->second.value);
      } else if (remove) {
        remove(id);
      }
      it->second.dirty = false;
      if (!it->second.value && !store_) {  // nothing to remember of it
        slots_.erase(it);
        continue;
      }
      if (store_) {
        clean_.push_front(id);
        it->second.lru = clean_.begin();
        it->second.cached = true;
      }
    }
    dirty_.clear();
  }

  /// Drops unchanged values beyond the capacity, least recently used first.
  void Trim() {
    while (clean_.size() > capacity_) {
      slots_.erase(clean_.back());
      clean_.pop_back();
    }
  }

  /// Visits every id with a value, stored or only in memory, each once, in key order.
  Status ForEachId(const std::function<void(std::string_view id)>& visit) {
    std::vector<std::pair<std::string_view, bool>> unstored;  // changed (or all without a store): has a value
    for (const auto& [id, slot] : slots_) {
      if (slot.dirty || !store_) unstored.emplace_back(id, slot.value.has_value());
    }
    std::sort(unstored.begin(), unstored.end());
    auto next = unstored.begin();
    auto visit_unstored = [&] {
      if (next->second) visit(next->first);
      ++next;
    };
    Status status = Status::Ok();
    if (store_) {
      status = store_->Scan(prefix_, [&](std::string_view key, std::string_view) {
        const std::string_view id = key.substr(prefix_.size());
        while (next != unstored.end() && next->first < id) visit_unstored();
        if (next != unstored.end() && next->first == id) {  // changed or erased since it was stored
          visit_unstored();
          return;
        }
        visit(id);
      });
    }
    while (next != unstored.end()) visit_unstored();
    return status;
  }

  /// Visits every id with its value, stored or only in memory, each once, in key order. The
  /// values visited from the store are decoded for the visit only and not kept.
  Status ForEach(const std::function<void(std::string_view id, const V& value)>& visit) {
    std::vector<std::pair<std::string_view, const Slot*>> unstored;  // changed, or all without a store
    for (const auto& [id, slot] : slots_) {
      if (slot.dirty || !store_) unstored.emplace_back(id, &slot);
    }
    std::sort(unstored.begin(), unstored.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    auto next = unstored.begin();
    auto visit_unstored = [&] {
      if (next->second->value) visit(next->first, *next->second->value);
      ++next;
    };
    Status status = Status::Ok();
    if (store_) {
      V stored{};
      status = store_->Scan(prefix_, [&](std::string_view key, std::string_view value) {
        const std::string_view id = key.substr(prefix_.size());
        while (next != unstored.end() && next->first < id) visit_unstored();
        if (next != unstored.end() && next->first == id) {  // changed since it was stored
          visit_unstored();
          return;
        }
        stored = V{};
        if (!decode_(value, &stored)) throw std::runtime_error("corrupt record " + std::string(key));
        visit(id, stored);
      });
    }
    while (next != unstored.end()) visit_unstored();
    return status;
  }

  /// Values in memory: changed, and cached.
  size_t size() const { return slots_.size(); }
  /// Values changed (or erased) since the last Flush().
  size_t changed() const { return dirty_.size(); }

 private:
  struct Slot {
    std::optional<V> value;  // none: known to be absent
    bool dirty = false;
    bool cached = false;  // unchanged, in clean_
    std::list<std::string>::iterator lru;
  };

  /// Pins the slot in memory until the next Flush().
  void MarkDirty(Slot& slot, std::string_view id) {
    if (slot.dirty) return;
    slot.dirty = true;
    if (slot.cached) {
      clean_.erase(slot.lru);
      slot.cached = false;
    }
    dirty_.emplace_back(id);
  }

  /// The slot of `id`, read from the store if needed; null if unknown and not stored.
  Slot* Load(std::string_view id) {
    auto it = slots_.find(id);
    if (it != slots_.end()) {
      if (it->second.cached) clean_.splice(clean_.begin(), clean_, it->second.lru);
      return &it->second;
    }
    if (!store_) return nullptr;
    key_.assign(prefix_).append(id);
    std::optional<std::string> stored = store_->Get(key_);
    Slot& slot = slots_.try_emplace(std::string(id)).first->second;
    if (stored) {
      slot.value.emplace();
      if (!decode_(*stored, &*slot.value)) throw std::runtime_error("corrupt record " + key_);
    }
    clean_.push_front(std::string(id));
    slot.lru = clean_.begin();
    slot.cached = true;
    return &slot;
  }

  KvStore* store_;
  std::string prefix_;
  size_t capacity_;
  Decode decode_;
  StringMap<Slot> slots_;
  std::list<std::string> clean_;    // unchanged ids in memory, most recently used first
  std::vector<std::string> dirty_;  // changed since the last Flush, in the order first changed
  std::string key_;                 // scratch
};

}  // namespace huntline::storage
