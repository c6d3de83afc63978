#include "engine/history_topic.h"

#include <chrono>

namespace huntline::engine {
namespace {

Result<std::unique_ptr<RdKafka::Conf>> Conf(const std::map<std::string, std::string>& properties,
                                            const std::string& what) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : properties) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::Error(what + ": " + key + ": " + error);
    }
  }
  return conf;
}

}  // namespace

void HistoryTopicWriter::DeliveryErrors::dr_cb(RdKafka::Message& message) {
  if (message.err() != RdKafka::ERR_NO_ERROR && failed++ == 0) first_error = message.errstr();
}

Result<std::unique_ptr<HistoryTopicWriter>> HistoryTopicWriter::Create(
    const std::map<std::string, std::string>& properties, std::string topic) {
  std::unique_ptr<HistoryTopicWriter> writer(new HistoryTopicWriter());
  writer->topic_ = std::move(topic);
  auto conf = Conf(properties, "history producer");
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("enable.idempotence", "true", error);
  (*conf)->set("compression.type", "lz4", error);
  if ((*conf)->set("dr_cb", &writer->errors_, error) != RdKafka::Conf::CONF_OK) {
    return Status::Error("history producer: " + error);
  }
  writer->producer_.reset(RdKafka::Producer::create(conf->get(), error));
  if (!writer->producer_) return Status::Error("history producer: " + error);
  return writer;
}

HistoryTopicWriter::~HistoryTopicWriter() {
  if (producer_) producer_->flush(5000);
}

Status HistoryTopicWriter::Send(const std::string& key, const std::string& value) {
  while (true) {
    const RdKafka::ErrorCode err = producer_->produce(
        topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        value.empty() ? nullptr : const_cast<char*>(value.data()), value.size(), key.data(),
        key.size(), 0, nullptr, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) return Status::Ok();
    if (err != RdKafka::ERR__QUEUE_FULL) {
      return Status::Error("history produce to " + topic_ + ": " + RdKafka::err2str(err));
    }
    producer_->poll(100);
  }
}

Status HistoryTopicWriter::Flush() {
  if (const RdKafka::ErrorCode err = producer_->flush(30000); err != RdKafka::ERR_NO_ERROR) {
    return Status::Error("history flush to " + topic_ + ": " + RdKafka::err2str(err));
  }
  if (errors_.failed > 0) {
    return Status::Error("history delivery to " + topic_ + " failed: " + errors_.first_error);
  }
  return Status::Ok();
}

Result<std::map<Day, std::map<std::string, metrics::History::Record>>> ReadHistoryTopic(
    const std::map<std::string, std::string>& properties, const std::string& topic) {
  auto conf = Conf(properties, "history reader");
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("group.id", "huntline-report-" + std::to_string(WallClockNow()), error);
  (*conf)->set("enable.auto.commit", "false", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer) return Status::Error("history reader: " + error);
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR || !raw) {
    return Status::Error("history reader: no metadata for topic " + topic);
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  std::map<int32_t, int64_t> ends;
  for (const auto* t : *metadata->topics()) {
    if (t->topic() != topic) continue;
    if (t->err() != RdKafka::ERR_NO_ERROR) {
      return Status::Error("history reader: topic " + topic + ": " + RdKafka::err2str(t->err()));
    }
    for (const auto* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      if (consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000) != RdKafka::ERR_NO_ERROR) {
        return Status::Error("history reader: cannot read the end of " + topic);
      }
      if (high > low) {
        ends[p->id()] = high;
        partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
      }
    }
  }
  std::map<std::string, std::string> latest;
  if (!partitions.empty()) {
    consumer->assign(partitions);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
      if (m->err() != RdKafka::ERR_NO_ERROR) return Status::Error("history reader: " + m->errstr());
      const std::string key(static_cast<const char*>(m->key_pointer()), m->key_len());
      if (m->len() == 0) {
        latest.erase(key);
      } else {
        latest[key] = std::string(static_cast<const char*>(m->payload()), m->len());
      }
      if (m->offset() + 1 >= ends[m->partition()]) ends.erase(m->partition());
    }
    for (auto* p : partitions) delete p;
    if (!ends.empty()) return Status::Error("history reader: timed out reading " + topic);
  }
  consumer->close();
  storage::MemoryKvStore store;  // decoded as a store's history is
  storage::WriteBatch batch;
  for (const auto& [key, value] : latest) batch.Put(key, value);
  if (Status s = store.Write(batch); !s.ok()) return s;
  return metrics::LoadHistory(store);
}

}  // namespace huntline::engine
