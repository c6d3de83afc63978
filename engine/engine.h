#pragma once

#include <functional>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "engine/changelog.h"
#include "engine/task.h"
#include "ingest/dead_letter.h"
#include "ingest/decoder.h"
#include "metrics/engine_metrics.h"
#include "metrics/history.h"
#include "metrics/published.h"
#include "processors/org_tables.h"
#include "processors/processor.h"
#include "processors/settings.h"
#include "storage/kv_store.h"

namespace huntline::engine {

/// The names of the three input topics.
struct Topics {
  std::string org = "huntline.org";
  std::string crm = "huntline.crm";
  std::string people = "huntline.people";
  /// Output: the daily history, for reports (compacted).
  std::string history = "huntline.history";
  const std::string& Of(ingest::TopicKind kind) const {
    return kind == ingest::TopicKind::kOrg ? org : kind == ingest::TopicKind::kCrm ? crm : people;
  }
};

/// A message decoded and validated, not yet applied (Engine::Decode, Engine::HandleDecoded).
struct DecodedMessage {
  bool ok = false;
  ingest::Event event;     // when ok
  ingest::Rejection why;   // when not
};

/// The heart of Huntline, shared by `run`, `replay` and `demo`: decodes each message, validates
/// it, sends refusals to the dead-letter sink, keeps the global org tables, hands the rest to the
/// task of its partition, and at each Commit() writes every task's changes with its next input
/// offset in one batch, then publishes the metric snapshot scrapes read.
/// Single-threaded: all calls come from one processing thread.
class Engine {
 public:
  struct Options {
    processors::Settings settings;
    Topics topics;
    /// A live run: a task follows engine time only once it has caught up with its partition
    /// (SetCaughtUp); until then its time is its own events'. Event-time lag is observed.
    /// Otherwise (replay) every task follows engine time, the latest event time seen.
    bool live = false;
    /// Write state to the store at each commit. Off for a replay, which never restarts.
    bool durable = true;
    /// Engine time follows event time (the latest seen) instead of the wall clock.
    bool event_time = false;
    /// How producers partition the input topics by key (see processors::Partitioning).
    KeyPartitioner partitioner = KeyPartitioner::kMurmur2;
    /// Keep the daily history reports are made from (metrics::History), written with each commit.
    bool history = true;
    /// Also send the history there, before the commit that stores it (may be null).
    metrics::HistorySink* history_sink = nullptr;
    /// Log each task's changes there, in the commit that stores them (may be null).
    ChangelogSink* changelog = nullptr;
    /// Rewrites label values in the history as /metrics does (privacy.per_person_metrics).
    metrics::LabelRewriter history_rewrite;
    /// Where the org tables keep accounts and contacts (processors::OrgTables); null: in memory.
    storage::KvStore* org_store = nullptr;
    size_t org_cache_entries = processors::OrgTables::kDefaultCacheEntries;
    /// Per structure of a durable task's large state (TaskOptions::state_cache_entries).
    size_t state_cache_entries = 50000;
  };

  Engine(const processors::ProcessorRegistry& registry, const metrics::Catalog& catalog,
         storage::KvStore& store, ingest::DeadLetterSink& dead_letters,
         metrics::EngineMetrics& engine_metrics, metrics::PublishedMetrics& published,
         Options options);

  /// Creates the task of a partition of the people topic (one of `partition_count`), or the one
  /// task of the crm topic (any partition: it reads them all, merged in event-time order, so that
  /// an activity naming only a lead, a deal or lead moving to another account and duplicates
  /// across partitions are handled as in replay), restoring its state. Returns the next offset
  /// of each input partition as stored with the state (empty when the store has none).
  Result<std::map<int32_t, int64_t>> Assign(ingest::TopicKind kind, int32_t partition,
                                            int32_t partition_count = 1);
  /// Commits and drops a partition's task.
  Status Revoke(ingest::TopicKind kind, int32_t partition);
  /// Drops a partition's task without committing: what it did since the last commit is lost,
  /// as in a crash (its partition was lost to another instance).
  void Drop(ingest::TopicKind kind, int32_t partition);
  /// Checks that input topic `topic` has the `partitions` its state was built with (the count is
  /// stored under `topics/<topic>/partitions`, recorded now when the store has none). Producers
  /// spread keys over partitions by their hash: once a topic has more, keys go to partitions
  /// other than the one whose task holds their state, and figures would silently go wrong. A
  /// refusal names the topic and both counts and changes nothing in the store.
  Status CheckPartitionCount(const std::string& topic, int32_t partitions);
  /// Whether a task's figures are in the published snapshot (the crm task, which every instance
  /// runs, is published by one of them). A change commits and publishes at once.
  Status SetPublished(ingest::TopicKind kind, int32_t partition, bool published);

  /// A message from a known partition: a task's (crm, people) or the global org topic's.
  /// `kind` says which topic it came from; an event of another topic's type is refused, and so
  /// is a people event whose key is not its person (live).
  metrics::EventResult HandleMessage(ingest::TopicKind kind, const ingest::RawMessage& message);
  /// HandleMessage in two steps, for a caller that orders messages by event time in between.
  void Decode(const ingest::RawMessage& message, DecodedMessage* out);
  metrics::EventResult HandleDecoded(ingest::TopicKind kind, const ingest::RawMessage& message,
                                     DecodedMessage& decoded);
  /// A message of a replay file: routed by its decoded type to partition 0 of its topic.
  /// `as_of` (when set) ignores events after it; returns nullopt for such an event.
  std::optional<metrics::EventResult> HandleReplayLine(const ingest::RawMessage& message,
                                                       std::optional<Timestamp> as_of);

  /// Moves engine time forward to `now` (never back): the instance's figures from the org tables
  /// and every task that has caught up with its partition follow it (in replay, every task).
  void AdvanceTime(Timestamp now);
  Timestamp now() const { return now_; }
  /// Updates of a new series refused so far because its family was full (all families).
  uint64_t series_refused() const {
    uint64_t n = 0;
    for (uint64_t r : series_limit_.refused) n += r;
    return n;
  }
  /// The latest event time of any valid message read, on any input topic (`event_time` mode's
  /// engine time once caught up).
  Timestamp latest_event_time() const { return latest_event_time_; }
  /// Org changes a task heard of after counting later events, so far (all tasks).
  uint64_t late_org_changes() const { return late_org_changes_; }
  /// What the runner found of a task's input: every message written before it asked read
  /// (`read_to_end`: from then on its figures are published, and it follows engine time), and
  /// `until`, the earliest event time of those read but still waiting for their turn (the task
  /// follows engine time no further; Task::kNoLimit when none wait).
  void SetCaughtUp(ingest::TopicKind kind, int32_t partition, bool read_to_end,
                   Timestamp until = Task::kNoLimit);

  /// Records the figures as they stand now as today's history (a replay's last, partial day);
  /// written by the next Commit().
  void RecordHistoryNow();

  /// Makes everything handled so far durable (dead letters first, then state and offsets in one
  /// RocksDB batch) and, unless told not to, publishes the metric snapshot.
  Status Commit(bool publish = true);
  /// How long the last rebuild of the published snapshot took.
  std::chrono::nanoseconds last_publish_cost() const { return last_publish_cost_; }

  /// Tasks currently owned, by (topic kind, partition).
  const std::map<std::pair<ingest::TopicKind, int32_t>, std::unique_ptr<Task>>& tasks() const {
    return tasks_;
  }
  const processors::OrgTables& org() const { return org_; }

 private:
  /// Sends `task`'s changes flushed into `batch` from its op `first` on to the changelog, after
  /// a full copy of its stored state when that does not mirror the changelog.
  Status LogChanges(const Task& task, const storage::WriteBatch& batch, size_t first);
  /// The task of a partition: its own, or for crm the one task of every partition.
  static int32_t TaskPartition(ingest::TopicKind kind, int32_t partition);
  Task* TaskFor(ingest::TopicKind kind, int32_t partition);
  metrics::EventResult Reject(const ingest::RawMessage& message, const ingest::Rejection& why,
                              metrics::EngineMetrics::TopicCounters& counters, size_t type_index);
  metrics::EventResult Apply(ingest::TopicKind kind, int32_t partition, const ingest::Event& event);
  /// Whether an event lies max_time_jump_days or more after every time seen so far (the latest
  /// event time and engine time); says why in `why`.
  bool TooFarAhead(const ingest::Event& event, ingest::Rejection* why) const;
  metrics::EngineMetrics::TopicCounters& CountersFor(ingest::TopicKind kind);
  void PublishSnapshot();
  std::chrono::nanoseconds last_publish_cost_{0};
  metrics::MergeCache merge_cache_;  // the published families of each task, reused while unchanged
  void UpdateCatchingUp();
  /// Drops org versions superseded longer ago than `org_history_days` (once a day of org time).
  void PruneOrgHistory();
  void DeleteLeftOverHistoryParts();
  void QueueGlobalHistory(Day day);
  /// A tombstone on the org topic (processors::OrgTables::Forget); tasks past its time hear now.
  void ForgetOrgEntity(const std::string& id);
  /// Tells every task of an org change (Task::OnOrgChange), counting those for which it is late.
  void DeliverOrgChange(const processors::OrgChange& change);

  const processors::ProcessorRegistry& registry_;
  const metrics::Catalog& catalog_;
  storage::KvStore& store_;
  ingest::DeadLetterSink& dead_letters_;
  metrics::EngineMetrics& engine_metrics_;
  metrics::PublishedMetrics& published_;
  Options options_;

  ingest::Decoder decoder_;
  DecodedMessage scratch_;  // reused between messages
  processors::OrgTables org_;
  metrics::SeriesLimit series_limit_;
  std::vector<uint64_t> refused_published_;  // series_limit_.refused as counted in engine metrics
  metrics::Shard global_shard_;  // figures derived from the org tables alone
  std::optional<processors::OrgFigures> org_figures_;
  std::map<std::pair<ingest::TopicKind, int32_t>, std::unique_ptr<Task>> tasks_;
  std::array<metrics::EngineMetrics::TopicCounters*, 3> counters_{};
  Timestamp now_ = kNoTime;
  Timestamp latest_event_time_ = kNoTime;
  uint64_t late_org_changes_ = 0;
  Day org_pruned_day_ = 0;
  size_t catching_up_ = 0;  // tasks not caught up, published with the next snapshot
  Status sink_error_ = Status::Ok();
  /// Global day records for the next Commit, as (key, value); an empty value deletes the key.
  std::vector<std::pair<std::string, std::string>> history_;
};

}  // namespace huntline::engine
