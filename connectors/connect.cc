#include "connectors/connect.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "connectors/envelope.h"
#include "connectors/google_calendar.h"
#include "connectors/hubspot.h"
#include "connectors/ics.h"
#include "connectors/mapping.h"
#include "connectors/microsoft_graph.h"
#include "connectors/salesforce_cdc.h"
#include "connectors/state.h"
#include "connectors/translate.h"
#include "metrics/http_server.h"
#include "storage/codec.h"
#include "storage/kv_store.h"

namespace huntline::connectors {
namespace {

constexpr int kTransactionTimeoutMs = 60000;

bool IsCalendar(const std::string& format) {
  return format == "google-calendar" || format == "microsoft-graph" || format == "ics";
}

/// The contract topic of an event type (events.md, "Topics and keys").
const std::string& TopicOf(const std::string& type, const ConnectConfig::Topics& topics) {
  if (type == "org.user.upserted" || type == "crm.account.upserted" || type == "crm.contact.upserted") return topics.org;
  if (type.starts_with("calendar.") || type == "crm.task.assigned") return topics.people;
  return topics.crm;
}

std::string OffsetKey(const std::string& topic, int32_t partition) {
  return "o/" + topic + "/" + std::to_string(partition);
}

/// Kafka's error as a Status.
Status Failed(const std::string& what, RdKafka::Error* error) {
  std::unique_ptr<RdKafka::Error> owned(error);
  return Status::Error(what + ": " + (owned ? owned->str() : "unknown error"));
}

class Connector {
 public:
  Connector(const ConnectConfig& config, const Mapping& mapping, storage::KvStore& store, prometheus::Registry& registry)
      : config_(config), mapping_(mapping), store_(store), state_(store),
        records_(prometheus::BuildCounter()
                     .Name("huntline_connect_records_total")
                     .Help("Vendor records read, by source topic and what became of them")
                     .Register(registry)),
        events_(prometheus::BuildCounter()
                    .Name("huntline_connect_events_total")
                    .Help("Contract events written, by topic")
                    .Register(registry)) {}

  Status Start() {
    std::string error;
    std::unique_ptr<RdKafka::Conf> consumer_conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::unique_ptr<RdKafka::Conf> producer_conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    for (const auto& [key, value] : config_.kafka_properties) {
      // Each client takes the properties it knows.
      (void)consumer_conf->set(key, value, error);
      (void)producer_conf->set(key, value, error);
    }
    for (const auto& [key, value] : std::map<std::string, std::string>{{"bootstrap.servers", config_.brokers},
                                                                      {"group.id", config_.id},
                                                                      {"enable.auto.commit", "false"},
                                                                      {"isolation.level", "read_committed"},
                                                                      {"auto.offset.reset", "earliest"}}) {
      if (consumer_conf->set(key, value, error) != RdKafka::Conf::CONF_OK) return Status::Error("consumer: " + key + ": " + error);
    }
    for (const auto& [key, value] : std::map<std::string, std::string>{{"bootstrap.servers", config_.brokers},
                                                                      {"transactional.id", config_.id},
                                                                      {"enable.idempotence", "true"},
                                                                      {"transaction.timeout.ms", std::to_string(kTransactionTimeoutMs)}}) {
      if (producer_conf->set(key, value, error) != RdKafka::Conf::CONF_OK) return Status::Error("producer: " + key + ": " + error);
    }
    consumer_.reset(RdKafka::KafkaConsumer::create(consumer_conf.get(), error));
    if (!consumer_) return Status::Error("consumer: " + error);
    producer_.reset(RdKafka::Producer::create(producer_conf.get(), error));
    if (!producer_) return Status::Error("producer: " + error);
    // Fences an earlier run of this id and aborts what it left open.
    if (RdKafka::Error* e = producer_->init_transactions(kTransactionTimeoutMs)) return Failed("init_transactions", e);

    return AssignNewPartitions();
  }

  /// Reads every partition of the source topics not read yet, from the offset the state holds
  /// (its start the first time): at start, and again from time to time, for partitions added.
  Status AssignNewPartitions() {
    std::string error;
    std::vector<RdKafka::TopicPartition*> added;
    for (const auto& source : config_.sources) {
      std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(consumer_.get(), source.topic, nullptr, error));
      RdKafka::Metadata* raw = nullptr;
      const RdKafka::ErrorCode code = consumer_->metadata(false, topic.get(), &raw, 10000);
      std::unique_ptr<RdKafka::Metadata> metadata(raw);
      if (code != RdKafka::ERR_NO_ERROR) return Status::Error("source " + source.topic + ": " + RdKafka::err2str(code));
      for (const auto* t : *metadata->topics()) {
        if (t->err() != RdKafka::ERR_NO_ERROR) return Status::Error("source " + source.topic + ": " + RdKafka::err2str(t->err()));
        for (const auto* p : *t->partitions()) {
          if (!assigned_.insert({source.topic, p->id()}).second) continue;
          int64_t offset = RdKafka::Topic::OFFSET_BEGINNING;
          if (auto stored = store_.Get(OffsetKey(source.topic, p->id()))) offset = storage::Decoder(*stored).I64();
          added.push_back(RdKafka::TopicPartition::create(source.topic, p->id(), offset));
        }
      }
    }
    if (added.empty()) return Status::Ok();
    RdKafka::Error* failed = consumer_->incremental_assign(added);
    RdKafka::TopicPartition::destroy(added);
    if (failed) return Failed("assign", failed);
    return Status::Ok();
  }

  /// Reads, translates and writes one batch.
  Status Step() {
    std::vector<std::unique_ptr<RdKafka::Message>> batch;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.batch_max_wait_ms);
    while (static_cast<int>(batch.size()) < config_.batch_max_messages) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(left.count())));
      if (message->err() == RdKafka::ERR__TIMED_OUT || message->err() == RdKafka::ERR__PARTITION_EOF) continue;
      if (message->err() != RdKafka::ERR_NO_ERROR) return Status::Error("consume: " + message->errstr());
      batch.push_back(std::move(message));
    }
    if (batch.empty()) return Status::Ok();

    std::map<std::pair<std::string, int32_t>, int64_t> next;
    if (RdKafka::Error* e = producer_->begin_transaction()) return Failed("begin_transaction", e);
    for (const auto& message : batch) {
      const ConnectConfig::Source* source = SourceOf(message->topic_name());
      const std::string key = message->key() ? *message->key() : "";
      const std::string where = message->topic_name() + "/" + std::to_string(message->partition()) + "@" +
                                std::to_string(message->offset());
      const std::string_view value(static_cast<const char*>(message->payload()), message->len());
      // A record without a time of its own (a deletion in a delta page) takes the time the
      // sync job wrote it.
      const RdKafka::MessageTimestamp written = message->timestamp();
      const std::optional<Timestamp> observed =
          written.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE && written.timestamp > 0
              ? std::optional<Timestamp>(written.timestamp) : std::nullopt;
      Translation out = TranslateOne(*source, key, value, where, observed);
      SortByTime(out.events);
      for (const ContractEvent& event : out.events) {
        const std::string& topic = TopicOf(event.event["type"], config_.topics);
        if (Status s = Produce(topic, event.event["partitionkey"], event.event.dump(-1, ' ', false, Json::error_handler_t::replace)); !s.ok()) {
          return Abort(s);
        }
        events_.Add({{"topic", topic}}).Increment();
      }
      for (const Refusal& refusal : out.refusals) {
        if (Status s = Produce(config_.topics.dead_letter, key, DeadLetterLine(refusal, source->format, where)); !s.ok()) {
          return Abort(s);
        }
      }
      const std::string result = !out.refusals.empty() ? "dead_lettered" : out.events.empty() ? "skipped" : "translated";
      records_.Add({{"topic", message->topic_name()}, {"result", result}}).Increment();
      next[{message->topic_name(), message->partition()}] = message->offset() + 1;
    }
    if (RdKafka::Error* e = producer_->commit_transaction(kTransactionTimeoutMs)) return Failed("commit_transaction", e);
    // The events are on Kafka: now the state that made them, and where to read on.
    storage::WriteBatch write;
    state_.Flush(write);
    for (const auto& [at, offset] : next) write.Put(OffsetKey(at.first, at.second), storage::Encoder().I64(offset).str());
    return store_.Write(write);
  }

 private:
  const ConnectConfig::Source* SourceOf(const std::string& topic) const {
    for (const auto& source : config_.sources) {
      if (source.topic == topic) return &source;
    }
    return &config_.sources.front();
  }

  Translation TranslateOne(const ConnectConfig::Source& source, const std::string& key, std::string_view value,
                           const std::string& where, std::optional<Timestamp> observed) {
    Translation out;
    out.Record("$", value, [&] { out = TranslateRecord(source, key, value, observed); });
    for (Refusal& refusal : out.refusals) refusal.locator = where + " " + refusal.locator;
    return out;
  }

  Translation TranslateRecord(const ConnectConfig::Source& source, const std::string& key, std::string_view value,
                              std::optional<Timestamp> observed) {
    Translation out;
    if (source.format == "salesforce-cdc") {
      out = TranslateSalesforceCdc(value, mapping_, state_);
    } else if (source.format == "hubspot") {
      out = TranslateHubSpot(value, mapping_, state_);
    } else {
      const std::string& calendar = source.calendar.empty() ? key : source.calendar;
      const Person* owner = mapping_.FindCalendar(calendar);
      if (!owner) {
        out.Refuse("$", "unmapped_entity",
                   "calendar \"" + calendar + "\" (the " + (source.calendar.empty() ? "message key" : "source's calendar") +
                       ") is not a user id, email or native id of the mapping's users",
                   value);
        return out;
      }
      const CalendarContext context{mapping_, *owner, observed, &state_};
      if (source.format == "google-calendar") out = TranslateGoogleCalendar(value, context);
      if (source.format == "microsoft-graph") out = TranslateMicrosoftGraph(value, context);
      if (source.format == "ics") out = TranslateIcs(value, context);
    }
    return out;
  }

  Status Produce(const std::string& topic, const std::string& key, const std::string& value) {
    while (true) {
      const RdKafka::ErrorCode code =
          producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr, nullptr);
      if (code == RdKafka::ERR_NO_ERROR) return Status::Ok();
      if (code != RdKafka::ERR__QUEUE_FULL) return Status::Error("produce to " + topic + ": " + RdKafka::err2str(code));
      producer_->poll(100);
    }
  }

  Status Abort(Status why) {
    std::unique_ptr<RdKafka::Error> aborted(producer_->abort_transaction(kTransactionTimeoutMs));
    return why;
  }

  const ConnectConfig& config_;
  const Mapping& mapping_;
  storage::KvStore& store_;
  ConnectorState state_;
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Counter>& events_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::set<std::pair<std::string, int32_t>> assigned_;  // source partitions being read
};

}  // namespace

Result<ConnectConfig> LoadConnectConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  const Json root = Json::parse(in, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return Status::Error(path + ": not a JSON object");
  auto fail = [&](const std::string& message) { return Status::Error(path + ": " + message); };
  ConnectConfig config;
  auto text = [&](const Json& section, const char* field, std::string* out) {
    if (!section.contains(field)) return true;
    if (!section[field].is_string()) return false;
    *out = section[field];
    return true;
  };
  if (!text(root, "id", &config.id) || config.id.empty()) return fail("id: expected a name");
  if (!text(root, "listen", &config.listen)) return fail("listen: expected host:port");
  if (!text(root, "state_dir", &config.state_dir) || config.state_dir.empty()) return fail("state_dir: required");
  if (!text(root, "mapping_file", &config.mapping_file)) return fail("mapping_file: expected a path");
  const Json kafka = root.value("kafka", Json::object());
  if (!text(kafka, "brokers", &config.brokers) || config.brokers.empty()) return fail("kafka.brokers: required");
  const Json properties = kafka.value("properties", Json::object());
  for (const auto& [key, value] : properties.items()) {
    if (!value.is_string()) return fail("kafka.properties." + key + ": expected a string");
    config.kafka_properties[key] = value;
  }
  const Json topics = root.value("topics", Json::object());
  for (auto [field, out] : {std::pair{"org", &config.topics.org}, std::pair{"crm", &config.topics.crm},
                            std::pair{"people", &config.topics.people}, std::pair{"dead_letter", &config.topics.dead_letter}}) {
    if (!text(topics, field, out) || out->empty()) return fail(std::string("topics.") + field + ": expected a topic name");
  }
  const Json sources = root.value("sources", Json::array());
  if (!sources.is_array() || sources.empty()) return fail("sources: expected a list of {format, topic}");
  std::set<std::string> seen;
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string at = "sources[" + std::to_string(i) + "]";
    ConnectConfig::Source source;
    if (!sources[i].is_object() || !text(sources[i], "format", &source.format) ||
        std::find(Formats().begin(), Formats().end(), source.format) == Formats().end()) {
      std::string formats;
      for (const auto& f : Formats()) formats += (formats.empty() ? "" : ", ") + f;
      return fail(at + ".format: one of " + formats);
    }
    if (!text(sources[i], "topic", &source.topic) || source.topic.empty()) return fail(at + ".topic: required");
    if (!seen.insert(source.topic).second) return fail(at + ".topic: " + source.topic + " is read by another source");
    if (!text(sources[i], "calendar", &source.calendar)) return fail(at + ".calendar: expected a user id, email or native id");
    if (!source.calendar.empty() && !IsCalendar(source.format)) return fail(at + ".calendar: only for calendar formats");
    config.sources.push_back(std::move(source));
  }
  const Json batch = root.value("batch", Json::object());
  if (batch.contains("max_messages")) {
    if (!batch["max_messages"].is_number_integer() || batch["max_messages"].get<int>() < 1) return fail("batch.max_messages: a positive integer");
    config.batch_max_messages = batch["max_messages"];
  }
  if (batch.contains("max_wait_ms")) {
    if (!batch["max_wait_ms"].is_number_integer() || batch["max_wait_ms"].get<int>() < 1) return fail("batch.max_wait_ms: a positive integer");
    config.batch_max_wait_ms = batch["max_wait_ms"];
  }
  return config;
}

Status RunConnect(const ConnectConfig& config, const std::atomic<bool>& stop) {
  Result<Mapping> mapping = config.mapping_file.empty() ? Result<Mapping>(Mapping::Defaults()) : Mapping::Load(config.mapping_file);
  if (!mapping.ok()) return mapping.status();
  for (const auto& source : config.sources) {
    if (!source.calendar.empty() && !mapping->FindCalendar(source.calendar)) {
      return Status::Error("sources: calendar \"" + source.calendar + "\" is not a user of the mapping");
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  std::filesystem::permissions(config.state_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  auto store = storage::OpenRocksDb(config.state_dir);
  if (!store.ok()) return store.status();
  auto registry = std::make_shared<prometheus::Registry>();
  auto server = metrics::HttpServer::Start(config.listen, {registry});
  if (!server.ok()) return server.status();
  Connector connector(config, *mapping, **store, *registry);
  if (Status s = connector.Start(); !s.ok()) return s;
  (*server)->SetHealth(true, "");
  auto looked = std::chrono::steady_clock::now();
  while (!stop) {
    if (Status s = connector.Step(); !s.ok()) return s;
    if (std::chrono::steady_clock::now() - looked >= std::chrono::seconds(10)) {  // partitions added since
      if (Status s = connector.AssignNewPartitions(); !s.ok()) return s;
      looked = std::chrono::steady_clock::now();
    }
  }
  return Status::Ok();
}

}  // namespace huntline::connectors
