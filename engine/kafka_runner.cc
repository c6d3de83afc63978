#include "engine/kafka_runner.h"

#include "engine/history_topic.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <librdkafka/rdkafkacpp.h>

#include "ingest/kafka_dead_letter.h"
#include "metrics/http_server.h"

namespace huntline::engine {
namespace {

using Clock = std::chrono::steady_clock;


Result<std::unique_ptr<RdKafka::Conf>> BaseConf(const Config& config) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::Error("kafka.properties." + key + ": " + error);
    }
    return Status::Ok();
  };
  if (Status s = set("bootstrap.servers", config.kafka.brokers); !s.ok()) return s;
  for (const auto& [key, value] : config.kafka.properties) {
    if (Status s = set(key, value); !s.ok()) return s;
  }
  return conf;
}

/// Copies a Kafka message's headers (binary-mode CloudEvents carry their attributes there).
void CopyHeaders(RdKafka::Message& message, ingest::Headers* out) {
  out->clear();
  RdKafka::Headers* headers = message.headers();
  if (!headers || headers->size() == 0) return;
  for (const RdKafka::Headers::Header& h : headers->get_all()) {
    out->push_back({h.key(), h.value() ? std::string(static_cast<const char*>(h.value()),
                                                     h.value_size())
                                       : std::string()});
  }
}

/// The processing loop and everything it owns. Single-threaded apart from librdkafka's own
/// threads and the HTTP server's.
class Runner : public RdKafka::RebalanceCb {
 public:
  /// `on_progress` hears what /health should say while the instance is healthy ("" when every
  /// owned partition has caught up).
  Runner(const Config& config, Engine& engine, metrics::EngineMetrics& engine_metrics,
         std::function<void(const std::string&)> on_progress)
      : config_(config),
        engine_(engine),
        engine_metrics_(engine_metrics),
        on_progress_(std::move(on_progress)) {}

  Status Start() {
    if (Status s = StartOrgConsumer(); !s.ok()) return s;
    // A task must know how many partitions its topic has to tell which keys are its own.
    for (const std::string* topic : {&config_.topics.crm, &config_.topics.people}) {
      auto count = WaitForPartitionCount(*topic);
      if (!count.ok()) return count.status();
      partition_counts_[*topic] = *count;
    }
    if (Status s = ReadOrgToEnd(); !s.ok()) return s;
    return StartGroupConsumer();
  }

  Status Loop(const std::atomic<bool>& stop) {
    std::vector<Clock::time_point> received;  // consumed, not yet visible at /metrics
    auto last_publish = Clock::now();
    auto last_lag = Clock::now();
    while (!stop.load()) {
      const auto batch_start = Clock::now();
      const auto deadline = batch_start + std::chrono::milliseconds(config_.batch_max_wait_ms);
      received.clear();
      // Org changes are applied between batches (the org topic is small and slow-moving).
      if (Status s = DrainOrg(); !s.ok()) return s;
      while (static_cast<int>(received.size()) < config_.batch_max_events && !stop.load()) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        const int wait_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
        std::unique_ptr<RdKafka::Message> message(group_->consume(std::max(1, std::min(wait_ms, 100))));
        if (!fatal_.ok()) return fatal_;
        if (message->err() == RdKafka::ERR__TIMED_OUT || message->err() == RdKafka::ERR__PARTITION_EOF) {
          continue;
        }
        if (message->err() != RdKafka::ERR_NO_ERROR) {
          std::cerr << "huntline run: consumer: " << message->errstr() << "\n";
          continue;
        }
        received.push_back(Clock::now());
        Handle(*message);
      }
      if (Clock::now() - last_caught_up_check_ >= kCaughtUpCheck || received.empty()) {
        if (Status s = AdvanceCaughtUpTasks(); !s.ok()) return s;
        last_caught_up_check_ = Clock::now();
      }
      // Merging every series into a new snapshot costs in proportion to the series, not the
      // batch: do it at most every publish interval (and whenever the input is idle).
      const bool publish = received.empty() || Clock::now() - last_publish >=
                                                   std::chrono::milliseconds(config_.publish_interval_ms);
      if (Status s = CommitAll(publish); !s.ok()) return s;
      const auto now = Clock::now();
      received_unpublished_.insert(received_unpublished_.end(), received.begin(), received.end());
      if (publish) {
        for (const auto& t : received_unpublished_) {
          engine_metrics_.processing_latency().Observe(std::chrono::duration<double>(now - t).count());
        }
        received_unpublished_.clear();
        last_publish = now;
      }
      if (now - last_lag > std::chrono::seconds(1)) {
        UpdateLag();
        last_lag = now;
      }
    }
    if (Status s = CommitAll(true); !s.ok()) return s;
    group_->close();
    return Status::Ok();
  }

  /// Rebalance callback: runs inside consume(), on the processing thread.
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      for (RdKafka::TopicPartition* tp : partitions) {
        auto kind = KindOf(tp->topic());
        if (!kind) continue;
        auto stored = engine_.Assign(*kind, tp->partition(), partition_counts_[tp->topic()]);
        if (!stored.ok()) {
          fatal_ = stored.status();
          return;
        }
        if (*stored) {
          tp->set_offset(**stored);
        } else if (config_.kafka.rebuild_from_earliest) {
          tp->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
        }
      }
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e(consumer->incremental_assign(partitions));
        if (e) fatal_ = Status::Error("incremental assign: " + e->str());
      } else {
        consumer->assign(partitions);
      }
    } else {
      for (RdKafka::TopicPartition* tp : partitions) {
        auto kind = KindOf(tp->topic());
        if (!kind) continue;
        if (Status s = engine_.Revoke(*kind, tp->partition()); !s.ok()) fatal_ = s;
      }
      CommitOffsetsToKafka(partitions_committed_);
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e(consumer->incremental_unassign(partitions));
      } else {
        consumer->unassign();
      }
    }
  }

 private:
  std::optional<ingest::TopicKind> KindOf(const std::string& topic) const {
    if (topic == config_.topics.crm) return ingest::TopicKind::kCrm;
    if (topic == config_.topics.people) return ingest::TopicKind::kPeople;
    if (topic == config_.topics.org) return ingest::TopicKind::kOrg;
    return std::nullopt;
  }

  void Handle(RdKafka::Message& message) {
    CopyHeaders(message, &headers_);
    topic_ = message.topic_name();  // returned by value: keep it alive while the view is used
    ingest::RawMessage raw;
    raw.topic = topic_;
    raw.partition = message.partition();
    raw.offset = message.offset();
    if (message.key_pointer()) {
      raw.key = std::string_view(static_cast<const char*>(message.key_pointer()), message.key_len());
    }
    raw.value = std::string_view(static_cast<const char*>(message.payload()), message.len());
    raw.headers = &headers_;
    auto kind = KindOf(topic_);
    if (!kind) return;
    engine_.HandleMessage(*kind, raw);
  }

  Status StartOrgConsumer() {
    auto conf = BaseConf(config_);
    if (!conf.ok()) return conf.status();
    std::string error;
    // The org topic is read in full by every instance: a private group id, never committed.
    (*conf)->set("group.id", config_.kafka.group_id + ".org." + std::to_string(WallClockNow()), error);
    (*conf)->set("enable.auto.commit", "false", error);
    (*conf)->set("enable.partition.eof", "false", error);
    org_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!org_) return Status::Error("org consumer: " + error);
    auto partitions = WaitForPartitionCount(config_.topics.org);
    if (!partitions.ok()) return partitions.status();
    std::vector<RdKafka::TopicPartition*> tps;
    for (int p = 0; p < *partitions; ++p) {
      tps.push_back(RdKafka::TopicPartition::create(config_.topics.org, p,
                                                    RdKafka::Topic::OFFSET_BEGINNING));
      org_partitions_.push_back(p);
    }
    const RdKafka::ErrorCode err = org_->assign(tps);
    RdKafka::TopicPartition::destroy(tps);
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("org assign: " + RdKafka::err2str(err));
    return Status::Ok();
  }

  /// The number of partitions of `topic`, waiting up to a minute for its metadata (topics may
  /// be created just after start-up).
  Result<int> WaitForPartitionCount(const std::string& name) {
    std::string error;
    std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(org_.get(), name, nullptr, error));
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    std::string last_error = "no metadata";
    while (Clock::now() < give_up) {
      RdKafka::Metadata* raw = nullptr;
      const RdKafka::ErrorCode err = org_->metadata(false, topic.get(), &raw, 5000);
      std::unique_ptr<RdKafka::Metadata> md(raw);
      if (err == RdKafka::ERR_NO_ERROR && md && !md->topics()->empty() &&
          md->topics()->at(0)->err() == RdKafka::ERR_NO_ERROR) {
        const int partitions = static_cast<int>(md->topics()->at(0)->partitions()->size());
        if (partitions > 0) return partitions;
      }
      last_error = err != RdKafka::ERR_NO_ERROR ? RdKafka::err2str(err)
                   : md && !md->topics()->empty() ? RdKafka::err2str(md->topics()->at(0)->err())
                                                  : "no metadata";
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return Status::Error("topic " + name + " at " + config_.kafka.brokers + ": " + last_error);
  }

  /// Start-up order (events.md): the org topic to its end before anything else.
  Status ReadOrgToEnd() {
    std::map<int, int64_t> end;
    for (int p : org_partitions_) {
      int64_t low = 0, high = 0;
      const RdKafka::ErrorCode err =
          org_->query_watermark_offsets(config_.topics.org, p, &low, &high, 10000);
      if (err != RdKafka::ERR_NO_ERROR) {
        return Status::Error("org topic end offsets: " + RdKafka::err2str(err));
      }
      if (high > low) end[p] = high;
    }
    while (!end.empty()) {
      std::unique_ptr<RdKafka::Message> message(org_->consume(1000));
      if (message->err() != RdKafka::ERR_NO_ERROR) continue;
      Handle(*message);
      auto it = end.find(message->partition());
      if (it != end.end() && message->offset() + 1 >= it->second) end.erase(it);
    }
    return engine_.Commit();
  }

  Status DrainOrg() {
    for (int i = 0; i < 1000; ++i) {
      std::unique_ptr<RdKafka::Message> message(org_->consume(0));
      if (message->err() == RdKafka::ERR__TIMED_OUT) break;
      if (message->err() != RdKafka::ERR_NO_ERROR) break;
      Handle(*message);
    }
    return Status::Ok();
  }

  Status StartGroupConsumer() {
    auto conf = BaseConf(config_);
    if (!conf.ok()) return conf.status();
    std::string error;
    auto set = [&](const char* key, const std::string& value) {
      if (!config_.kafka.properties.contains(key)) (*conf)->set(key, value, error);
    };
    set("group.id", config_.kafka.group_id);
    set("partition.assignment.strategy", "cooperative-sticky");
    set("auto.offset.reset", "earliest");
    // Offsets move only after the state that includes them is durable in RocksDB.
    (*conf)->set("enable.auto.commit", "false", error);
    (*conf)->set("enable.auto.offset.store", "false", error);
    if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error) !=
        RdKafka::Conf::CONF_OK) {
      return Status::Error("consumer: " + error);
    }
    group_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!group_) return Status::Error("consumer: " + error);
    const RdKafka::ErrorCode err = group_->subscribe({config_.topics.crm, config_.topics.people});
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("subscribe: " + RdKafka::err2str(err));
    return Status::Ok();
  }

  Status CommitAll(bool publish) {
    if (!fatal_.ok()) return fatal_;
    if (Status s = engine_.Commit(publish); !s.ok()) return s;
    engine_metrics_.state_size().Set(static_cast<double>(state_size_()));
    CommitOffsetsToKafka(partitions_committed_);
    return Status::Ok();
  }

  /// Tells the group how far each task got. RocksDB stays the source of truth for where a task
  /// resumes; the group's offsets serve lag monitoring and instances without stored state.
  void CommitOffsetsToKafka(std::map<std::pair<std::string, int32_t>, int64_t>& committed) {
    std::vector<RdKafka::TopicPartition*> tps;
    for (const auto& [key, task] : engine_.tasks()) {
      if (!task->next_offset()) continue;
      auto& last = committed[{task->topic(), task->partition()}];
      if (last == *task->next_offset()) continue;
      last = *task->next_offset();
      tps.push_back(RdKafka::TopicPartition::create(task->topic(), task->partition(), last));
    }
    if (!tps.empty()) group_->commitAsync(tps);
    RdKafka::TopicPartition::destroy(tps);
  }

  static constexpr std::chrono::milliseconds kCaughtUpCheck{250};

  /// Marks each task caught up or not from its partition's end offset asked of the broker now,
  /// then moves engine time to what it was before asking: the wall clock, or with event time the
  /// latest event time read. A task that has read everything written before that moment cannot
  /// receive an older event written before it, so its blocks do not settle ahead of its backlog.
  Status AdvanceCaughtUpTasks() {
    const Timestamp target = config_.event_time ? engine_.latest_event_time() : WallClockNow();
    std::string catching_up;
    for (const auto& [key, task] : engine_.tasks()) {
      int64_t low = 0, high = 0;
      const RdKafka::ErrorCode err =
          group_->query_watermark_offsets(task->topic(), task->partition(), &low, &high, 5000);
      if (err != RdKafka::ERR_NO_ERROR) {
        std::cerr << "huntline run: end offset of " << task->topic() << "/" << task->partition()
                  << ": " << RdKafka::err2str(err) << "\n";
        continue;  // judged again at the next check
      }
      const bool caught_up = task->next_offset() ? *task->next_offset() >= high : low >= high;
      engine_.SetCaughtUp(key.first, key.second, caught_up);
      if (!caught_up) {
        if (!catching_up.empty()) catching_up += ", ";
        catching_up += task->topic() + "/" + std::to_string(task->partition());
      }
    }
    if (target != kNoTime) engine_.AdvanceTime(target);
    const std::string progress = catching_up.empty() ? "" : "catching up: " + catching_up;
    if (progress != progress_) {
      progress_ = progress;
      if (on_progress_) on_progress_(progress_);
    }
    return Status::Ok();
  }

  void UpdateLag() {
    for (const auto& [key, task] : engine_.tasks()) {
      int64_t low = 0, high = 0;
      if (group_->get_watermark_offsets(task->topic(), task->partition(), &low, &high) !=
              RdKafka::ERR_NO_ERROR ||
          high < 0) {
        continue;  // no fetch response yet: the end of the partition is not known
      }
      const int64_t position = task->next_offset().value_or(low);
      engine_metrics_.ConsumerLag(task->topic(), task->partition())
          .Set(static_cast<double>(std::max<int64_t>(0, high - position)));
    }
  }

 public:
  std::function<uint64_t()> state_size_ = [] { return 0; };

 private:
  const Config& config_;
  Engine& engine_;
  metrics::EngineMetrics& engine_metrics_;
  std::unique_ptr<RdKafka::KafkaConsumer> org_;
  std::vector<int> org_partitions_;
  std::map<std::string, int> partition_counts_;
  std::unique_ptr<RdKafka::KafkaConsumer> group_;
  ingest::Headers headers_;
  std::string topic_;
  std::vector<Clock::time_point> received_unpublished_;
  std::map<std::pair<std::string, int32_t>, int64_t> partitions_committed_;
  std::function<void(const std::string&)> on_progress_;
  Clock::time_point last_caught_up_check_{};
  std::string progress_;
  Status fatal_ = Status::Ok();
};

}  // namespace

Status RunOnKafka(const Config& config, const std::atomic<bool>& stop,
                  const std::function<void()>& on_ready) {
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  auto store = storage::OpenRocksDb(config.state_dir);
  if (!store.ok()) return store.status();

  std::map<std::string, std::string> producer_properties = config.kafka.properties;
  producer_properties["bootstrap.servers"] = config.kafka.brokers;
  // Consumer-only settings would make the producer refuse its configuration.
  static const std::set<std::string> kConsumerOnly = {
      "group.id", "auto.offset.reset", "partition.assignment.strategy", "session.timeout.ms",
      "max.poll.interval.ms", "enable.auto.commit", "enable.auto.offset.store",
      "group.instance.id", "heartbeat.interval.ms", "fetch.min.bytes", "fetch.wait.max.ms",
      "isolation.level", "enable.partition.eof"};
  for (auto it = producer_properties.begin(); it != producer_properties.end();) {
    it = kConsumerOnly.contains(it->first) ? producer_properties.erase(it) : std::next(it);
  }
  auto dead_letters =
      ingest::KafkaDeadLetterSink::Create(producer_properties, config.kafka.dead_letter_topic);
  if (!dead_letters.ok()) return dead_letters.status();

  auto history_topic = HistoryTopicWriter::Create(producer_properties, config.topics.history);
  if (!history_topic.ok()) return history_topic.status();

  metrics::Catalog catalog;
  processors::ProcessorRegistry registry(catalog);
  processors::RegisterAllProcessors(registry);
  auto engine_metrics = std::make_shared<metrics::EngineMetrics>(HUNTLINE_VERSION);
  auto published = std::make_shared<metrics::PublishedMetrics>(catalog, metrics::ExpositionOptions{});
  auto http = metrics::HttpServer::Start(
      config.listen,
      {std::shared_ptr<prometheus::Collectable>(engine_metrics, engine_metrics->registry().get()),
       published});
  if (!http.ok()) return http.status();
  (*http)->SetHealth(false, "reading " + config.topics.org);

  Engine::Options options;
  options.settings = config.settings;
  options.topics = config.topics;
  options.live = true;
  options.partitioner = config.kafka.key_partitioner;
  options.event_time = config.event_time;
  options.history_sink = history_topic->get();
  Engine engine(registry, catalog, **store, **dead_letters, *engine_metrics, *published, options);
  if (!config.event_time) engine.AdvanceTime(WallClockNow());

  metrics::HttpServer* server = http->get();
  Runner runner(config, engine, *engine_metrics,
                [server](const std::string& progress) { server->SetHealth(true, progress); });
  runner.state_size_ = [kv = store->get()] { return kv->ApproximateSize(); };
  if (Status s = runner.Start(); !s.ok()) return s;
  (*http)->SetHealth(true, "");
  if (on_ready) on_ready();
  Status result = runner.Loop(stop);
  (*http)->SetHealth(false, result.ok() ? "stopped" : result.message());
  return result;
}

}  // namespace huntline::engine
