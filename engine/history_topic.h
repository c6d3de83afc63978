#pragma once

#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "common/status.h"
#include "common/time.h"
#include "metrics/history.h"

namespace huntline::engine {

/// The daily history (metrics::History records) on a compacted Kafka topic, keyed like the
/// records (`h/<day>/<partition>`), so that a report sees every partition's days whichever
/// instance owned it; a deleted record is a tombstone. Records are sent before the state that
/// produced them is committed: a crash re-sends the same key and value, which compaction keeps
/// once. Used on the processing thread only.
class HistoryTopicWriter : public metrics::HistorySink {
 public:
  /// `properties` are librdkafka settings (bootstrap.servers, security, …).
  static Result<std::unique_ptr<HistoryTopicWriter>> Create(
      const std::map<std::string, std::string>& properties, std::string topic);
  ~HistoryTopicWriter() override;

  /// Queues one record; an empty value is a tombstone.
  Status Send(const std::string& key, const std::string& value) override;
  /// Waits for every record sent to be stored; fails if any was refused.
  Status Flush() override;

 private:
  class DeliveryErrors : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    int failed = 0;
    std::string first_error;
  };
  HistoryTopicWriter() = default;
  std::string topic_;
  DeliveryErrors errors_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

/// Reads a history topic from its beginning to its end as it stands now: the latest record of
/// each key, by day and partition, as metrics::LoadHistory gives them from a store.
Result<std::map<Day, std::map<std::string, metrics::History::Record>>> ReadHistoryTopic(
    const std::map<std::string, std::string>& properties, const std::string& topic);

}  // namespace huntline::engine
