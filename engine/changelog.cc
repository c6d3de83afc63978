#include "engine/changelog.h"

namespace huntline::engine::changelog {

std::vector<std::string> StatePrefixes(const std::string& task_prefix) {
  return {task_prefix, "s/" + task_prefix};
}

bool LocalOnly(std::string_view key, const std::string& task_prefix) {
  if (!key.starts_with(task_prefix)) return false;
  const std::string_view rest = key.substr(task_prefix.size());
  return rest == kCheckpoint || rest == kRestoring || rest == kEpoch;
}

}  // namespace huntline::engine::changelog
