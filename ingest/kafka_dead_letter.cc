#include "ingest/kafka_dead_letter.h"

namespace huntline::ingest {

void KafkaDeadLetterSink::DeliveryErrors::dr_cb(RdKafka::Message& message) {
  if (message.err() != RdKafka::ERR_NO_ERROR) {
    if (failed.fetch_add(1) == 0) first_error = message.errstr();
  }
}

Result<std::unique_ptr<KafkaDeadLetterSink>> KafkaDeadLetterSink::Create(
    const std::map<std::string, std::string>& properties, std::string topic) {
  std::unique_ptr<KafkaDeadLetterSink> sink(new KafkaDeadLetterSink());
  sink->topic_ = std::move(topic);
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : properties) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::Error("dead-letter producer: " + key + ": " + error);
    }
  }
  conf->set("enable.idempotence", "true", error);
  if (auto it = properties.find("message.max.bytes"); it != properties.end()) {
    sink->max_bytes_ = std::stoul(it->second);
  }
  if (conf->set("dr_cb", &sink->errors_, error) != RdKafka::Conf::CONF_OK) {
    return Status::Error("dead-letter producer: " + error);
  }
  sink->producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!sink->producer_) return Status::Error("dead-letter producer: " + error);
  return sink;
}

KafkaDeadLetterSink::~KafkaDeadLetterSink() {
  if (producer_) producer_->flush(5000);
}

Status KafkaDeadLetterSink::Send(const RawMessage& message, const Rejection& why,
                                 Timestamp rejected_at) {
  size_t size = message.key.size() + message.value.size();
  if (message.headers) {
    for (const Header& h : *message.headers) size += h.key.size() + h.value.size();
  }
  // Whole when it fits, else an excerpt that always does.
  const bool whole = size + kOverheadBytes <= max_bytes_;
  const size_t field_max = whole ? SIZE_MAX : kMaxFieldBytes;
  RdKafka::Headers* headers = RdKafka::Headers::create();
  size_t header_bytes = 0;
  if (message.headers) {
    for (const Header& h : *message.headers) {
      const std::string_view key = std::string_view(h.key).substr(0, std::min<size_t>(field_max, 256));
      const std::string_view value = std::string_view(h.value).substr(0, field_max);
      if (!whole && header_bytes + key.size() + value.size() > kExcerptBytes) break;
      header_bytes += key.size() + value.size();
      // A header without a value stays one (null, not empty).
      headers->add(std::string(key), h.has_value ? value.data() : nullptr, value.size());
    }
  }
  auto add = [&](std::string_view key, const std::string& value) {
    headers->add(std::string(key), value.data(), value.size());
  };
  add(kDlqReasonHeader, std::string(kRejectReasonNames[static_cast<size_t>(why.reason)]));
  add(kDlqDetailHeader, Bounded(why.detail));
  const std::string_view key = message.key.substr(0, field_max);
  const std::string_view value = message.value.substr(0, whole ? SIZE_MAX : kExcerptBytes);
  if (!whole) add(kDlqOriginalSizeHeader, std::to_string(message.value.size()));
  add(kDlqTopicHeader, std::string(message.topic));
  add(kDlqPartitionHeader, std::to_string(message.partition));
  add(kDlqOffsetHeader, std::to_string(message.offset));
  add(kDlqTimeHeader, FormatRfc3339(rejected_at));
  while (true) {
    const RdKafka::ErrorCode err = producer_->produce(
        topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, headers, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) return Status::Ok();  // headers now owned by librdkafka
    if (err == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);
      continue;
    }
    delete headers;
    return Status::Error("dead-letter produce to " + topic_ + ": " + RdKafka::err2str(err));
  }
}

Status KafkaDeadLetterSink::Flush() {
  const RdKafka::ErrorCode err = producer_->flush(30000);
  if (err != RdKafka::ERR_NO_ERROR) {
    return Status::Error("dead-letter flush to " + topic_ + ": " + RdKafka::err2str(err));
  }
  if (errors_.failed.load() > 0) {
    return Status::Error("dead-letter delivery to " + topic_ + " failed: " + errors_.first_error);
  }
  return Status::Ok();
}

}  // namespace huntline::ingest
