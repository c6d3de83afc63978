#include "storage/kv_store.h"

namespace huntline::storage {

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

Status MemoryKvStore::Scan(std::string_view prefix,
                           const std::function<void(std::string_view, std::string_view)>& visit) {
  for (auto it = data_.lower_bound(prefix);
       it != data_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix; ++it) {
    visit(it->first, it->second);
  }
  return Status::Ok();
}

}  // namespace huntline::storage
