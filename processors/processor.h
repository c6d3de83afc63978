#pragma once

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/partitioner.h"
#include "common/status.h"
#include "common/time.h"
#include "ingest/event.h"
#include "metrics/catalog.h"
#include "metrics/shard.h"
#include "processors/classify.h"
#include "processors/crm_store.h"
#include "processors/org_figures.h"
#include "processors/org_tables.h"
#include "processors/settings.h"

namespace huntline::processors {

/// Which keys of the org tables a task answers for: an account that no CRM event has named yet
/// (an untouched target account) is counted by the task of the partition its key would go to.
struct Partitioning {
  int32_t partition = 0;
  int32_t count = 1;  // partitions of the task's topic
  KeyPartitioner partitioner = KeyPartitioner::kMurmur2;
  bool Owns(std::string_view key) const {
    return PartitionOf(key, count, partitioner) == partition;
  }
};

/// What a processor may touch while handling an event of its task. Built by the engine for each
/// task (and by tests directly); every reference outlives the processors that receive it.
struct ProcessorContext {
  /// The task's time T (metrics.md, "Engine time").
  Timestamp now = 0;
  /// Processing order of the current event within the task, for "ties go to the later" rules.
  uint64_t seq = 0;
  /// The org tables as of `now`; `org.At(t)` for a look-up as of another time (an event's own
  /// time, a block's settlement).
  OrgView org;
  CrmStore& crm;
  metrics::Shard& metrics;
  const Settings& settings;
  Partitioning partitioning;
  /// For a lead or opportunity upsert: the entity as it was before this event (absent when the
  /// event is its first snapshot). Null for other events.
  const std::optional<Lead>* lead_before = nullptr;
  const std::optional<Opportunity>* opportunity_before = nullptr;

  /// The behaviour of the activity being processed, classified once for all processors.
  Behaviour BehaviourOf(const ingest::ActivityLogged& activity, Timestamp time) {
    if (!behaviour) behaviour = ClassifyActivity(activity, time, org.At(time), crm, settings);
    return *behaviour;
  }
  std::optional<Behaviour> behaviour = std::nullopt;

  /// Set by a processor when the event is an older snapshot than the one held (ignored), or
  /// when it changed figures that had already settled (applied to state, not to counters).
  bool stale = false;
  bool late = false;
};

/// Turns decoded events into state changes and metric updates for one partition (a task).
/// Created per task by the engine; every call happens on the task's processing thread. The
/// engine, not the processor, owns the stores and commits them; a processor persists only
/// what it keeps itself, through Flush() and Restore().
class Processor {
 public:
  virtual ~Processor() = default;
  virtual std::string_view name() const = 0;
  /// Called for every accepted event of the task's topic, after shared stores were updated.
  virtual void Process(const ingest::Event& event, ProcessorContext& context) = 0;
  /// Called when the task's time advances, before the event that advanced it is processed.
  virtual void OnTime(ProcessorContext& /*context*/) {}
  /// Called when an org snapshot takes effect for the task: when the task's time reaches the
  /// snapshot's time, or at once when it is read after that (`context.now` ≥ `change.time`).
  virtual void OnOrgChange(const OrgChange& /*change*/, ProcessorContext& /*context*/) {}
  /// Called once after Restore() and before any event: re-derives whatever is not persisted
  /// (gauges, timers) from the restored state, the org tables and engine time.
  virtual void Resume(ProcessorContext& /*context*/) {}
  /// Writes the state changed since the last Flush() as (key, value) pairs under its own keys;
  /// an empty value deletes the key.
  virtual void Flush(const std::function<void(std::string_view, std::string_view)>& /*put*/) {}
  /// Loads one record written by Flush(), before any event.
  virtual Status Restore(std::string_view /*key*/, std::string_view /*value*/) {
    return Status::Ok();
  }
  /// Where the records Flush() writes are (`prefix`: their full key prefix) when the task
  /// persists its state; `store` null when it does not (replay: everything in memory). Called
  /// before Restore(): a processor may leave a large structure there and read it when needed
  /// (storage::WriteBackCache, `cache_entries` values kept in memory) instead of loading it.
  /// Derived state too large for memory (timers, what each key adds to the gauges) may be kept
  /// under `scratch_prefix`, written by the processor itself without the write-ahead log: it is
  /// not logged, and the task clears it before each Open().
  virtual void Open(storage::KvStore* /*store*/, const std::string& /*prefix*/,
                    const std::string& /*scratch_prefix*/, size_t /*cache_entries*/) {}
  /// Lets unchanged values beyond the caches leave memory: called once what Flush() wrote is in
  /// the store, never while the processor holds a value.
  virtual void Trim() {}
};

/// The processors of each input topic, and the metric families they declared. Filled once at
/// start-up through explicit entry points (RegisterActivityProcessors, …), never by static
/// initialisers.
class ProcessorRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Processor>()>;

  explicit ProcessorRegistry(metrics::Catalog& catalog) : catalog_(catalog) {}

  metrics::Catalog& catalog() { return catalog_; }
  void Add(ingest::TopicKind topic, Factory factory) {
    factories_.push_back({topic, std::move(factory)});
  }
  /// The figures derived from the global tables alone (one per process, not per task).
  void SetOrgFigures(OrgFigures::Families families) { org_figures_ = families; }
  std::optional<OrgFigures::Families> org_figures() const { return org_figures_; }

  std::vector<std::unique_ptr<Processor>> Create(ingest::TopicKind topic) const {
    std::vector<std::unique_ptr<Processor>> out;
    for (const auto& [t, factory] : factories_) {
      if (t == topic) out.push_back(factory());
    }
    return out;
  }

 private:
  metrics::Catalog& catalog_;
  std::vector<std::pair<ingest::TopicKind, Factory>> factories_;
  std::optional<OrgFigures::Families> org_figures_;
};

/// Every processor Huntline ships, registered in data-flow order.
void RegisterAllProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
