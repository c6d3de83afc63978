#include "engine/changelog.h"

#include <algorithm>

#include "storage/codec.h"

namespace huntline::engine::changelog {

std::vector<std::string> StatePrefixes(const std::string& task_prefix) {
  return {task_prefix, "s/" + task_prefix};
}

std::string CheckpointValue(int64_t next_offset) {
  return storage::Encoder().I64(next_offset).I64(WallClockNow()).str();
}

bool LocalOnly(std::string_view key, const std::string& task_prefix) {
  if (!key.starts_with(task_prefix)) return false;
  const std::string_view rest = key.substr(task_prefix.size());
  return rest == kCheckpoint || rest == kRestoring || rest == kEpoch;
}

std::set<int32_t> StandbyPartitions(const std::map<std::string, std::set<int32_t>>& members,
                                    const std::string& self, int replicas) {
  std::set<int32_t> out;
  std::vector<std::string> ids;  // in member-id order (the map's)
  for (const auto& [id, owned] : members) ids.push_back(id);
  const auto me = std::find(ids.begin(), ids.end(), self);
  if (me == ids.end()) return out;
  const size_t n = ids.size();
  const size_t self_index = static_cast<size_t>(me - ids.begin());
  for (size_t owner = 0; owner < n; ++owner) {
    if (owner == self_index) continue;
    // self is the k-th member after the owner; the first `replicas` after it keep copies.
    const size_t k = (self_index + n - owner) % n;
    if (k > static_cast<size_t>(replicas)) continue;
    const std::set<int32_t>& owned = members.at(ids[owner]);
    out.insert(owned.begin(), owned.end());
  }
  return out;
}

Status Applier::Wipe() {
  for (const std::string& prefix : StatePrefixes(prefix_)) {
    if (Status s = store_.DeleteRange(prefix, prefix + "\xff"); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Applier::WriteBatch() {
  if (batch_.empty()) return Status::Ok();
  if (!marked_) {
    // The mark goes first through the write-ahead log: a crash after part of the changes is
    // written leaves it, and the restore that finds it starts again from the changelog's start.
    storage::WriteBatch mark;
    mark.Put(prefix_ + std::string(kRestoring), "1");
    if (Status s = store_.Write(mark); !s.ok()) return s;
    marked_ = true;
  }
  Status s = store_.Write(batch_);
  batch_.Clear();
  return s;
}

Status Applier::Begin(bool wipe) {
  batch_.Clear();
  if (!wipe) return Status::Ok();
  // The wipe drops the checkpoint too, then the mark is written: a crash between them leaves
  // a state without either, which is restored from the changelog's start as well.
  if (Status s = Wipe(); !s.ok()) return s;
  storage::WriteBatch mark;
  mark.Put(prefix_ + std::string(kRestoring), "1");
  if (Status s = store_.Write(mark); !s.ok()) return s;
  marked_ = true;
  return Status::Ok();
}

Status Applier::Apply(std::string_view key, std::optional<std::string_view> value) {
  if (key == epoch_key_) {
    // A full copy of the state follows: what was read before it is superseded.
    return Begin(/*wipe=*/true);
  }
  const bool own = key.starts_with(prefix_) || key.starts_with(seen_prefix_);
  if (!own || LocalOnly(key, prefix_)) return Status::Ok();
  if (value) {
    batch_.Put(key, *value);
  } else {
    batch_.Delete(key);
  }
  ++records_;
  return batch_.size() >= kHeldChanges ? WriteBatch() : Status::Ok();
}

Status Applier::Finish(int64_t next, bool mirrored) {
  if (mirrored) {
    batch_.Put(prefix_ + std::string(kCheckpoint), CheckpointValue(next));
  } else {
    batch_.Delete(prefix_ + std::string(kCheckpoint));
  }
  batch_.Delete(prefix_ + std::string(kRestoring));
  Status s = store_.Write(batch_);
  batch_.Clear();
  if (s.ok()) marked_ = false;
  return s;
}

bool Applier::Discard() {
  batch_.Clear();
  return !marked_;
}

}  // namespace huntline::engine::changelog
