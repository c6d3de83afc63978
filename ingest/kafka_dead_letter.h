#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "ingest/dead_letter.h"

namespace huntline::ingest {

/// Produces refused messages to a dead-letter topic: the original key, value and headers, plus
/// `huntline.dlq.*` headers with the reason, origin (topic, partition, offset) and time.
/// Flush() waits for every delivery and fails if any was refused by the broker, so the engine
/// never commits input offsets past a dead letter that was not stored.
class KafkaDeadLetterSink : public DeadLetterSink {
 public:
  /// `properties` are librdkafka settings (bootstrap.servers, security, …).
  static Result<std::unique_ptr<KafkaDeadLetterSink>> Create(
      const std::map<std::string, std::string>& properties, std::string topic);
  ~KafkaDeadLetterSink() override;

  Status Send(const RawMessage& message, const Rejection& why, Timestamp rejected_at) override;
  Status Flush() override;

 private:
  class DeliveryErrors : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    std::atomic<int> failed{0};
    std::string first_error;  // written by librdkafka's poll, read after flush
  };

  KafkaDeadLetterSink() = default;
  std::string topic_;
  DeliveryErrors errors_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace huntline::ingest
