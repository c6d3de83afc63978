#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace huntline::metrics {

/// What happened to one consumed event (metrics.md, "The engine itself").
enum class EventResult : uint8_t { kAccepted, kDuplicate, kStale, kLate, kRejected };
inline constexpr std::array<std::string_view, 5> kEventResultNames = {
    "accepted", "duplicate", "stale", "late", "rejected"};

/// Type label for events whose type could not be read.
inline constexpr size_t kUnknownTypeIndex = 9;
inline constexpr std::array<std::string_view, 10> kEventTypeLabels = {
    "org.user.upserted",       "crm.account.upserted",     "crm.contact.upserted",
    "crm.lead.upserted",       "crm.opportunity.upserted", "crm.activity.logged",
    "calendar.event.upserted", "calendar.event.cancelled", "crm.task.assigned",
    "unknown"};

/// The engine's own health figures. These describe this process and reset when it restarts, as
/// Prometheus expects of process metrics; the domain counters are the persisted ones.
/// Thread-safe (prometheus-cpp metrics are atomic); handles are looked up once and kept.
class EngineMetrics {
 public:
  /// Counter handles for one input topic: [type][result].
  struct TopicCounters {
    std::array<std::array<prometheus::Counter*, 5>, 10> events{};
    prometheus::Counter& Get(size_t type, EventResult result) const {
      return *events[type][static_cast<size_t>(result)];
    }
  };

  explicit EngineMetrics(const std::string& version);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  TopicCounters& ForTopic(const std::string& topic);

  prometheus::Counter& DeadLetters(std::string_view reason);
  prometheus::Gauge& ConsumerLag(const std::string& topic, int32_t partition);
  prometheus::Gauge& Watermark(const std::string& topic, int32_t partition);
  prometheus::Gauge& DedupIds(const std::string& topic, int32_t partition);
  /// Offsets of an input partition that retention deleted before they were read: reading
  /// resumed (from the state's offset or the group's) below the partition's first offset.
  prometheus::Counter& RecordsLost(const std::string& topic, int32_t partition);
  /// Changelog messages applied, and seconds spent, restoring a task's state (by changelog topic
  /// and partition).
  prometheus::Counter& RestoredRecords(const std::string& topic, int32_t partition);
  prometheus::Counter& RestoreSeconds(const std::string& topic, int32_t partition);
  /// Drops the per-partition gauges of a partition this instance no longer reads.
  void ForgetPartition(const std::string& topic, int32_t partition);
  prometheus::Counter& LateOrgChanges(const std::string& topic);
  prometheus::Counter& SeriesRefused(const std::string& family);
  prometheus::Histogram& event_time_lag() { return *event_time_lag_; }
  prometheus::Histogram& processing_latency() { return *processing_latency_; }
  prometheus::Histogram& end_to_end_latency() { return *end_to_end_latency_; }
  prometheus::Histogram& publish_duration() { return *publish_duration_; }
  prometheus::Histogram& commit_duration() { return *commit_duration_; }
  prometheus::Gauge& state_size() { return *state_size_; }
  prometheus::Gauge& engine_time() { return *engine_time_; }
  prometheus::Counter& batches() { return *batches_; }
  prometheus::Counter& org_tombstones() { return *org_tombstones_; }
  prometheus::Counter& crm_out_of_order() { return *crm_out_of_order_; }
  prometheus::Gauge& assigned_partitions() { return *assigned_partitions_; }
  prometheus::Gauge& standby_partitions() { return *standby_partitions_; }
  prometheus::Counter& standby_records() { return *standby_records_; }
  prometheus::Gauge& catching_up_partitions() { return *catching_up_partitions_; }
  prometheus::Gauge& crm_publisher() { return *crm_publisher_; }
  prometheus::Gauge& read_ahead() { return *read_ahead_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* events_family_;
  prometheus::Family<prometheus::Counter>* dead_letters_family_;
  prometheus::Family<prometheus::Gauge>* lag_family_;
  prometheus::Family<prometheus::Gauge>* watermark_family_;
  prometheus::Family<prometheus::Gauge>* dedup_ids_family_;
  prometheus::Family<prometheus::Counter>* records_lost_family_;
  prometheus::Family<prometheus::Counter>* restored_records_family_;
  prometheus::Family<prometheus::Counter>* restore_seconds_family_;
  prometheus::Family<prometheus::Counter>* late_org_family_;
  prometheus::Family<prometheus::Counter>* series_refused_family_;
  std::map<std::string, TopicCounters> topics_;
  prometheus::Histogram* event_time_lag_;
  prometheus::Histogram* processing_latency_;
  prometheus::Histogram* end_to_end_latency_;
  prometheus::Histogram* publish_duration_;
  prometheus::Histogram* commit_duration_;
  prometheus::Gauge* state_size_;
  prometheus::Gauge* engine_time_;
  prometheus::Counter* batches_;
  prometheus::Counter* org_tombstones_;
  prometheus::Counter* crm_out_of_order_;
  prometheus::Gauge* assigned_partitions_;
  prometheus::Gauge* standby_partitions_;
  prometheus::Counter* standby_records_;
  prometheus::Gauge* catching_up_partitions_;
  prometheus::Gauge* crm_publisher_;
  prometheus::Gauge* read_ahead_;
};

}  // namespace huntline::metrics
