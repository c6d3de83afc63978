#pragma once

#include <atomic>
#include <functional>

#include "common/status.h"
#include "engine/config.h"

namespace huntline::engine {

/// `huntline run`: the engine on Apache Kafka.
///
/// 1. Reads the global `org` topic (every partition, no consumer group) to its end, then keeps
///    following it between batches.
/// 2. Joins the consumer group on the `crm` and `people` topics (cooperative-sticky). On each
///    assignment a partition's task is restored from RocksDB and consumption resumes at the offset
///    stored with its state; on revocation the task commits and is dropped.
/// 3. Processes in batches: at the end of each, the dead letters are flushed, the state changes
///    and next offsets are written in one RocksDB batch, the metric snapshot is published, and only
///    then are the offsets committed to Kafka.
/// Returns when `stop` turns true (SIGTERM/SIGINT), after a final commit; or with an error.
/// `on_ready` (optional) is called once the org topic has been read and the group joined.
Status RunOnKafka(const Config& config, const std::atomic<bool>& stop,
                  const std::function<void()>& on_ready = {});

}  // namespace huntline::engine
