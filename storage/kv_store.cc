#include "storage/kv_store.h"

#include <algorithm>

namespace huntline::storage {

void WriteBatch::SortByKey() {
  std::stable_sort(ops_.begin(), ops_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

Status MemoryKvStore::Write(const WriteBatch& batch) {
  for (const auto& [key, value] : batch.ops()) {
    auto it = data_.find(key);
    if (it != data_.end()) {
      bytes_ -= it->first.size() + it->second.size();
      if (!value) {
        data_.erase(it);
        continue;
      }
      it->second = *value;
      bytes_ += key.size() + value->size();
    } else if (value) {
      data_.emplace(key, *value);
      bytes_ += key.size() + value->size();
    }
  }
  return Status::Ok();
}

std::optional<std::string> MemoryKvStore::Get(std::string_view key) {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

Status MemoryKvStore::ScanFrom(std::string_view prefix, std::string_view from,
                               const std::function<bool(std::string_view, std::string_view)>& visit) {
  for (auto it = data_.lower_bound(std::max(prefix, from));
       it != data_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    if (!visit(it->first, it->second)) break;
  }
  return Status::Ok();
}

Status MemoryKvStore::DeleteRangeUnlogged(std::string_view begin, std::string_view end) {
  auto it = data_.lower_bound(begin);
  while (it != data_.end() && std::string_view(it->first) < end) {
    bytes_ -= it->first.size() + it->second.size();
    it = data_.erase(it);
  }
  return Status::Ok();
}

}  // namespace huntline::storage
