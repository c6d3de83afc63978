#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/kv_store.h"

namespace huntline::engine {

class Task;

/// A task's state is a set of keys in the store (Task: everything under its prefix, and its
/// `(source, id)`s under `s/<prefix>`). Its changelog is the sequence of changes to those keys,
/// one message per key (a delete is a tombstone), so that another instance can rebuild the task
/// from it; see KafkaChangelog for the topics and the transactions.
///
/// Three keys under the prefix are the store's own and never logged:
///   `changelog`  the next changelog offset the task's keys in this store include (the
///                checkpoint), written with the state at each commit that logged it; absent
///                when the state holds changes the changelog does not (the task ran unlogged);
///   `restoring`  written before a restore starts, deleted with the checkpoint when it ends:
///                found at start-up, the restore was cut short and starts again;
///   `epoch`      never stored: the message that starts a full copy of the task's state on
///                the changelog (a task logged for the first time since it ran unlogged). A
///                restore reading it forgets every key read before it.
namespace changelog {
inline constexpr std::string_view kCheckpoint = "changelog";
inline constexpr std::string_view kRestoring = "restoring";
inline constexpr std::string_view kEpoch = "epoch";

/// The key prefixes holding a task's state in the store.
std::vector<std::string> StatePrefixes(const std::string& task_prefix);
/// The value of a checkpoint record: the next changelog offset, and when it was written.
std::string CheckpointValue(int64_t next_offset);
/// Whether `key` (a full store key of the task) is the store's own, never logged.
bool LocalOnly(std::string_view key, const std::string& task_prefix);

/// Which people partitions the member `self` of a group keeps standby copies of
/// (`kafka.num_standby_replicas`): `members` maps each member id to the partitions it owns; the
/// copies of a partition go to the `replicas` members that follow its owner in member-id order
/// (wrapping round), never to the owner, so that each partition has min(replicas, members - 1)
/// copies, spread evenly. A partition no member owns has none.
std::set<int32_t> StandbyPartitions(const std::map<std::string, std::set<int32_t>>& members,
                                    const std::string& self, int replicas);

/// Applies a task's changelog messages to a store, in the changelog's order, as a restore
/// reads them: puts and deletes of the task's keys (others are ignored), and at an epoch message
/// everything applied before it forgotten. Changes are held in memory until Finish() writes
/// them with the checkpoint; once part of them has to be written before (many of them, or a
/// wipe), the store holds the `restoring` mark until Finish().
class Applier {
 public:
  Applier(storage::KvStore& store, std::string task_prefix)
      : store_(store),
        prefix_(std::move(task_prefix)),
        seen_prefix_("s/" + prefix_),
        epoch_key_(prefix_ + std::string(kEpoch)) {}
  /// Starts applying; `wipe`: dropping what the store holds of the task first (marked).
  Status Begin(bool wipe);
  Status Apply(std::string_view key, std::optional<std::string_view> value);
  /// Stores what was applied, with `next` (the changelog offset after the last message read)
  /// as the checkpoint, and removes the mark. Not `mirrored`: the store holds a copy of the
  /// changelog that later messages may not continue (a transaction still open after `next`), so
  /// no checkpoint is kept and the next logged commit writes the state in full.
  Status Finish(int64_t next, bool mirrored = true);
  /// Stops without finishing: forgets what is not written yet. Whether the store is still as
  /// the last Finish() left it (nothing was written since Begin()); if not, it keeps the mark.
  bool Discard();
  uint64_t records() const { return records_; }

  /// Changes held before part of them is written (marked).
  static constexpr size_t kHeldChanges = 50000;

 private:
  Status Wipe();
  /// Writes what is held, after the mark.
  Status WriteBatch();

  storage::KvStore& store_;
  std::string prefix_;
  std::string seen_prefix_;
  std::string epoch_key_;
  storage::WriteBatch batch_;
  bool marked_ = false;  // the store holds the mark: it is not as the last Finish() left it
  uint64_t records_ = 0;
};
}  // namespace changelog

/// Where Engine::Commit logs each task's changes. At a commit: Send() for every change of every
/// task that Logs(), then Commit(), and only then the store's write with each logged task's
/// checkpoint. Used on the processing thread only.
class ChangelogSink {
 public:
  virtual ~ChangelogSink() = default;
  /// Whether this instance logs `task`'s changes now.
  virtual bool Logs(const Task& task) const = 0;
  /// Queues one change of `task`'s state: a put, or a delete (no value).
  virtual Status Send(const Task& task, std::string_view key,
                      std::optional<std::string_view> value) = 0;
  /// Makes everything sent since the last Commit() visible at once, together with the input
  /// offsets of the tasks in `logged`, or none of it. Returns, for each task prefix sent to,
  /// the next changelog offset after its last message.
  virtual Result<std::map<std::string, int64_t>> Commit(const std::vector<const Task*>& logged) = 0;
};

}  // namespace huntline::engine
