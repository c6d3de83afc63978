#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "ingest/dead_letter.h"

namespace huntline::ingest {

/// Produces refused messages to a dead-letter topic: the original key, value and headers, plus
/// `huntline.dlq.*` headers with the reason, origin (topic, partition, offset) and time. A dead
/// letter can always be written: the detail is cut to kMaxDetailBytes, and an original too large
/// to carry whole under the producer's `message.max.bytes` (1,000,000 by default) keeps an
/// excerpt of its value (kExcerptBytes), its size (`huntline.dlq.original_size`), and key and
/// headers cut to kMaxFieldBytes each.
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
  static constexpr size_t kExcerptBytes = 64 * 1024;
  static constexpr size_t kMaxFieldBytes = 4 * 1024;
  /// Room kept for the record's own framing and the huntline.dlq.* headers.
  static constexpr size_t kOverheadBytes = 16 * 1024;
  std::string topic_;
  size_t max_bytes_ = 1000000;
  DeliveryErrors errors_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace huntline::ingest
