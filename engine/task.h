#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/string_map.h"
#include "engine/seen_set.h"
#include "ingest/event.h"
#include "metrics/catalog.h"
#include "metrics/engine_metrics.h"
#include "metrics/published.h"
#include "metrics/shard.h"
#include "processors/crm_store.h"
#include "processors/processor.h"
#include "storage/kv_store.h"

namespace huntline::engine {

/// The partition number of a task that reads every partition of its topic, merged in event-time
/// order (the crm topic's: see Engine).
inline constexpr int32_t kAllPartitions = -1;

struct TaskOptions {
  /// Record the task's figures at each midnight of its time (metrics::History).
  bool history = false;
  /// Engine time follows event time: after a restart the task's time resumes at its own latest
  /// event time (its watermark), not behind it.
  bool event_time = false;
  /// State is written to the store at each commit (the (source, id)s seen live there, not in
  /// memory); otherwise (replay) it is all in memory.
  bool durable = false;
  /// Rewrites label values in the history (privacy.per_person_metrics).
  metrics::LabelRewriter history_rewrite;
  /// With `durable`: the values of each large structure of the processors' state kept decoded
  /// in memory (Processor::Open); the others stay in the store until needed.
  size_t state_cache_entries = 50000;
};

/// One input partition's share of the work: its processors, its CRM store, its share of every
/// metric series, the events it has seen (for de-duplication), and the next input offset.
/// Created by the Engine when the partition is assigned and destroyed when it is revoked; used on
/// the processing thread only. Everything it holds is persisted under `prefix()`:
///
///   <prefix>offsets         next offset per input partition   <prefix>meta   seq, watermark, time
///   <prefix>crm/<record>    CRM store records
///   s/<prefix><source>\x1f<id>  the (source, id)s handled (SeenSet), outside the task's range
///   <prefix>m/<family>/<series key>  counters        <prefix>p/<processor>/<key>  processor state
///   h/<day>/<prefix>         the task's figures at the end of each day (metrics::History)
///
/// Gauges are not persisted: processors derive them again from their state in Resume().
class Task {
 public:
  /// `partition` is the input partition it reads, or kAllPartitions; `partitioning` which keys
  /// of the org tables it answers for.
  Task(std::string topic, int32_t partition, processors::Partitioning partitioning,
       ingest::TopicKind kind,
       std::vector<std::unique_ptr<processors::Processor>> processors,
       const metrics::Catalog& catalog, TaskOptions options = {});

  static std::string PrefixOf(std::string_view topic, int32_t partition);
  /// Before a task's prefix: the derived state its processors keep in the store (timers, what
  /// each key adds to the gauges), never logged and cleared each time the task is restored.
  static constexpr std::string_view kScratchPrefix = "x/";
  const std::string& prefix() const { return prefix_; }
  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  ingest::TopicKind kind() const { return kind_; }

  /// The next input offsets stored for the task under `prefix` (none without state).
  static std::map<int32_t, int64_t> StoredOffsets(storage::KvStore& store, const std::string& prefix);
  /// Loads the task's persisted state. Called once, before any event.
  Status Restore(storage::KvStore& store);
  /// Re-derives what is not persisted (gauges, timers) once Restore() is done. The task's time
  /// resumes at `now` or at its own stored time, whichever is later (kNoTime: its own); org
  /// changes taking effect until then are taken as known, later ones are delivered as its time
  /// passes them.
  void Resume(const processors::OrgTables& org, const processors::Settings& settings,
              Timestamp now);

  /// Applies one decoded event: de-duplication, the CRM store's stale rule, then processors.
  metrics::EventResult Handle(const ingest::Event& event, const processors::OrgTables& org,
                              const processors::Settings& settings, Timestamp now);
  /// Moves the task's time forward to `now` (never back): timers fire, org changes taking effect
  /// on the way are delivered in their order (OnOrgChange) and each midnight crossed is recorded.
  void AdvanceTo(Timestamp now, const processors::OrgTables& org,
                 const processors::Settings& settings);
  Timestamp now() const { return now_; }
  /// An org change just applied: delivered at once when it takes effect at or before the
  /// task's time, else when the task's time reaches it (AdvanceTo). True when it is late: the
  /// task's time had passed it, so what was counted in between did not see it.
  bool OnOrgChange(const processors::OrgChange& change, const processors::OrgTables& org,
                   const processors::Settings& settings);

  /// Whether the task has read its partition to the end as last known: only then does it
  /// follow engine time (the wall clock, or the latest event time of the instance), up to
  /// follow_until(); with a backlog its time is its own events' (metrics.md, "Engine time").
  bool caught_up() const { return caught_up_; }
  /// The earliest event time among the messages read but still waiting for their turn (no
  /// limit when none): a caught-up task follows engine time no further, so they are not late.
  Timestamp follow_until() const { return follow_until_; }
  void set_caught_up(bool caught_up, Timestamp until = kNoLimit) {
    caught_up_ = caught_up;
    follow_until_ = until;
  }
  static constexpr Timestamp kNoLimit = INT64_MAX;
  /// Whether the task has read its backlog since it was created: until then its figures are a
  /// partial sum, restored or being rebuilt, and are not published (Engine::PublishSnapshot).
  bool backlog_read() const { return backlog_read_; }
  void set_backlog_read() { backlog_read_ = true; }
  /// Not published again until the runner finds it read to the end anew.
  void ConfirmBacklogAgain() { backlog_read_ = false; }
  /// A live task starts reading a backlog (until the runner finds it read).
  void StartWithBacklog() { caught_up_ = backlog_read_ = false; }
  /// Whether this instance publishes the task's figures (see Engine::SetPublished).
  bool published() const { return published_; }
  void set_published(bool published) { published_ = published; }

  /// Records that everything before `offset` of input partition `partition` has been handled
  /// (Kafka's next offset). A task reads one partition, or all of its topic (kAllPartitions).
  void set_next_offset(int32_t partition, int64_t offset) {
    next_offsets_[partition] = offset;
    offset_dirty_ = true;
  }
  std::optional<int64_t> next_offset(int32_t partition) const {
    auto it = next_offsets_.find(partition);
    return it == next_offsets_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  const std::map<int32_t, int64_t>& next_offsets() const { return next_offsets_; }
  Timestamp watermark() const { return watermark_; }
  /// Lets the processors' unchanged cached state leave memory (Processor::Trim): called once
  /// what Flush() wrote is in the store.
  void Trim() {
    crm_.Trim();
    for (auto& p : processors_) p->Trim();
  }
  /// The `(source, id)`s remembered for de-duplication, once known (SeenSet::size).
  std::optional<uint64_t> seen_ids() const { return seen_.size(); }

  /// The next changelog offset the stored state includes (changelog.h), if it mirrors the
  /// changelog; set by the engine's commits.
  std::optional<int64_t> checkpoint() const { return checkpoint_; }
  void set_checkpoint(std::optional<int64_t> offset) { checkpoint_ = offset; }

  /// Adds everything changed since the last flush to `batch`.
  void Flush(storage::WriteBatch& batch);
  /// The day records made since the last call, as (key, value); an empty value deletes the key.
  std::vector<std::pair<std::string, std::string>> TakeHistory();
  /// Forgets what changed, for a run that persists nothing (replay).
  void DiscardChanges();

  const metrics::Shard& shard() const { return shard_; }
  metrics::Shard& shard() { return shard_; }

 private:
  processors::ProcessorContext Context(const processors::OrgTables& org,
                                       const processors::Settings& settings, Timestamp now);
  /// Moves time to `t` (≥ now_) firing timers and recording each midnight crossed.
  void StepTo(Timestamp t, const processors::OrgTables& org, const processors::Settings& settings);
  void Deliver(const processors::OrgChange& change, const processors::OrgTables& org,
               const processors::Settings& settings);

  std::string topic_;
  TaskOptions options_;
  int32_t partition_;
  processors::Partitioning partitioning_;
  ingest::TopicKind kind_;
  std::string prefix_;
  const metrics::Catalog& catalog_;
  std::vector<std::unique_ptr<processors::Processor>> processors_;
  processors::CrmStore crm_;
  metrics::Shard shard_;
  SeenSet seen_;
  std::vector<std::string> seen_legacy_records_;  // "<prefix>seen/…" records to delete
  Day seen_pruned_day_ = INT32_MIN;  // the watermark day of the last prune (with a window)
  std::string seen_key_;  // scratch
  std::optional<processors::Lead> lead_before_;  // scratch
  std::optional<processors::Opportunity> opportunity_before_;  // scratch
  std::map<int32_t, int64_t> next_offsets_;  // input partition → next offset to read
  bool offset_dirty_ = false;
  bool legacy_offset_key_ = false;  // an "offset" record to replace by "offsets"
  uint64_t seq_ = 0;
  Timestamp watermark_ = kNoTime;
  Timestamp now_ = kNoTime;  // engine time or the partition's own, whichever is later
  Timestamp restored_now_ = kNoTime;
  bool caught_up_ = true;
  Timestamp follow_until_ = kNoLimit;
  bool backlog_read_ = true;
  bool published_ = true;
  /// The last org change delivered in time order (OnOrgChange); later ones wait for the task's time.
  processors::OrgChangeKey org_cursor_{kNoTime, 0};
  bool meta_dirty_ = false;
  std::optional<int64_t> checkpoint_;
  std::vector<std::pair<std::string, std::string>> history_;  // day records not yet written
};

}  // namespace huntline::engine
