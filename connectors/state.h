#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "connectors/envelope.h"
#include "storage/kv_store.h"

namespace huntline::connectors {

/// What a translation remembers between records and runs (MAPPING.md, "State"): full record
/// images, series and invitees. JSON values under the `c/` keys of a store; changes are held
/// until Commit() writes them in one batch (with the input offsets, in `huntline connect`).
class ConnectorState {
 public:
  explicit ConnectorState(storage::KvStore& store) : store_(store) {}

  std::optional<Json> Get(std::string_view key) const;
  void Put(std::string_view key, const Json& value);
  void Erase(std::string_view key);
  /// Keeps `value` under `key`: false when it was already what the key held (an event whose
  /// data equals the last one written for its record is not written again).
  bool Replace(std::string_view key, const Json& value);
  /// Adds the changes since the last commit to `batch`, and forgets them here.
  void Flush(storage::WriteBatch& batch);
  /// Writes the changes since the last commit.
  Status Commit();

 private:
  storage::KvStore& store_;
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;  // none: erased
};

}  // namespace huntline::connectors
