#include "connectors/state.h"

namespace huntline::connectors {
namespace {
constexpr std::string_view kPrefix = "c/";
}

std::optional<Json> ConnectorState::Get(std::string_view key) const {
  const std::string full = std::string(kPrefix) + std::string(key);
  std::optional<std::string> text;
  if (auto it = pending_.find(full); it != pending_.end()) {
    text = it->second;
  } else {
    text = store_.Get(full);
  }
  if (!text) return std::nullopt;
  Json value = Json::parse(*text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

void ConnectorState::Put(std::string_view key, const Json& value) {
  pending_[std::string(kPrefix) + std::string(key)] = value.dump();
}

bool ConnectorState::Replace(std::string_view key, const Json& value) {
  if (auto held = Get(key); held && *held == value) return false;
  Put(key, value);
  return true;
}

void ConnectorState::Erase(std::string_view key) { pending_[std::string(kPrefix) + std::string(key)] = std::nullopt; }

void ConnectorState::Flush(storage::WriteBatch& batch) {
  for (const auto& [key, value] : pending_) {
    if (value) {
      batch.Put(key, *value);
    } else {
      batch.Delete(key);
    }
  }
  pending_.clear();
}

Status ConnectorState::Commit() {
  storage::WriteBatch batch;
  Flush(batch);
  return batch.empty() ? Status::Ok() : store_.Write(batch);
}

}  // namespace huntline::connectors
