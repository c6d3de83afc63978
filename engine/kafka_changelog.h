#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "common/status.h"
#include "engine/changelog.h"
#include "ingest/event.h"
#include "storage/kv_store.h"

namespace huntline::engine {

/// The tasks' changelogs on Kafka: one compacted topic per input topic whose tasks keep state,
/// named after the group and the topic: `<group_id>-<people topic>-changelog` (a partition per
/// people partition: task p logs to partition p) and `<group_id>-<crm topic>-changelog` (one
/// partition: the one crm task, logged by the instance that publishes it). Keys are the store's
/// keys; a delete is a tombstone.
///
/// Every commit is one Kafka transaction: the changes of every logged task, and the input
/// offsets of those tasks sent to their consumer groups (`send_offsets_to_transaction`), so that
/// changelog and offsets are visible together or not at all, and an instance that has lost its
/// partitions to a rebalance (its group generation is stale) has its transaction refused
/// instead of writing over the new owner's. The transactional id is the group id and an id kept
/// in the state directory: a restart fences the transactions its previous run left open.
class KafkaChangelog : public ChangelogSink {
 public:
  struct Options {
    /// librdkafka producer settings (bootstrap.servers, security, …).
    std::map<std::string, std::string> properties;
    std::string group_id;
    std::string instance_id;  // kept in the state directory
    std::string crm_topic;     // the input topics, for the changelogs' names
    std::string people_topic;
    int replication_factor = -1;
  };

  static std::string TopicName(const std::string& group_id, const std::string& input_topic);

  static Result<std::unique_ptr<KafkaChangelog>> Create(Options options);
  ~KafkaChangelog() override;

  /// Creates the changelog topics when missing (compacted, with room for large values), and
  /// checks that the people changelog has `people_partitions` partitions.
  Status EnsureTopics(int people_partitions);
  /// The consumers whose group membership the transactions carry: the people group's, and the
  /// crm election's (whose partition 0 owner publishes and logs the crm task).
  void SetGroups(RdKafka::KafkaConsumer* people, RdKafka::KafkaConsumer* crm) {
    people_group_ = people;
    crm_group_ = crm;
  }

  const std::string& TopicOf(ingest::TopicKind kind) const;
  const std::string& instance_id() const { return options_.instance_id; }
  /// Whether the last Commit() failed because a group no longer knows this instance as the
  /// member it was (its session expired: a broker restart, a long pause): the transaction was
  /// aborted, and the instance must let go of every task and join again (RunOnKafka).
  bool membership_lost() const { return membership_lost_; }
  /// Ready for a new start of the engine after a lost membership.
  void ForgetLostMembership();
  static int32_t PartitionOf(const Task& task);

  bool Logs(const Task& task) const override;
  Status Send(const Task& task, std::string_view key,
              std::optional<std::string_view> value) override;
  Result<std::map<std::string, int64_t>> Commit(const std::vector<const Task*>& logged) override;

  /// The largest message the changelog topics and the producer accept (a state value larger
  /// than this cannot be logged, and the commit fails naming it).
  static constexpr int kMaxMessageBytes = 16 << 20;

 private:
  class Deliveries : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    std::map<std::pair<std::string, int32_t>, int64_t> last;  // last offset written per partition
    int failed = 0;
    std::string first_error;
  };
  /// A message of the open transaction.
  struct Message {
    bool crm = false;  // the crm changelog, else the people changelog
    int32_t partition = 0;
    std::string key;
    std::optional<std::string> value;
  };
  KafkaChangelog() = default;
  Status Fail(const std::string& what, RdKafka::Error* error);
  Status Begin();
  Status Produce(const Message& message);
  RdKafka::Error* SendOffsetsAndCommit(const std::vector<const Task*>& logged);

  Options options_;
  std::string crm_changelog_;
  std::string people_changelog_;
  Deliveries deliveries_;
  std::unique_ptr<RdKafka::Producer> producer_;
  RdKafka::KafkaConsumer* people_group_ = nullptr;
  RdKafka::KafkaConsumer* crm_group_ = nullptr;
  bool in_transaction_ = false;
  bool membership_lost_ = false;
  std::map<std::pair<std::string, int32_t>, std::string> sent_;  // changelog partition → task prefix
  std::vector<Message> messages_;  // of the open transaction, to send again if it is retried
};

/// What a restore did.
struct RestoreOutcome {
  uint64_t records = 0;  // changelog messages applied
  double seconds = 0;
  std::string note;      // what was decided, for the log
};

/// Brings a task's stored state up to its changelog before the task is created from the store
/// (Engine::Assign). With a checkpoint, applies what the changelog holds after it; without one,
/// rebuilds from the changelog's start, unless the changelog holds nothing committed (a state
/// older than the changelog), which keeps the stored state; the next logged commit then writes
/// a full copy of it.
///
/// `reader` is a consumer reading committed messages only, assigned nothing; `queries` (also
/// reading committed messages only, and never fetching) asks where the changelog starts and ends
/// (its last stable offset).
/// Callers first make sure no transaction of a previous owner is still pending for the task's
/// input (a committed-offsets fetch, which waits for them).
class ChangelogRestorer {
 public:
  ChangelogRestorer(RdKafka::KafkaConsumer& reader, RdKafka::KafkaConsumer& queries,
                    storage::KvStore& store)
      : reader_(reader), queries_(queries), store_(store) {}

  /// `progress` hears (records applied, records to go) every few seconds.
  Result<RestoreOutcome> Restore(const std::string& topic, int32_t partition,
                                 const std::string& task_prefix,
                                 const std::function<void(uint64_t, int64_t)>& progress = {});

 private:
  RdKafka::KafkaConsumer& reader_;
  RdKafka::KafkaConsumer& queries_;
  storage::KvStore& store_;
};

/// Standby replicas (`kafka.num_standby_replicas`): copies of people tasks this instance does
/// not own, kept in its store by following their changelog partitions, so that when a partition
/// comes to it the restore only catches up from where the copy is (ChangelogRestorer, from the
/// copy's checkpoint) instead of reading the whole changelog partition.
///
/// A copy's changes are held in memory and written with its checkpoint (the next changelog offset
/// to read) after each poll that applied some: the copy is then the changelog's committed
/// messages up to that offset, perhaps part of a transaction, which is all a restore continuing
/// from it needs. A copy stopped between two writes forgets what it held and stays the state of
/// its last checkpoint. A copy that reached the end of what is committed has its checkpoint's
/// time renewed every hour, so that an idle partition's copy stays trusted.
/// `reader` reads committed messages only, reports partition ends and does not reset an offset
/// out of range (`auto.offset.reset` error). Used on the processing thread only.
class StandbyReplicas {
 public:
  StandbyReplicas(RdKafka::KafkaConsumer& reader, RdKafka::KafkaConsumer& queries, storage::KvStore& store,
                  std::string changelog_topic, std::function<std::string(int32_t)> task_prefix)
      : reader_(reader),
        queries_(queries),
        store_(store),
        topic_(std::move(changelog_topic)),
        task_prefix_(std::move(task_prefix)) {}

  /// Follows exactly `partitions` from now on: copies no longer wanted stop and their keys are
  /// dropped; new ones start from their checkpoint, or from the changelog's start (their stored
  /// keys dropped first) without a usable one. A copy that cannot start now (a broker not
  /// answering) is said in the log and tried again at the next call.
  Status Follow(const std::set<int32_t>& partitions);
  /// Stops the copy of a partition about to be assigned here, keeping what it has written: the
  /// restore on assignment goes on from its checkpoint.
  void Release(int32_t partition);
  /// Applies what the reader has, for up to `budget`, then writes what was applied.
  Status Poll(std::chrono::milliseconds budget);
  std::set<int32_t> followed() const;
  /// Changelog messages applied to the copies since the start.
  uint64_t records() const { return records_; }

 private:
  struct Copy {
    std::unique_ptr<changelog::Applier> applier;
    int64_t next = 0;        // the offset after the last message applied
    uint64_t held = 0;       // messages applied since the last write
    bool at_end = false;     // at the end of what is committed, as of the last partition end
    bool wiped = false;      // started from the changelog's start, not written since
    std::chrono::steady_clock::time_point written{};  // when the checkpoint was last written
  };
  Status Start(int32_t partition, bool from_start);
  /// Stops following; forgets what was not written.
  void Stop(int32_t partition);
  Status Write(Copy& copy, int64_t next);

  RdKafka::KafkaConsumer& reader_;
  RdKafka::KafkaConsumer& queries_;
  storage::KvStore& store_;
  std::string topic_;
  std::function<std::string(int32_t)> task_prefix_;
  std::map<int32_t, Copy> copies_;
  uint64_t records_ = 0;
};

}  // namespace huntline::engine
