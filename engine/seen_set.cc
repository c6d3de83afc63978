#include "engine/seen_set.h"

#include <algorithm>

#include "storage/codec.h"

namespace huntline::engine {

bool SeenSet::Contains(std::string_view key) {
  if (pending_.contains(key)) return true;
  if (!store_) return false;
  scratch_.assign(prefix_).append(key);
  // Forgotten already, as replay (all in memory) forgets at once, though still stored.
  if (deleted_.contains(scratch_)) return false;
  return store_->Get(scratch_).has_value();
}

void SeenSet::Insert(std::string_view key, Day day) {
  pending_.insert_or_assign(std::string(key), day);
  oldest_ = std::min(oldest_, day);
}

void SeenSet::Prune(Day horizon) {
  if (oldest_ < horizon) {
    oldest_ = INT32_MAX;
    std::erase_if(pending_, [&](const auto& entry) {
      if (entry.second < horizon) return true;
      oldest_ = std::min(oldest_, entry.second);
      return false;
    });
  }
  if (!store_) return;
  // Every stored id is seen here; those deleted at the next flush are in deleted_ (stored
  // still, and only there), and none of them is pending as well except one seen again.
  uint64_t stored = 0;
  (void)store_->Scan(prefix_, [&](std::string_view key, std::string_view value) {
    ++stored;
    storage::Decoder r(value);
    if (static_cast<Day>(r.I64()) < horizon) deleted_.emplace(key);
  });
  stored_ = stored - deleted_.size();
}

void SeenSet::Flush(storage::WriteBatch& batch) {
  if (!store_) return;
  for (const std::string& key : deleted_) batch.Delete(key);  // before the puts: one seen again stays
  deleted_.clear();
  for (const auto& [key, day] : pending_) {
    scratch_.assign(prefix_).append(key);
    batch.Put(scratch_, storage::Encoder().I64(day).str());
  }
  if (stored_) *stored_ += pending_.size();
  pending_.clear();
  oldest_ = INT32_MAX;
}

}  // namespace huntline::engine
