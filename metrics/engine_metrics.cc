#include "metrics/engine_metrics.h"

namespace huntline::metrics {

EngineMetrics::EngineMetrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  events_family_ = &BuildCounter()
                        .Name("huntline_events_total")
                        .Help("Input events consumed, by topic, event type and result "
                              "(accepted, duplicate, stale, late, rejected)")
                        .Register(*registry_);
  dead_letters_family_ = &BuildCounter()
                              .Name("huntline_dead_letters_total")
                              .Help("Messages sent to the dead-letter destination, by reason")
                              .Register(*registry_);
  lag_family_ = &BuildGauge()
                     .Name("huntline_consumer_lag_messages")
                     .Help("Messages between the consumer position and the end of the partition")
                     .Register(*registry_);
  late_org_family_ = &BuildCounter()
                          .Name("huntline_org_changes_late_total")
                          .Help("Org snapshots read after a task had counted later events: they "
                                "apply from then on (metrics.md, \"Live equals replay\")")
                          .Register(*registry_);
  series_refused_family_ = &BuildCounter()
                                .Name("huntline_series_refused_total")
                                .Help("Updates of a new series refused because its family had "
                                      "limits.max_series_per_family series, by family")
                                .Register(*registry_);
  watermark_family_ = &BuildGauge()
                           .Name("huntline_watermark_seconds")
                           .Help("Latest event time processed on the partition (Unix seconds)")
                           .Register(*registry_);
  dedup_ids_family_ = &BuildGauge()
                           .Name("huntline_dedup_ids")
                           .Help("Event ids a task remembers to recognise a repeat, known without "
                                 "a store or with thresholds.dedup_window_days (counted at each "
                                 "day's prune)")
                           .Register(*registry_);
  records_lost_family_ = &BuildCounter()
                             .Name("huntline_input_records_lost_total")
                             .Help("Offsets of an input partition deleted by retention before they "
                                   "were read: reading resumed below the partition's first offset")
                             .Register(*registry_);
  restored_records_family_ = &BuildCounter()
                                 .Name("huntline_restored_records_total")
                                 .Help("Changelog messages applied restoring tasks' state, by "
                                       "changelog topic and partition")
                                 .Register(*registry_);
  restore_seconds_family_ = &BuildCounter()
                                .Name("huntline_restore_seconds_total")
                                .Help("Seconds spent restoring tasks' state from their changelog, "
                                      "by changelog topic and partition")
                                .Register(*registry_);
  const std::vector<double> lag_buckets = {1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800};
  event_time_lag_ = &BuildHistogram()
                         .Name("huntline_event_time_lag_seconds")
                         .Help("Wall clock minus event time when an event is processed")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries(lag_buckets));
  const std::vector<double> latency_buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,   1,    2.5,   5,    10};
  processing_latency_ =
      &BuildHistogram()
           .Name("huntline_processing_latency_seconds")
           .Help("From a message being applied (consumed, and its turn come) to its effect being "
                 "visible at /metrics")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries(latency_buckets));
  end_to_end_latency_ =
      &BuildHistogram()
           .Name("huntline_end_to_end_latency_seconds")
           .Help("From a message's timestamp in Kafka (written) to its effect being visible at "
                 "/metrics, order_wait_ms included")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries(latency_buckets));
  publish_duration_ = &BuildHistogram()
                           .Name("huntline_publish_duration_seconds")
                           .Help("Time to rebuild the snapshot /metrics serves from every task's series")
                           .Register(*registry_)
                           .Add({}, prometheus::Histogram::BucketBoundaries(latency_buckets));
  commit_duration_ = &BuildHistogram()
                          .Name("huntline_commit_duration_seconds")
                          .Help("Time the processing thread spends writing one batch's state and offsets to RocksDB (with write-behind: handing it over and waiting for the batch before)")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries(latency_buckets));
  state_size_ = &BuildGauge()
                     .Name("huntline_state_size_bytes")
                     .Help("Approximate size of the state store")
                     .Register(*registry_)
                     .Add({});
  engine_time_ = &BuildGauge()
                      .Name("huntline_engine_time_seconds")
                      .Help("Engine time T (Unix seconds): wall clock live, latest event in replay")
                      .Register(*registry_)
                      .Add({});
  org_tombstones_ = &BuildCounter()
                         .Name("huntline_org_tombstones_total")
                         .Help("Tombstones read on the org topic: the user, account or contact of "
                               "the key is forgotten")
                         .Register(*registry_)
                         .Add({});
  crm_out_of_order_ = &BuildCounter()
                          .Name("huntline_crm_out_of_order_total")
                          .Help("crm messages that landed too late for event-time order: applied after "
                                "a message of another crm partition with a later event time that "
                                "was written after them (they landed past order_wait_ms); they "
                                "count as they would in a replay file where they come late")
                          .Register(*registry_)
                          .Add({});
  batches_ = &BuildCounter()
                  .Name("huntline_batches_total")
                  .Help("Batches of events committed to the state store")
                  .Register(*registry_)
                  .Add({});
  assigned_partitions_ = &BuildGauge()
                              .Name("huntline_assigned_partitions")
                              .Help("Input partitions this instance currently owns")
                              .Register(*registry_)
                              .Add({});
  standby_partitions_ = &BuildGauge()
                             .Name("huntline_standby_partitions")
                             .Help("People partitions this instance keeps a standby copy of "
                                   "(kafka.num_standby_replicas)")
                             .Register(*registry_)
                             .Add({});
  standby_records_ = &BuildCounter()
                          .Name("huntline_standby_records_total")
                          .Help("Changelog messages applied to standby copies")
                          .Register(*registry_)
                          .Add({});
  read_ahead_ = &BuildGauge()
                     .Name("huntline_read_ahead_messages")
                     .Help("Input messages read and decoded, waiting for their turn (event-time "
                           "order, age, the org topic); people partitions pause at limits.read_ahead_messages")
                     .Register(*registry_)
                     .Add({});
  crm_publisher_ = &BuildGauge()
                        .Name("huntline_crm_publisher")
                        .Help("1 on the one instance that publishes the crm figures (every instance "
                              "computes them; the owner of partition 0 of the crm election group "
                              "publishes them)")
                        .Register(*registry_)
                        .Add({});
  catching_up_partitions_ = &BuildGauge()
                                 .Name("huntline_catching_up_partitions")
                                 .Help("Owned input partitions still reading a backlog: their figures "
                                       "are as of their own event time, behind the others'")
                                 .Register(*registry_)
                                 .Add({});
  BuildGauge()
      .Name("huntline_build_info")
      .Help("Build of the running engine")
      .Register(*registry_)
      .Add({{"version", version}})
      .Set(1);
}

EngineMetrics::TopicCounters& EngineMetrics::ForTopic(const std::string& topic) {
  auto [it, inserted] = topics_.try_emplace(topic);
  if (inserted) {
    for (size_t t = 0; t < kEventTypeLabels.size(); ++t) {
      for (size_t r = 0; r < kEventResultNames.size(); ++r) {
        it->second.events[t][r] = &events_family_->Add({{"topic", topic},
                                                        {"type", std::string(kEventTypeLabels[t])},
                                                        {"result", std::string(kEventResultNames[r])}});
      }
    }
  }
  return it->second;
}

prometheus::Counter& EngineMetrics::DeadLetters(std::string_view reason) {
  return dead_letters_family_->Add({{"reason", std::string(reason)}});
}

prometheus::Gauge& EngineMetrics::ConsumerLag(const std::string& topic, int32_t partition) {
  return lag_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

prometheus::Counter& EngineMetrics::LateOrgChanges(const std::string& topic) {
  return late_org_family_->Add({{"topic", topic}});
}

prometheus::Counter& EngineMetrics::SeriesRefused(const std::string& family) {
  return series_refused_family_->Add({{"family", family}});
}

prometheus::Gauge& EngineMetrics::Watermark(const std::string& topic, int32_t partition) {
  return watermark_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

prometheus::Gauge& EngineMetrics::DedupIds(const std::string& topic, int32_t partition) {
  return dedup_ids_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

prometheus::Counter& EngineMetrics::RecordsLost(const std::string& topic, int32_t partition) {
  return records_lost_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

prometheus::Counter& EngineMetrics::RestoredRecords(const std::string& topic, int32_t partition) {
  return restored_records_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

prometheus::Counter& EngineMetrics::RestoreSeconds(const std::string& topic, int32_t partition) {
  return restore_seconds_family_->Add({{"topic", topic}, {"partition", std::to_string(partition)}});
}

void EngineMetrics::ForgetPartition(const std::string& topic, int32_t partition) {
  lag_family_->Remove(&ConsumerLag(topic, partition));
  watermark_family_->Remove(&Watermark(topic, partition));
  dedup_ids_family_->Remove(&DedupIds(topic, partition));
}

}  // namespace huntline::metrics
