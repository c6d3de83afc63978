#pragma once

#include <algorithm>
#include <map>
#include <string>

#include "common/status.h"
#include "engine/engine.h"
#include "metrics/privacy.h"
#include "processors/settings.h"

namespace huntline::engine {

/// `huntline run --config FILE`: a JSON document. Every field is optional; unknown fields are
/// refused (a typo must not silently fall back to a default). See the README's configuration
/// reference.
struct Config {
  struct Kafka {
    std::string brokers = "127.0.0.1:9092";
    std::string group_id = "huntline";
    std::string dead_letter_topic = "huntline.dead-letter";
    /// Any librdkafka property, passed through unchanged (security, timeouts, …).
    std::map<std::string, std::string> properties;
    /// With no state stored for a partition, read it from the beginning (true) or from the
    /// group's committed offset (false).
    bool rebuild_from_earliest = true;
    /// How the producers of the input topics spread keys over partitions: `murmur2` (Kafka's
    /// Java clients and Kafka Connect) or `crc32` (librdkafka's default).
    KeyPartitioner key_partitioner = KeyPartitioner::kMurmur2;
    /// Log every task's state changes to a compacted changelog topic per input topic
    /// (`<group_id>-<topic>-changelog`), in Kafka transactions with
    /// the input offsets, and restore a task from it when its partition comes to an instance
    /// whose state directory does not hold it (engine/changelog.h).
    bool changelog = true;
    /// The changelog topics' replication factor when Huntline creates them (-1: the brokers'
    /// default.replication.factor).
    int changelog_replication_factor = -1;
    /// How many instances besides its owner keep a copy of each people partition's state,
    /// following its changelog, so that a failover restores only what the copy lacks
    /// (StandbyReplicas). 0: none.
    int num_standby_replicas = 0;
  } kafka;
  Topics topics;
  std::string state_dir = "./huntline-state";
  /// RocksDB's memory budget for the state (storage::RocksOptions).
  int rocksdb_block_cache_mb = 64;
  int rocksdb_write_buffer_mb = 64;
  /// Accounts (and contacts) of the org tables decoded in memory; the rest are read from RocksDB.
  int org_cache_entries = 50000;
  /// Values of a task's large state (a crm key's prospect facts, …) kept decoded in memory per
  /// structure; the rest are read from RocksDB when needed.
  int state_cache_entries = 50000;
  /// People messages read and decoded ahead of their turn, at most: past it the group's
  /// partitions are paused.
  int read_ahead_messages = 20000;
  std::string listen = "127.0.0.1:9464";
  /// Non-empty: the Prometheus exporter web configuration file (YAML, node_exporter's
  /// `--web.config.file` format) that puts `/metrics` and `/health` behind TLS and basic auth.
  /// Read by RunOnKafka (metrics::LoadWebConfig), not here: reports need not read it.
  std::string web_config_file;
  int batch_max_events = 5000;
  /// How soon an applied event is visible at /metrics, at most (apart from the commit itself):
  /// sets how long a batch waits and how often the snapshot is rebuilt (a quarter of it each)
  /// unless those are set.
  int freshness_ms = 100;
  /// Set: a batch lasts at most this long. -1 (not set): see BatchWaitMs and BacklogBatchWaitMs.
  int batch_max_wait_ms = -1;
  /// How often the metric snapshot scrapes read is rebuilt (state is committed every batch).
  /// -1 (not set): every freshness_ms / 4, and while events keep coming never more often than
  /// every nine times the last rebuild took (so rebuilding a large exposition takes at most a
  /// tenth of the processing); after a batch that found nothing more ready (the thread idle),
  /// no sooner than the last rebuild took.
  int publish_interval_ms = -1;
  /// How long a batch waits for more input once none is ready.
  int BatchWaitMs() const { return batch_max_wait_ms >= 0 ? batch_max_wait_ms : std::max(1, freshness_ms / 4); }
  /// How long a batch lasts at most while input keeps coming (a backlog).
  int BacklogBatchWaitMs() const {
    return batch_max_wait_ms >= 0 ? batch_max_wait_ms : std::max(BatchWaitMs(), kBacklogBatchWaitMs);
  }
  static constexpr int kBacklogBatchWaitMs = 200;
  /// A crm message written to Kafka less than this long ago waits until it is this old before
  /// it is applied, so that an earlier event written to another crm partition (or to the org
  /// topic) at about the same moment is applied first: the merge stays in event-time order when
  /// messages are produced as things happen. A backlog never waits.
  int order_wait_ms = 200;
  processors::Settings settings;
  /// Engine time T: the wall clock (false), or the latest event time seen (true), as a replay
  /// does; for reprocessing history and for accelerated simulations such as the demo.
  bool event_time = false;
  /// Who reports may name (metrics.md, "Privacy").
  struct Privacy {
    int min_group_size = 5;
    bool per_person_reports = false;
    /// Non-empty: people appear in reports under a keyed pseudonym.
    std::string pseudonym_key;
    /// What per-person series show on /metrics and in the daily history (and so in reports
    /// made from it): user ids, their pseudonyms under pseudonym_key, or nothing.
    metrics::PerPerson per_person_metrics = metrics::PerPerson::kOn;
  } privacy;
};

/// Reads and checks a configuration file; a bad one names the file and the field.
Result<Config> LoadConfig(const std::string& path);
/// The same from JSON text (`origin` names it in errors).
Result<Config> ParseConfig(const std::string& text, const std::string& origin);

}  // namespace huntline::engine
