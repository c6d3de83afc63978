#include "engine/kafka_runner.h"

#include "engine/history_topic.h"
#include "engine/kafka_changelog.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "ingest/kafka_dead_letter.h"
#include "metrics/http_server.h"
#include "metrics/privacy.h"
#include "storage/write_behind.h"

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
  // librdkafka prefetches up to 100,000 messages (64 MiB) per partition by default: a backlog
  // over many partitions would hold hundreds of MiB read ahead. A user's properties override.
  if (Status s = set("queued.min.messages", "10000"); !s.ok()) return s;
  if (Status s = set("queued.max.messages.kbytes", "16384"); !s.ok()) return s;
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
    out->push_back({h.key(),
                    h.value() ? std::string(static_cast<const char*>(h.value()), h.value_size())
                              : std::string(),
                    h.value() != nullptr});
  }
}

/// A crm message read ahead, decoded, waiting for its turn in event-time order.
struct Pending {
  Timestamp written_at = 0;  // see WrittenAt
  std::unique_ptr<RdKafka::Message> message;
  ingest::Headers headers;
  DecodedMessage decoded;
};

/// A message applied in the current batch: when, and when it was written to Kafka.
struct Applied {
  std::chrono::steady_clock::time_point at;
  Timestamp written_at = 0;
};

/// The processing loop and everything it owns. Single-threaded apart from librdkafka's own
/// threads and the HTTP server's.
///
/// Five consumers: the org topic's, read in full by every instance; the consumer group on the
/// people topic (`group_id`), which gives each instance its people partitions, a task each; the
/// crm reader, which reads every crm partition and hands their messages to the one crm task,
/// merged in event-time order as a replay of them would be; a member of the group
/// `<group_id>.crm` on the crm topic, which never fetches: the instance that owns its partition 0
/// publishes the crm figures (and commits the crm task's offsets there, for lag monitoring); and
/// one that is never assigned anything and asks the brokers what the loop waits for (where
/// partitions end and start, how many a topic has): see StartBrokerQueries.
class Runner : public RdKafka::RebalanceCb {
 public:
  /// `on_progress` hears what /health should say while the instance is healthy ("" when every
  /// task has caught up).
  /// `changelog` is null when state is kept in `store` only (kafka.changelog false).
  Runner(const Config& config, Engine& engine, metrics::EngineMetrics& engine_metrics,
         storage::KvStore& store, KafkaChangelog* changelog,
         std::function<void(const std::string&)> on_progress)
      : config_(config),
        engine_(engine),
        engine_metrics_(engine_metrics),
        store_(store),
        changelog_(changelog),
        on_progress_(std::move(on_progress)) {}

  Status Start() {
    if (Status s = StartBrokerQueries(); !s.ok()) return s;
    if (changelog_) {
      // A changelog offset out of range is an error, never a jump to the end (a copy missing
      // what was skipped).
      auto reader = PrivateConsumer("restore", "changelog reader",
                                    {{"isolation.level", "read_committed"}, {"auto.offset.reset", "error"}});
      if (!reader.ok()) return reader.status();
      restore_reader_ = std::move(reader).value();
      if (config_.kafka.num_standby_replicas > 0) {
        auto standby = PrivateConsumer("standby", "standby reader",
                                       {{"isolation.level", "read_committed"},
                                        {"enable.partition.eof", "true"},
                                        {"auto.offset.reset", "error"}});
        if (!standby.ok()) return standby.status();
        standby_reader_ = std::move(standby).value();
      }
    }
    if (Status s = StartOrgConsumer(); !s.ok()) return s;
    // A task must know how many partitions its topic has to tell which keys are its own.
    for (const std::string* topic : {&config_.topics.crm, &config_.topics.people}) {
      auto count = WaitForPartitionCount(*topic);
      if (!count.ok()) return count.status();
      partition_counts_[*topic] = *count;
    }
    // State built with other partition counts is refused before anything is read or written.
    std::string refused;
    for (const auto& [topic, count] : partition_counts_) {
      if (Status s = engine_.CheckPartitionCount(topic, count); !s.ok()) {
        refused += (refused.empty() ? "" : "; ") + s.message();
      }
    }
    if (!refused.empty()) return Status::Error(refused);
    if (changelog_) {
      if (Status s = changelog_->EnsureTopics(partition_counts_[config_.topics.people]); !s.ok()) return s;
      if (standby_reader_) {
        standbys_ = std::make_unique<StandbyReplicas>(
            *standby_reader_, *queries_, store_, changelog_->TopicOf(ingest::TopicKind::kPeople),
            [this](int32_t p) { return Task::PrefixOf(config_.topics.people, p); });
      }
    }
    if (Status s = ReadOrgToEnd(); !s.ok()) return s;
    if (Status s = StartGroupConsumer(); !s.ok()) return s;
    return StartCrmReader();
  }

  Status Loop(const std::atomic<bool>& stop) {
    std::vector<Applied> received;  // applied this batch
    auto last_publish = Clock::now();
    auto last_lag = Clock::now();
    auto last_partition_check = Clock::now();
    while (!stop.load()) {
      const auto batch_start = Clock::now();
      // A batch closes BatchWaitMs() after it began once the input has nothing ready or what it
      // applies was written just now (live, so that figures stay fresh), and at the latest
      // BacklogBatchWaitMs() after (while a backlog keeps the input ready, so that commits stay
      // few).
      const auto deadline = batch_start + std::chrono::milliseconds(config_.BatchWaitMs());
      const auto last_call = batch_start + std::chrono::milliseconds(config_.BacklogBatchWaitMs());
      received.clear();
      bool fresh = false;  // the batch closed for freshness (else: full, or at last_call)
      bool drained = false;  // it closed with nothing ready: the thread has nothing else to do
      // Org snapshots are applied as soon as they are old enough (see Aged).
      ReadOrg();
      while (static_cast<int>(received.size()) < config_.batch_max_events && !stop.load()) {
        const auto now = Clock::now();
        if (now >= last_call) break;
        const int room = config_.batch_max_events - static_cast<int>(received.size());
        PollCrmElection();
        ReadOrg();
        int handled = PollPeople(room, 0, received);
        handled += PollCrm(room, 0, received);
        if (!fatal_.ok()) return fatal_;
        if (now >= deadline && (handled == 0 || Live(received.back()))) {
          fresh = true;
          drained = handled == 0;
          break;
        }
        if (handled > 0) continue;
        // Nothing ready: wait a little for the crm partition that holds the merge back, else
        // for the people topic.
        const int wait_ms = static_cast<int>(std::clamp<int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() / 2, 1, 20));
        if (PollCrm(room, wait_ms, received) == 0) PollPeople(room, wait_ms, received);
        if (!fatal_.ok()) return fatal_;
      }
      // A batch of live input closed full or at last_call is fresh too.
      if (!fresh && !received.empty() && Live(received.back())) fresh = true;
      const auto since_check = Clock::now() - last_caught_up_check_;
      if (since_check >= kCaughtUpCheck || (received.empty() && since_check >= kIdleCaughtUpCheck)) {
        if (Status s = AdvanceCaughtUpTasks(); !s.ok()) return s;
        last_caught_up_check_ = Clock::now();
      }
      // Rebuilding the snapshot costs in proportion to what changed, not to the batch: do it at
      // most every publish interval (kBacklogPublish while a backlog keeps the input ready); with
      // nothing applied (figures that move with time only), at most every kIdlePublish. A fixed
      // publish_interval_ms keeps its own rule: whenever the input is idle, else at that interval.
      const auto since_publish = Clock::now() - last_publish;
      const bool applied = !received.empty() || !received_unpublished_.empty();
      bool publish;
      if (config_.publish_interval_ms >= 0) {
        publish = received.empty() || since_publish >= PublishInterval(false);
      } else if (applied) {
        // Idle (nothing applied this batch): the processing thread has nothing else to do, so the
        // rebuild's own cost does not hold it back. Nothing more ready when the batch closed: the
        // thread is idle too, but input keeps coming, so rebuilds take at most half of it.
        publish = received.empty() || (drained && since_publish >= DrainedPublishInterval()) ||
                  since_publish >= PublishInterval(!fresh);
      } else {
        publish = since_publish >= std::max<std::chrono::nanoseconds>(PublishInterval(false), kIdlePublish);
      }
      if (Status s = CommitAll(publish); !s.ok()) return s;
      const auto committed = Clock::now();  // visible from now on, if published
      const Timestamp committed_wall = WallClockNow();
      if (standbys_) {
        const uint64_t before = standbys_->records();
        if (Status s = standbys_->Poll(kStandbyPollBudget); !s.ok()) return s;
        engine_metrics_.standby_records().Increment(static_cast<double>(standbys_->records() - before));
      }
      const auto now = Clock::now();
      received_unpublished_.insert(received_unpublished_.end(), received.begin(), received.end());
      if (publish) {
        for (const Applied& a : received_unpublished_) {
          engine_metrics_.processing_latency().Observe(std::chrono::duration<double>(committed - a.at).count());
          engine_metrics_.end_to_end_latency().Observe(static_cast<double>(committed_wall - a.written_at) / 1000.0);
        }
        received_unpublished_.clear();
        last_publish = committed;
      }
      if (now - last_lag > std::chrono::seconds(1)) {
        UpdateLag();
        last_lag = now;
      }
      if (now - last_partition_check > kPartitionCheck) {
        if (Status s = CheckPartitionCounts(); !s.ok()) return s;
        // The group's other members settle their assignments after this one: the copies are
        // placed again once the group is stable.
        if (Status s = FollowStandbys(); !s.ok()) return s;
        last_partition_check = now;
      }
    }
    if (Status s = CommitAll(true); !s.ok()) return s;
    closing_ = true;
    group_->close();
    crm_election_->close();
    crm_->close();
    return Status::Ok();
  }

  /// Leaves the groups without committing anything more: the tasks hold changes that were not
  /// stored, and are dropped with the engine (RunOnKafka starts again).
  void Abandon() {
    abandoning_ = closing_ = true;
    for (const auto& [key, task] : engine_.tasks()) {
      if (key.first == ingest::TopicKind::kPeople) engine_metrics_.ForgetPartition(task->topic(), task->partition());
    }
    group_->close();
    crm_election_->close();
    crm_->close();
  }

  /// Rebalance callback of both groups: runs inside consume(), on the processing thread.
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (abandoning_) {
      if (err != RdKafka::ERR__ASSIGN_PARTITIONS) Release(consumer, partitions, cooperative);
      return;
    }
    if (consumer == crm_election_.get()) {
      if (err != RdKafka::ERR__ASSIGN_PARTITIONS) CommitOffsetsToKafka(partitions_committed_);
      for (RdKafka::TopicPartition* tp : partitions) {
        if (tp->partition() == 0) SetCrmLeader(err == RdKafka::ERR__ASSIGN_PARTITIONS);
      }
      if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
        if (Status s = Take(consumer, partitions, cooperative); !s.ok()) fatal_ = s;
        consumer->pause(partitions);  // membership only: the crm reader reads crm
      } else {
        Release(consumer, partitions, cooperative);
      }
      return;
    }
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (changelog_) AwaitPendingTransactions(*consumer, partitions);
      if (standbys_) {
        // A copy stops before its task is made from the store: the restore goes on from it.
        for (const RdKafka::TopicPartition* tp : partitions) {
          if (tp->topic() == config_.topics.people) standbys_->Release(tp->partition());
        }
      }
      for (RdKafka::TopicPartition* tp : partitions) {
        if (tp->topic() != config_.topics.people) continue;
        // A partition beyond the count at start-up: the topic has gained partitions.
        if (tp->partition() >= partition_counts_[tp->topic()]) {
          fatal_ = CheckPartitionCounts();
          if (fatal_.ok()) {
            fatal_ = Status::Error(tp->topic() + "/" + std::to_string(tp->partition()) +
                                   " assigned, but the topic had " +
                                   std::to_string(partition_counts_[tp->topic()]) + " partitions");
          }
          return;
        }
        if (changelog_ && !engine_.tasks().contains({ingest::TopicKind::kPeople, tp->partition()})) {
          if (Status s = RestoreTask(ingest::TopicKind::kPeople, tp->partition()); !s.ok()) {
            fatal_ = s;
            return;
          }
        }
        // Judged caught up only against an end asked after the task exists: an end asked while
        // this instance owned the partition before would be far below where an adopted state,
        // or a state rebuilt elsewhere meanwhile, resumes, and the task would follow engine time
        // ahead of its backlog.
        ForgetEnds(tp->topic(), tp->partition());
        auto stored = engine_.Assign(ingest::TopicKind::kPeople, tp->partition(),
                                     partition_counts_[tp->topic()]);
        if (!stored.ok()) {
          fatal_ = stored.status();
          return;
        }
        if (auto it = stored->find(tp->partition()); it != stored->end()) {
          tp->set_offset(it->second);
        } else if (config_.kafka.rebuild_from_earliest) {
          tp->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
        } else {
          std::vector<RdKafka::TopicPartition*> one = {tp};
          consumer->committed(one, 10000);  // none: OFFSET_INVALID, auto.offset.reset applies
        }
        if (tp->offset() >= 0) {
          Task& task = *engine_.tasks().at({ingest::TopicKind::kPeople, tp->partition()});
          ResumeAt(*tp, task,
                   stored->contains(tp->partition()) ? "stored with the state"
                                                     : "committed to the group");
        }
        std::cerr << "huntline run: " << tp->topic() << "/" << tp->partition() << " assigned, "
                  << (stored->contains(tp->partition())
                          ? "resuming at offset " + std::to_string(tp->offset()) + " from the state"
                          : std::string("rebuilding from the input"))
                  << "\n";
      }
      if (Status s = Take(consumer, partitions, cooperative); !s.ok()) fatal_ = s;
      if (people_paused_) consumer->pause(partitions);  // the read-ahead is full (BoundPeopleReadAhead)
      if (Status s = FollowStandbys(); !s.ok()) fatal_ = s;
    } else {
      // Revoked: the tasks' last changes and offsets are committed while the tasks still exist.
      // Lost (this instance's session expired): another may own them already, and a commit
      // would be refused; the tasks are dropped with what they did since the last commit, as a
      // crash would drop it, and are restored from the changelog when assigned again.
      const bool lost = consumer->assignment_lost();
      if (!lost) {
        if (Status s = engine_.Commit(); !s.ok()) {
          fatal_ = s;
        } else {
          CommitOffsetsToKafka(partitions_committed_);
        }
      }
      for (RdKafka::TopicPartition* tp : partitions) {
        if (tp->topic() != config_.topics.people) continue;
        if (lost) {
          engine_.Drop(ingest::TopicKind::kPeople, tp->partition());
        } else if (Status s = engine_.Revoke(ingest::TopicKind::kPeople, tp->partition()); !s.ok()) {
          fatal_ = s;
        }
        std::cerr << "huntline run: " << tp->topic() << "/" << tp->partition()
                  << (lost ? " lost (this instance's session expired): its changes since the last commit dropped\n"
                           : " revoked\n");
        DropQueued(tp->partition());
        ForgetEnds(tp->topic(), tp->partition());
        engine_metrics_.ForgetPartition(tp->topic(), tp->partition());
      }
      Release(consumer, partitions, cooperative);
      if (Status s = FollowStandbys(); !s.ok()) fatal_ = s;
    }
  }

 private:
  static constexpr std::chrono::milliseconds kCaughtUpCheck{250};
  static constexpr std::chrono::milliseconds kIdlePublish{200};
  /// A message applied within this long (plus order_wait_ms) of being written is live input.
  static constexpr int64_t kLiveWithinMs = 1000;
  bool Live(const Applied& applied) const {
    return WallClockNow() - applied.written_at <= config_.order_wait_ms + kLiveWithinMs;
  }
  static constexpr std::chrono::milliseconds kBacklogPublish{500};
  /// With the input idle, whether tasks have caught up is asked at most this often.
  static constexpr std::chrono::milliseconds kIdleCaughtUpCheck{50};

  /// How long at least between two rebuilds of the published snapshot: publish_interval_ms when
  /// set; else a quarter of freshness_ms (kBacklogPublish while reading a backlog), and at least
  /// nine times the last rebuild took.
  std::chrono::nanoseconds PublishInterval(bool backlog) const {
    if (config_.publish_interval_ms >= 0) return std::chrono::milliseconds(config_.publish_interval_ms);
    const std::chrono::milliseconds wanted =
        backlog ? std::max(kBacklogPublish, std::chrono::milliseconds(config_.freshness_ms / 4))
                : std::chrono::milliseconds(config_.freshness_ms / 4);
    return std::max<std::chrono::nanoseconds>(wanted, 9 * engine_.last_publish_cost());
  }
  /// Between rebuilds after a batch that closed with nothing more ready: the last one's cost.
  std::chrono::nanoseconds DrainedPublishInterval() const {
    return std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(config_.freshness_ms / 4),
                                              engine_.last_publish_cost());
  }
  /// Time given to the standby copies after each batch.
  static constexpr std::chrono::milliseconds kStandbyPollBudget{20};
  /// How often the input topics' partition counts are checked while running.
  static constexpr std::chrono::seconds kPartitionCheck{5};
  /// A crm partition that is behind its end yet delivers nothing for this long stops holding the
  /// others back (its leader unreachable): a stall guard, said in the log.
  static constexpr std::chrono::seconds kCrmIdleAfter{30};
  /// How often, at most, the end offsets are asked again for a message waiting on them.
  static constexpr std::chrono::milliseconds kEndsQueryEvery{10};
  /// Messages read ahead and decoded per crm partition (librdkafka prefetches more).
  static constexpr size_t kCrmReadAhead = 256;

  static Status Take(RdKafka::KafkaConsumer* consumer,
                     std::vector<RdKafka::TopicPartition*>& partitions, bool cooperative) {
    if (!cooperative) {
      consumer->assign(partitions);
      return Status::Ok();
    }
    std::unique_ptr<RdKafka::Error> e(consumer->incremental_assign(partitions));
    return e ? Status::Error("incremental assign: " + e->str()) : Status::Ok();
  }
  static void Release(RdKafka::KafkaConsumer* consumer,
                      std::vector<RdKafka::TopicPartition*>& partitions, bool cooperative) {
    if (cooperative) {
      std::unique_ptr<RdKafka::Error> e(consumer->incremental_unassign(partitions));
    } else {
      consumer->unassign();
    }
  }

  std::optional<ingest::TopicKind> KindOf(const std::string& topic) const {
    if (topic == config_.topics.crm) return ingest::TopicKind::kCrm;
    if (topic == config_.topics.people) return ingest::TopicKind::kPeople;
    if (topic == config_.topics.org) return ingest::TopicKind::kOrg;
    return std::nullopt;
  }

  /// A Kafka message as the engine sees it; its views point into `message` and `headers`.
  ingest::RawMessage Raw(RdKafka::Message& message, const std::string& topic,
                         const ingest::Headers& headers) {
    ingest::RawMessage raw;
    raw.topic = topic;
    raw.partition = message.partition();
    raw.offset = message.offset();
    if (message.key_pointer()) {
      raw.key = std::string_view(static_cast<const char*>(message.key_pointer()), message.key_len());
    }
    raw.value = std::string_view(static_cast<const char*>(message.payload()), message.len());
    raw.tombstone = message.payload() == nullptr;
    raw.headers = &headers;
    return raw;
  }

  void Handle(RdKafka::Message& message) {
    CopyHeaders(message, &headers_);
    topic_ = message.topic_name();  // returned by value: keep it alive while the view is used
    auto kind = KindOf(topic_);
    if (!kind) return;
    engine_.HandleMessage(*kind, Raw(message, topic_, headers_));
  }

  /// Serves the crm election group's rebalances and heartbeats (it never delivers messages).
  void PollCrmElection() {
    std::unique_ptr<RdKafka::Message> message(crm_election_->consume(0));
  }

  /// Reads the people messages the group consumer has (waiting up to `wait_ms` for the first),
  /// then handles up to `room` of them in the order read, each once it is old enough and every
  /// org snapshot written before it is applied (see Aged, OrgReadFor). Also serves the group's
  /// rebalances and heartbeats.
  int PollPeople(int room, int wait_ms, std::vector<Applied>& received) {
    BoundPeopleReadAhead();
    for (int n = 0; n < 10000 && people_queue_.size() < static_cast<size_t>(config_.read_ahead_messages);
         ++n) {
      std::unique_ptr<RdKafka::Message> message(group_->consume(n == 0 ? wait_ms : 0));
      if (!fatal_.ok() || message->err() == RdKafka::ERR__TIMED_OUT) break;
      if (message->err() == RdKafka::ERR__PARTITION_EOF) continue;
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        std::cerr << "huntline run: consumer: " << message->errstr() << "\n";
        break;
      }
      people_queue_.push_back(ReadAhead(std::move(message), config_.topics.people));
    }
    int handled = 0;
    while (handled < room && !people_queue_.empty() && fatal_.ok()) {
      Pending& head = people_queue_.front();
      if (!Aged(head.written_at) || !OrgReadFor(head.written_at)) break;
      received.push_back({Clock::now(), head.written_at});
      engine_.HandleDecoded(ingest::TopicKind::kPeople,
                            Raw(*head.message, config_.topics.people, head.headers), head.decoded);
      people_queue_.pop_front();
      ++handled;
    }
    size_t read_ahead = people_queue_.size();
    for (const auto& queue : crm_queues_) read_ahead += queue.size();
    engine_metrics_.read_ahead().Set(static_cast<double>(read_ahead));
    return handled;
  }

  /// Keeps the people messages read ahead within limits.read_ahead_messages while their head waits (for
  /// its age, the org topic or a crm partition): the group's partitions are paused when the
  /// queue is full and resumed once it is half empty. librdkafka drops what it fetched for a
  /// paused partition and fetches again from the next message not delivered, so nothing is lost
  /// or read twice; the consumer is still polled, so the group keeps its members.
  void BoundPeopleReadAhead() {
    const size_t limit = static_cast<size_t>(config_.read_ahead_messages);
    const bool full = people_queue_.size() >= limit;
    const bool drained = people_queue_.size() <= limit / 2;
    if (full == people_paused_ || (!full && !drained)) return;
    std::vector<RdKafka::TopicPartition*> assigned;
    group_->assignment(assigned);
    if (full) {
      group_->pause(assigned);
    } else {
      group_->resume(assigned);
    }
    RdKafka::TopicPartition::destroy(assigned);
    people_paused_ = full;
  }

  /// A message read ahead of its turn: when it was written, its headers, decoded.
  Pending ReadAhead(std::unique_ptr<RdKafka::Message> message, const std::string& topic) {
    Pending pending;
    pending.written_at = WrittenAt(*message);
    CopyHeaders(*message, &pending.headers);
    engine_.Decode(Raw(*message, topic, pending.headers), &pending.decoded);
    pending.message = std::move(message);
    return pending;
  }

  /// Forgets what the brokers said of a partition's end, now and at the previous check.
  void ForgetEnds(const std::string& topic, int32_t partition) {
    ends_.erase({topic, partition});
    if (previous_check_) previous_check_->ends.erase({topic, partition});
  }

  /// Forgets the messages read ahead from a revoked partition: its next owner reads them again
  /// from the offsets committed with its state.
  void DropQueued(int32_t partition) {
    std::erase_if(people_queue_,
                  [&](const Pending& p) { return p.message->partition() == partition; });
  }

  /// When a message was written: its Kafka timestamp, but never later than now, when it is read
  /// (a producer whose clock runs ahead would hold everything back; one without timestamps gets
  /// the time it is read).
  static Timestamp WrittenAt(RdKafka::Message& message) {
    const RdKafka::MessageTimestamp ts = message.timestamp();
    const Timestamp now = WallClockNow();
    return ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? now
                                                                             : std::min(now, ts.timestamp);
  }

  /// Messages produced as things happen reach the partitions (and the org topic) a little
  /// apart: a message is applied only once it was written order_wait_ms ago, the time a write
  /// is given to land in its partition. A backlog never waits.
  bool Aged(Timestamp written_at) const {
    return WallClockNow() - written_at >= config_.order_wait_ms;
  }

  /// Whether every message written to an input partition up to `written_at` lies below the ends
  /// last asked of the brokers (they were asked order_wait_ms or more after it); if not, asks
  /// again, at most every kEndsQueryEvery.
  bool EndsCover(Timestamp written_at) {
    if (written_at <= covered_) return true;
    if (!Aged(written_at) || Clock::now() - last_ends_query_ < kEndsQueryEvery) return false;
    QueryEnds();
    return written_at <= covered_;
  }

  /// Asks the brokers where each input partition this instance reads ends now (the last stable
  /// offset), in one request per broker. Every message written order_wait_ms or more before the
  /// moment of asking lies below these ends: `covered_`.
  void QueryEnds() {
    last_ends_query_ = Clock::now();
    std::vector<RdKafka::TopicPartition*> tps;
    for (int p : org_partitions_) {
      tps.push_back(RdKafka::TopicPartition::create(config_.topics.org, p, RdKafka::Topic::OFFSET_END));
    }
    for (size_t p = 0; p < crm_queues_.size(); ++p) {
      tps.push_back(RdKafka::TopicPartition::create(config_.topics.crm, static_cast<int32_t>(p),
                                                    RdKafka::Topic::OFFSET_END));
    }
    for (const auto& [key, task] : engine_.tasks()) {
      if (key.first != ingest::TopicKind::kPeople) continue;
      tps.push_back(RdKafka::TopicPartition::create(config_.topics.people, task->partition(),
                                                    RdKafka::Topic::OFFSET_END));
    }
    const Timestamp asked = WallClockNow();
    const auto now = Clock::now();
    const RdKafka::ErrorCode err = queries_->offsetsForTimes(tps, 5000);
    // The merge needs the org topic and every crm partition; a crm partition whose end cannot be
    // had for kCrmIdleAfter (its leader unreachable) stops holding the others back, as one that
    // delivers nothing does. People partitions only judge their own task.
    bool covered = err == RdKafka::ERR_NO_ERROR;
    bool failed = false;
    for (RdKafka::TopicPartition* tp : tps) {
      const std::pair<std::string, int32_t> key{tp->topic(), tp->partition()};
      if (err == RdKafka::ERR_NO_ERROR && tp->err() == RdKafka::ERR_NO_ERROR && tp->offset() >= 0) {
        ends_[key] = tp->offset();
        ends_failing_since_.erase(key);
        continue;
      }
      failed = true;
      if (!ends_error_logged_) {
        std::cerr << "huntline run: end offset of " << tp->topic() << "/" << tp->partition() << ": "
                  << RdKafka::err2str(err != RdKafka::ERR_NO_ERROR ? err : tp->err()) << "\n";
      }
      const auto since = ends_failing_since_.try_emplace(key, now).first->second;
      if (tp->topic() == config_.topics.org ||
          (tp->topic() == config_.topics.crm && now - since < kCrmIdleAfter)) {
        covered = false;
      }
    }
    RdKafka::TopicPartition::destroy(tps);
    ends_error_logged_ = failed;
    if (covered) covered_ = std::max(covered_, asked - config_.order_wait_ms);
  }

  /// The end of a partition as last asked, or -1.
  int64_t End(const std::string& topic, int32_t partition) const {
    auto it = ends_.find({topic, partition});
    return it == ends_.end() ? -1 : it->second;
  }

  /// The next offset `consumer` hands the application in a partition; it passes a transaction's
  /// commit marker, which no message does. -1 before the first.
  static int64_t PositionOf(RdKafka::KafkaConsumer& consumer, const std::string& topic, int32_t p) {
    std::vector<RdKafka::TopicPartition*> tps = {RdKafka::TopicPartition::create(topic, p)};
    int64_t position = -1;
    if (consumer.position(tps) == RdKafka::ERR_NO_ERROR) position = tps[0]->offset();
    RdKafka::TopicPartition::destroy(tps);
    return position;
  }

  /// Before a message written at `written_at` is applied, every org snapshot written before it
  /// is: the org topic read to the ends asked after it, and the snapshots old enough applied.
  bool OrgReadFor(Timestamp written_at) {
    if (written_at <= org_covered_) return true;
    if (!EndsCover(written_at)) return false;
    const Timestamp horizon = covered_;
    ReadOrg();
    for (int p : org_partitions_) {
      const int64_t end = End(config_.topics.org, p);
      if (end < 0) return false;
      if (OrgReadTo(p) < end) {
        ReadOrg(std::max(1, config_.order_wait_ms / 20));
        if (OrgReadTo(p) < end) return false;
      }
    }
    ApplyAgedOrg();
    org_covered_ = horizon;
    return written_at <= org_covered_;
  }

  int64_t OrgReadTo(int32_t p) {
    const int64_t position = PositionOf(*org_, config_.topics.org, p);
    return position >= 0 ? position : LowOf(*org_, config_.topics.org, p);
  }

  /// Takes the org snapshots fetched so far (waiting up to `wait_ms` for one) and applies those
  /// old enough, in the topic's order (the org tables keep them with their times).
  void ReadOrg(int wait_ms = 0) {
    for (int n = 0;; ++n) {
      std::unique_ptr<RdKafka::Message> message(org_->consume(n == 0 ? wait_ms : 0));
      if (message->err() != RdKafka::ERR_NO_ERROR) break;
      Pending pending;
      pending.written_at = WrittenAt(*message);
      pending.message = std::move(message);
      org_queue_.push_back(std::move(pending));
    }
    ApplyAgedOrg();
  }
  /// Applies every org snapshot read that is old enough, in the order read (one written later
  /// and still young, ahead of it in the queue, does not hold it back).
  void ApplyAgedOrg() {
    std::deque<Pending> young;
    for (Pending& pending : org_queue_) {
      if (Aged(pending.written_at)) {
        const uint64_t late_before = engine_.late_org_changes();
        Handle(*pending.message);
        if (engine_.late_org_changes() != late_before) ReportLateOrg(pending);
      } else {
        young.push_back(std::move(pending));
      }
    }
    org_queue_.swap(young);
  }

  /// Whether the `n`th of a kind of message goes to the log: the first ten, then every 1,000th.
  static bool SaidInLog(uint64_t n) { return n <= 10 || n % 1000 == 0; }

  /// Says in the log why an org snapshot came after later events were counted, for the first
  /// few and then every 1,000th: when its timestamp was already covered by ends asked
  /// order_wait_ms or more after it, the write landed later than the time a write is given.
  void ReportLateOrg(const Pending& pending) {
    if (!SaidInLog(++late_org_reported_)) return;
    const RdKafka::Message& m = *pending.message;
    std::cerr << "huntline run: org snapshot " << m.topic_name() << "/" << m.partition() << "@"
              << m.offset() << " (late org change " << late_org_reported_
              << ") came after later events were counted: it applies from then on; ";
    if (pending.written_at <= org_covered_) {
      std::cerr << "it was written " << WallClockNow() - pending.written_at
                << " ms ago but was not yet in its partition when the brokers were asked "
                << config_.order_wait_ms << " ms (order_wait_ms) after it\n";
    } else {
      std::cerr << "it was written after them\n";
    }
  }

  /// Tops up each crm partition's few messages read ahead from its own librdkafka queue (which
  /// prefetches per partition), then hands the crm task up to `room` messages in event-time
  /// order: always the earliest head among the partitions (ties: written first, then the lower
  /// partition), once it is old enough, every partition with nothing read ahead was found at
  /// its end as asked after it was written (else that one is waited for, up to `wait_ms`), and
  /// the org snapshots written before it are applied.
  int PollCrm(int room, int wait_ms, std::vector<Applied>& received) {
    std::unique_ptr<RdKafka::Message> event(crm_->consume(0));  // errors and events, no messages
    if (event->err() != RdKafka::ERR__TIMED_OUT && event->err() != RdKafka::ERR_NO_ERROR) {
      std::cerr << "huntline run: crm reader: " << event->errstr() << "\n";
    }
    for (size_t p = 0; p < crm_queues_.size(); ++p) TopUpCrm(p, 0);
    int handled = 0;
    size_t waiting_for = crm_queues_.size();
    while (handled < room) {
      size_t best = crm_queues_.size();
      for (size_t p = 0; p < crm_queues_.size(); ++p) {
        if (crm_queues_[p].empty()) TopUpCrm(p, 0);  // what librdkafka has fetched meanwhile
        if (crm_queues_[p].empty()) continue;
        if (best == crm_queues_.size() || Earlier(crm_queues_[p].front(), crm_queues_[best].front())) {
          best = p;
        }
      }
      if (best == crm_queues_.size()) break;
      const Timestamp written_at = crm_queues_[best].front().written_at;
      if (!Aged(written_at) || !EndsCover(written_at)) break;
      waiting_for = CrmHoldingBack(written_at);
      if (waiting_for < crm_queues_.size()) break;
      if (!OrgReadFor(written_at)) break;
      Pending pending = std::move(crm_queues_[best].front());
      crm_queues_[best].pop_front();
      if (crm_queues_[best].empty()) crm_last_seen_[best] = Clock::now();  // its next fetch is awaited from now
      received.push_back({Clock::now(), written_at});
      const metrics::EventResult result = engine_.HandleDecoded(
          ingest::TopicKind::kCrm, Raw(*pending.message, config_.topics.crm, pending.headers), pending.decoded);
      NoteCrmOrder(pending, best, result);
      ++handled;
    }
    // Wait a little on the partition that holds the merge back.
    if (handled == 0 && wait_ms > 0 && waiting_for < crm_queues_.size()) TopUpCrm(waiting_for, wait_ms);
    return handled;
  }

  /// Counts a crm message that landed too late for the merge: applied after a message of another
  /// partition with a later event time that was written after it (so it was not yet in its
  /// partition when that one was applied). One written after it is the producer's order, not a
  /// late landing; a refused or repeated message changes nothing and is not counted. Says in the
  /// log which, for the first few and then every 1,000th.
  void NoteCrmOrder(const Pending& pending, size_t partition, metrics::EventResult result) {
    if (!pending.decoded.ok || result == metrics::EventResult::kRejected ||
        result == metrics::EventResult::kDuplicate) {
      return;
    }
    const Timestamp time = pending.decoded.event.time;
    if (crm_applied_.size() < crm_queues_.size()) crm_applied_.resize(crm_queues_.size());
    // The latest event time applied from another partition, of a message written after this one.
    const CrmApplied* passed = nullptr;
    for (size_t p = 0; p < crm_applied_.size(); ++p) {
      const CrmApplied& other = crm_applied_[p];
      if (p == partition || other.time <= time || other.written_at < pending.written_at) continue;
      if (!passed || other.time > passed->time) passed = &other;
    }
    CrmApplied& own = crm_applied_[partition];
    if (time >= own.time) own = {time, pending.written_at};
    if (!passed) return;
    engine_metrics_.crm_out_of_order().Increment();
    if (!SaidInLog(++crm_out_of_order_)) return;
    const RdKafka::Message& m = *pending.message;
    std::cerr << "huntline run: " << m.topic_name() << "/" << m.partition() << "@" << m.offset()
              << " (out of order " << crm_out_of_order_ << ") applied " << passed->time - time
              << " ms of event time after another crm partition had gone past it with a message written "
              << passed->written_at - pending.written_at << " ms after it: it landed past order_wait_ms\n";
  }

  /// The merge order of two crm heads: event time (a refusal first: it changes nothing), then
  /// the one written first.
  static bool Earlier(const Pending& a, const Pending& b) {
    const Timestamp ta = a.decoded.ok ? a.decoded.event.time : kNoTime;
    const Timestamp tb = b.decoded.ok ? b.decoded.event.time : kNoTime;
    if (ta != tb) return ta < tb;
    return a.written_at < b.written_at;
  }

  /// A crm partition with nothing read ahead that may still hold a message written up to
  /// `written_at` (it was not found at its end as asked after that), or crm_queues_.size().
  /// One that delivers nothing for kCrmIdleAfter while behind its end (its leader unreachable)
  /// stops holding the others back: a stall guard, said in the log.
  size_t CrmHoldingBack(Timestamp written_at) {
    const auto now = Clock::now();
    for (size_t p = 0; p < crm_queues_.size(); ++p) {
      if (!crm_queues_[p].empty() || written_at <= crm_clear_[p]) continue;
      const int32_t partition = static_cast<int32_t>(p);
      if (ReadTo(*crm_, config_.topics.crm, partition, *crm_task_) >= End(config_.topics.crm, partition)) {
        crm_clear_[p] = covered_;
        crm_last_seen_[p] = now;  // at its end: not stalled
        continue;
      }
      if (now - crm_last_seen_[p] < kCrmIdleAfter) return p;
      if (!crm_stalled_[p]) {
        crm_stalled_[p] = true;
        std::cerr << "huntline run: " << config_.topics.crm << "/" << p << " has delivered nothing for "
                  << kCrmIdleAfter.count() << " s while behind its end: no longer waiting for it\n";
      }
    }
    return crm_queues_.size();
  }

  /// Reads up to kCrmReadAhead messages of crm partition `p` ahead, decoded (waiting up to
  /// `wait_ms` for the first when there is none).
  void TopUpCrm(size_t p, int wait_ms) {
    auto& queue = crm_queues_[p];
    for (int n = 0; queue.size() < kCrmReadAhead; ++n) {
      std::unique_ptr<RdKafka::Message> message(
          crm_partition_queues_[p]->consume(n == 0 && queue.empty() ? wait_ms : 0));
      if (message->err() == RdKafka::ERR__TIMED_OUT) break;
      if (message->err() == RdKafka::ERR__PARTITION_EOF) continue;
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        std::cerr << "huntline run: crm reader: " << message->errstr() << "\n";
        break;
      }
      queue.push_back(ReadAhead(std::move(message), config_.topics.crm));
      crm_last_seen_[p] = Clock::now();
      crm_stalled_[p] = false;
    }
  }

  int64_t CrmStart(int32_t p) const { return crm_start_[static_cast<size_t>(p)]; }

  /// Reading `tp` is to resume at its offset (`from`: stored with the state, or committed to the
  /// group). When the partition now starts later, retention deleted records there before they
  /// were read: said in the log as an error and counted (huntline_input_records_lost_total), and
  /// reading resumes at the partition's first offset, stored as the task's next offset so that
  /// the loss is reported once (not left to auto.offset.reset).
  void ResumeAt(RdKafka::TopicPartition& tp, Task& task, const char* from) {
    const std::string where = tp.topic() + "/" + std::to_string(tp.partition());
    int64_t low = 0, high = 0;
    const RdKafka::ErrorCode err =
        queries_->query_watermark_offsets(tp.topic(), tp.partition(), &low, &high, 10000);
    if (err != RdKafka::ERR_NO_ERROR) {
      std::cerr << "huntline run: " << where << ": log start offset unknown ("
                << RdKafka::err2str(err) << "): records deleted below the offset " << tp.offset()
                << " " << from << " are not checked\n";
      return;
    }
    if (tp.offset() >= low) return;
    const int64_t lost = low - tp.offset();
    std::cerr << "huntline run: error: " << where << ": the offset " << tp.offset() << " " << from
              << " is below the log start offset " << low << ": " << lost
              << " records were deleted (retention) before they were read; reading on from "
              << low << "\n";
    engine_metrics_.RecordsLost(tp.topic(), tp.partition()).Increment(static_cast<double>(lost));
    tp.set_offset(low);
    task.set_next_offset(tp.partition(), low);
  }

  /// A previous owner of these input partitions may have a transaction still open that
  /// carries their offsets: asking the group for its committed offsets of them (as a reader of
  /// committed messages only, librdkafka asks for stable ones) waits until it is committed or
  /// aborted, so that the changelog read next is the whole of what it wrote.
  void AwaitPendingTransactions(RdKafka::KafkaConsumer& group,
                                const std::vector<RdKafka::TopicPartition*>& partitions) {
    std::vector<RdKafka::TopicPartition*> copies;
    for (const RdKafka::TopicPartition* tp : partitions) {
      copies.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition()));
    }
    const RdKafka::ErrorCode err = group.committed(copies, 60000);
    if (err != RdKafka::ERR_NO_ERROR) {
      std::cerr << "huntline run: committed offsets: " << RdKafka::err2str(err) << "\n";
    }
    RdKafka::TopicPartition::destroy(copies);
  }

  /// The crm task at start-up. Every instance reads the whole crm input and keeps its own crm
  /// task (the one that publishes also logs it), so its changelog is read only when the input
  /// can no longer give the task: retention has deleted records the stored state (or, without
  /// one, the task) has not read, or a restore was cut short. Otherwise the stored state is kept
  /// as this instance left it (or built from the input's start) and is no longer taken as a copy
  /// of the changelog: its first logged commit writes it in full.
  /// A people partition, by contrast, is restored whenever it is assigned (RestoreTask): its
  /// changelog holds what its previous owner did, however far that went.
  Status RestoreCrmIfInputLost(int partitions) {
    const std::string& topic = config_.topics.crm;
    const std::string prefix = Task::PrefixOf(topic, kAllPartitions);
    const std::map<int32_t, int64_t> stored = Task::StoredOffsets(store_, prefix);
    bool lost = false;
    for (int32_t p = 0; p < partitions; ++p) {
      int64_t low = 0, high = 0;
      if (queries_->query_watermark_offsets(topic, p, &low, &high, 10000) != RdKafka::ERR_NO_ERROR) {
        continue;
      }
      auto it = stored.find(p);
      const int64_t from = it == stored.end() ? 0 : it->second;
      if (from < low) lost = true;
    }
    const bool interrupted = store_.Get(prefix + std::string(changelog::kRestoring)).has_value();
    if (lost || interrupted) return RestoreTask(ingest::TopicKind::kCrm, 0);
    storage::WriteBatch forget;
    forget.Delete(prefix + std::string(changelog::kCheckpoint));
    return store_.Write(forget);
  }

  /// Keeps standby copies of the people partitions this instance should
  /// (changelog::StandbyPartitions over the group's members as its coordinator describes them),
  /// and of none it owns. While the group is not stable (a rebalance under way) or cannot be
  /// described, the copies kept stay as they are, less those of partitions now owned here.
  Status FollowStandbys() {
    if (!standbys_ || closing_) return Status::Ok();
    const std::set<int32_t> followed = standbys_->followed();
    std::set<int32_t> wanted = followed;
    if (auto members = PeopleGroupMembers()) {
      const std::string self = MemberKey(group_client_id_, group_->memberid());
      wanted = changelog::StandbyPartitions(*members, self, config_.kafka.num_standby_replicas);
      // Given to this instance by the coordinator, their assignment not yet served here: a copy
      // kept stays (the assignment releases it and restores from it), never dropped.
      for (int32_t p : (*members)[self]) {
        if (followed.contains(p)) wanted.insert(p);
      }
    }
    std::erase_if(wanted, [&](int32_t p) { return engine_.tasks().contains({ingest::TopicKind::kPeople, p}); });
    Status s = standbys_->Follow(wanted);
    engine_metrics_.standby_partitions().Set(static_cast<double>(standbys_->followed().size()));
    return s;
  }

  /// A member of the people group, in the order standby copies are placed: by client id (the
  /// instance's id unless `kafka.properties` sets one), which a restart keeps, then member id.
  static std::string MemberKey(const std::string& client_id, const std::string& member_id) {
    return client_id + '\x1f' + member_id;
  }

  /// The people group's members (MemberKey) and the people partitions each owns, if the group
  /// is stable.
  std::optional<std::map<std::string, std::set<int32_t>>> PeopleGroupMembers() {
    rd_kafka_t* rk = queries_->c_ptr();
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    const char* groups[] = {config_.kafka.group_id.c_str()};
    rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    char error[256];
    // Short: it runs on the processing thread; an answer that does not come leaves the copies
    // as they are until the next look.
    rd_kafka_AdminOptions_set_request_timeout(options, 2000, error, sizeof error);
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 3000);
    std::optional<std::map<std::string, std::set<int32_t>>> out;
    const rd_kafka_DescribeConsumerGroups_result_t* result =
        event ? rd_kafka_event_DescribeConsumerGroups_result(event) : nullptr;
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descriptions =
        result ? rd_kafka_DescribeConsumerGroups_result_groups(result, &count) : nullptr;
    if (count == 1 && !rd_kafka_ConsumerGroupDescription_error(descriptions[0]) &&
        rd_kafka_ConsumerGroupDescription_state(descriptions[0]) == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE) {
      out.emplace();
      for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(descriptions[0]); ++m) {
        const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(descriptions[0], m);
        std::set<int32_t>& owned = (*out)[MemberKey(rd_kafka_MemberDescription_client_id(member),
                                                    rd_kafka_MemberDescription_consumer_id(member))];
        const rd_kafka_topic_partition_list_t* tps =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
        for (int i = 0; tps && i < tps->cnt; ++i) {
          if (config_.topics.people == tps->elems[i].topic) owned.insert(tps->elems[i].partition);
        }
      }
    } else if (event && rd_kafka_event_error(event)) {
      std::cerr << "huntline run: describing group " << config_.kafka.group_id << ": "
                << rd_kafka_event_error_string(event) << "\n";
    }
    if (event) rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
    return out;
  }

  /// Brings the stored state of a task up to its changelog before the task is made from it
  /// (ChangelogRestorer), saying so at /health, in the log and in the restore metrics.
  Status RestoreTask(ingest::TopicKind kind, int32_t partition) {
    const bool crm = kind == ingest::TopicKind::kCrm;
    const std::string prefix =
        Task::PrefixOf(crm ? config_.topics.crm : config_.topics.people, crm ? kAllPartitions : partition);
    const std::string& topic = changelog_->TopicOf(kind);
    const int32_t changelog_partition = crm ? 0 : partition;
    const std::string where = topic + "/" + std::to_string(changelog_partition);
    if (on_progress_) on_progress_("restoring " + where);
    ChangelogRestorer restorer(*restore_reader_, *queries_, store_);
    auto outcome = restorer.Restore(topic, changelog_partition, prefix,
                                    [&](uint64_t records, int64_t left) {
                                      std::cerr << "huntline run: restoring " << where << ": " << records
                                                << " records applied, " << left << " offsets to go\n";
                                    });
    if (on_progress_) on_progress_(progress_);
    if (!outcome.ok()) return Status::Error("restoring " + prefix + " from " + where + ": " + outcome.status().message());
    std::cerr << "huntline run: " << prefix << ": " << outcome->note;
    if (outcome->records > 0 || outcome->seconds > 0) {
      std::cerr << "; " << outcome->records << " records restored from " << where << " in "
                << outcome->seconds << " s";
    }
    std::cerr << "\n";
    engine_metrics_.RestoredRecords(topic, changelog_partition).Increment(static_cast<double>(outcome->records));
    engine_metrics_.RestoreSeconds(topic, changelog_partition).Increment(outcome->seconds);
    return Status::Ok();
  }

  void SetCrmLeader(bool leader) {
    if (crm_leader_ == leader) return;
    crm_leader_ = leader;
    if (Status s = engine_.SetPublished(ingest::TopicKind::kCrm, 0, leader); !s.ok()) fatal_ = s;
    std::cerr << "huntline run: this instance " << (leader ? "publishes" : "no longer publishes")
              << " the " << config_.topics.crm << " figures\n";
  }

  /// The consumer every question the loop waits on goes to the brokers through: the ends of the
  /// input partitions (QueryEnds, several times a second), log start offsets, partition counts.
  /// It is never assigned a partition, so it never fetches. A broker answers the requests of one
  /// connection in order, and holds a fetch with nothing to return for up to fetch.wait.max.ms:
  /// asked through a consumer that fetches (the org consumer, whose topic is mostly idle), each
  /// question would wait that long, and the loop with it.
  Status StartBrokerQueries() {
    // The ends it is asked for are last stable offsets: what a reader of committed messages
    // (the changelog reader, the input consumers by default) can reach.
    auto consumer = PrivateConsumer("queries", "consumer asking the brokers", {{"isolation.level", "read_committed"}});
    if (!consumer.ok()) return consumer.status();
    queries_ = std::move(consumer).value();
    return Status::Ok();
  }

  /// A consumer in a group of its own (`<group_id>.<role>.<start time>`) that never commits:
  /// assigned partitions directly, or none.
  Result<std::unique_ptr<RdKafka::KafkaConsumer>> PrivateConsumer(
      const std::string& role, const std::string& what,
      const std::map<std::string, std::string>& overrides = {}) {
    auto conf = BaseConf(config_);
    if (!conf.ok()) return conf.status();
    std::string error;
    (*conf)->set("group.id", config_.kafka.group_id + "." + role + "." + std::to_string(WallClockNow()), error);
    (*conf)->set("enable.auto.commit", "false", error);
    (*conf)->set("enable.partition.eof", "false", error);
    for (const auto& [key, value] : overrides) (*conf)->set(key, value, error);
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!consumer) return Status::Error(what + ": " + error);
    return consumer;
  }

  Status StartOrgConsumer() {
    // The org topic is read in full by every instance.
    auto consumer = PrivateConsumer("org", "org consumer");
    if (!consumer.ok()) return consumer.status();
    org_ = std::move(consumer).value();
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

  /// The crm task, restored, and a reader of every crm partition from where it stands: its
  /// stored offsets, else the beginning (or, with `rebuild_from_earliest` false, the group's
  /// committed offsets).
  Status StartCrmReader() {
    const int count = partition_counts_[config_.topics.crm];
    if (changelog_) {
      std::vector<RdKafka::TopicPartition*> all;
      for (int p = 0; p < count; ++p) all.push_back(RdKafka::TopicPartition::create(config_.topics.crm, p));
      AwaitPendingTransactions(*crm_election_, all);
      RdKafka::TopicPartition::destroy(all);
      if (Status s = RestoreCrmIfInputLost(count); !s.ok()) return s;
    }
    auto stored = engine_.Assign(ingest::TopicKind::kCrm, 0, count);
    if (!stored.ok()) return stored.status();
    crm_task_ = engine_.tasks().at({ingest::TopicKind::kCrm, kAllPartitions}).get();
    if (Status s = engine_.SetPublished(ingest::TopicKind::kCrm, 0, crm_leader_); !s.ok()) return s;

    auto conf = BaseConf(config_);
    if (!conf.ok()) return conf.status();
    std::string error;
    (*conf)->set("group.id", config_.kafka.group_id + ".crm." + std::to_string(WallClockNow()), error);
    (*conf)->set("enable.auto.commit", "false", error);
    (*conf)->set("enable.partition.eof", "false", error);
    // A stored offset the input no longer holds (retention passed) resumes at what is left.
    (*conf)->set("auto.offset.reset", "earliest", error);
    crm_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!crm_) return Status::Error("crm reader: " + error);

    std::vector<RdKafka::TopicPartition*> tps;
    for (int p = 0; p < count; ++p) {
      tps.push_back(RdKafka::TopicPartition::create(config_.topics.crm, p));
    }
    if (!config_.kafka.rebuild_from_earliest && stored->empty()) {
      crm_election_->committed(tps, 10000);  // a partition with none keeps OFFSET_INVALID
    }
    crm_start_.assign(static_cast<size_t>(count), 0);
    for (RdKafka::TopicPartition* tp : tps) {
      if (auto it = stored->find(tp->partition()); it != stored->end()) {
        tp->set_offset(it->second);
      } else if (tp->offset() < 0) {
        tp->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
      }
      if (tp->offset() >= 0) {
        ResumeAt(*tp, *crm_task_,
                 stored->contains(tp->partition()) ? "stored with the state"
                                                   : "committed to the group");
      }
      crm_start_[static_cast<size_t>(tp->partition())] = std::max<int64_t>(0, tp->offset());
    }
    const RdKafka::ErrorCode err = crm_->assign(tps);
    RdKafka::TopicPartition::destroy(tps);
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("crm assign: " + RdKafka::err2str(err));
    // Each partition's messages come from a queue of its own, so the merge takes from the one
    // it needs while librdkafka keeps fetching the others.
    for (int p = 0; p < count; ++p) {
      std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(config_.topics.crm, p));
      crm_partition_queues_.emplace_back(crm_->get_partition_queue(tp.get()));
      if (!crm_partition_queues_.back()) {
        return Status::Error("crm reader: no queue for partition " + std::to_string(p));
      }
      crm_partition_queues_.back()->forward(nullptr);
    }
    crm_queues_.resize(static_cast<size_t>(count));
    crm_last_seen_.assign(static_cast<size_t>(count), Clock::now());
    crm_stalled_.assign(static_cast<size_t>(count), false);
    crm_clear_.assign(static_cast<size_t>(count), -1);
    crm_applied_.assign(static_cast<size_t>(count), CrmApplied{});
    return Status::Ok();
  }

  /// The number of partitions of `topic`, waiting up to a minute for its metadata (topics may
  /// be created just after start-up).
  Result<int> WaitForPartitionCount(const std::string& name) {
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    for (;;) {
      Result<int> partitions = PartitionCount(name, 5000);
      if (partitions.ok() || Clock::now() >= give_up) return partitions;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

  /// The number of partitions of `topic` as the brokers say now (one metadata request).
  Result<int> PartitionCount(const std::string& name, int timeout_ms) {
    std::string error;
    std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(queries_.get(), name, nullptr, error));
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode err = queries_->metadata(false, topic.get(), &raw, timeout_ms);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (err == RdKafka::ERR_NO_ERROR && md && !md->topics()->empty() &&
        md->topics()->at(0)->err() == RdKafka::ERR_NO_ERROR) {
      const int partitions = static_cast<int>(md->topics()->at(0)->partitions()->size());
      if (partitions > 0) return partitions;
    }
    std::string why = "no metadata";
    if (err != RdKafka::ERR_NO_ERROR) {
      why = RdKafka::err2str(err);
    } else if (md && !md->topics()->empty()) {
      why = RdKafka::err2str(md->topics()->at(0)->err());
    }
    return Status::Error("topic " + name + " at " + config_.kafka.brokers + ": " + why);
  }

  /// Whether the crm and people topics still have the partitions the state was built with
  /// (Engine::CheckPartitionCount): a topic that has gained some since start-up stops the run,
  /// rather than count keys under partitions that no longer hold them. A topic whose metadata
  /// cannot be had now is judged at the next check.
  Status CheckPartitionCounts() {
    for (const auto& [topic, count] : partition_counts_) {
      Result<int> now = PartitionCount(topic, 1000);
      if (now.ok() && *now != count) return engine_.CheckPartitionCount(topic, *now);
    }
    return Status::Ok();
  }

  /// Start-up order (events.md): the org topic to its end before anything else. A partition is
  /// read once the consumer's position reaches its end as asked now: the last stable offset when
  /// reading committed messages only (librdkafka's default). A transaction's commit or abort
  /// marker and aborted messages are never delivered, but the position passes them; a partition
  /// that retention has emptied, or that holds aborted messages only, is read without any message.
  Status ReadOrgToEnd() {
    std::map<int, int64_t> end;  // the partitions not read to their end yet
    for (int p : org_partitions_) {
      int64_t low = 0, high = 0;
      const RdKafka::ErrorCode err =
          queries_->query_watermark_offsets(config_.topics.org, p, &low, &high, 10000);
      if (err != RdKafka::ERR_NO_ERROR) {
        return Status::Error("org topic end offsets: " + RdKafka::err2str(err));
      }
      if (high > low) end[p] = high;
    }
    auto last_look = Clock::now();
    while (!end.empty()) {
      std::unique_ptr<RdKafka::Message> message(org_->consume(100));
      const bool delivered = message->err() == RdKafka::ERR_NO_ERROR;
      if (delivered) Handle(*message);
      // Positions are looked at when the consumer is idle, and every 100 ms while it delivers.
      if (delivered && Clock::now() - last_look < std::chrono::milliseconds(100)) continue;
      last_look = Clock::now();
      std::erase_if(end, [&](const auto& partition_end) {
        return OrgReadTo(partition_end.first) >= partition_end.second;
      });
    }
    return engine_.Commit();
  }

  Status StartGroupConsumer() {
    auto conf = BaseConf(config_);
    if (!conf.ok()) return conf.status();
    std::string error;
    auto set = [&](const char* key, const std::string& value) {
      if (!config_.kafka.properties.contains(key)) (*conf)->set(key, value, error);
    };
    set("group.id", config_.kafka.group_id);
    if (changelog_) set("client.id", "huntline-" + changelog_->instance_id());
    set("partition.assignment.strategy", "cooperative-sticky");
    set("auto.offset.reset", "earliest");
    // Offsets move only after the state that includes them is durable in RocksDB.
    (*conf)->set("enable.auto.commit", "false", error);
    (*conf)->set("enable.auto.offset.store", "false", error);
    if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error) !=
        RdKafka::Conf::CONF_OK) {
      return Status::Error("consumer: " + error);
    }
    (*conf)->get("client.id", group_client_id_);
    group_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!group_) return Status::Error("consumer: " + error);
    RdKafka::ErrorCode err = group_->subscribe({config_.topics.people});
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("subscribe: " + RdKafka::err2str(err));

    // The crm election: the same settings in a group of its own.
    (*conf)->set("group.id", config_.kafka.group_id + ".crm", error);
    crm_election_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (!crm_election_) return Status::Error("crm election consumer: " + error);
    err = crm_election_->subscribe({config_.topics.crm});
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("subscribe: " + RdKafka::err2str(err));
    if (changelog_) changelog_->SetGroups(group_.get(), crm_election_.get());
    return Status::Ok();
  }

  Status CommitAll(bool publish) {
    if (!fatal_.ok()) return fatal_;
    if (Status s = engine_.Commit(publish); !s.ok()) return s;
    engine_metrics_.state_size().Set(static_cast<double>(state_size_()));
    CommitOffsetsToKafka(partitions_committed_);
    return Status::Ok();
  }

  /// Tells the groups how far each task got: the people tasks' offsets to `group_id`, the crm
  /// task's to `<group_id>.crm` by the instance that publishes it. RocksDB stays the source of
  /// truth for where a task resumes; the groups' offsets serve lag monitoring and instances
  /// without stored state.
  void CommitOffsetsToKafka(std::map<std::pair<std::string, int32_t>, int64_t>& committed) {
    if (changelog_) return;  // sent with the changelog, in each commit's transaction
    // Only once the batch is written: a task without stored state resumes from these.
    if (Status s = store_.Settle(); !s.ok()) {
      if (fatal_.ok()) fatal_ = s;
      return;
    }
    for (const auto& [key, task] : engine_.tasks()) {
      if (!task->published()) continue;
      std::vector<RdKafka::TopicPartition*> tps;
      for (const auto& [partition, offset] : task->next_offsets()) {
        auto& last = committed[{task->topic(), partition}];
        if (last == offset) continue;
        last = offset;
        tps.push_back(RdKafka::TopicPartition::create(task->topic(), partition, offset));
      }
      const bool crm = key.first == ingest::TopicKind::kCrm;
      if (!tps.empty()) (crm ? crm_election_ : group_)->commitAsync(tps);
      RdKafka::TopicPartition::destroy(tps);
    }
  }

  /// Marks each task caught up or not, then moves engine time on. Judged against what the
  /// brokers said at the previous check, kCaughtUpCheck ago, so that a steady stream (messages
  /// always landing) does not keep a task from counting as read: a task whose consumer has
  /// passed the ends asked then, and holds back none of the messages written before then, has
  /// read everything written before then. Engine time moves to what it was then: the latest event
  /// time applied, or the wall clock less order_wait_ms; so nothing settles ahead of a message
  /// written before it. A task follows engine time no further than the earliest event among
  /// those it has read and still holds back.
  Status AdvanceCaughtUpTasks() {
    Check now_check;
    now_check.target = config_.event_time ? engine_.latest_event_time()
                                          : WallClockNow() - config_.order_wait_ms;
    QueryEnds();
    now_check.ends = ends_;
    now_check.covered = covered_;
    if (!previous_check_) {
      previous_check_ = std::move(now_check);
      return Status::Ok();
    }
    const Check& check = *previous_check_;
    std::string catching_up;
    for (const auto& [key, task] : engine_.tasks()) {
      const bool crm = key.first == ingest::TopicKind::kCrm;
      RdKafka::KafkaConsumer* consumer = crm ? crm_.get() : group_.get();
      bool read_to_end = true, known = true;
      auto judge = [&](int32_t p) {
        auto end = check.ends.find({task->topic(), p});
        if (end == check.ends.end()) {
          known = false;
          return;
        }
        if (ReadTo(*consumer, task->topic(), p, *task) < end->second) read_to_end = false;
      };
      Timestamp until = Task::kNoLimit;
      auto bound = [&](const Pending& m) {
        if (m.decoded.ok) until = std::min(until, m.decoded.event.time);
        // Written before the previous check and still held back: a backlog being worked
        // through (the consumer reads far ahead of the task).
        if (m.written_at <= check.covered) read_to_end = false;
      };
      if (crm) {
        for (size_t p = 0; p < crm_queues_.size(); ++p) {
          judge(static_cast<int32_t>(p));
          for (const Pending& m : crm_queues_[p]) bound(m);
        }
      } else {
        judge(task->partition());
        for (const Pending& m : people_queue_) {
          if (m.message->partition() == task->partition()) bound(m);
        }
      }
      if (!known) continue;  // judged again at the next check
      engine_.SetCaughtUp(key.first, key.second, read_to_end, until);
      if (!task->backlog_read()) {
        if (!catching_up.empty()) catching_up += ", ";
        catching_up += crm ? task->topic() : task->topic() + "/" + std::to_string(task->partition());
      }
    }
    if (check.target != kNoTime) engine_.AdvanceTime(check.target);
    previous_check_ = std::move(now_check);
    const std::string progress = catching_up.empty() ? "" : "catching up: " + catching_up;
    if (progress != progress_) {
      progress_ = progress;
      if (on_progress_) on_progress_(progress_);
    }
    return Status::Ok();
  }

  /// How far a task's partition has been read: its consumer's position; before the first
  /// message, where the task stands, else where reading starts (the crm reader's start, or the
  /// partition's first offset).
  int64_t ReadTo(RdKafka::KafkaConsumer& consumer, const std::string& topic, int32_t p,
                 const Task& task) {
    const int64_t position = PositionOf(consumer, topic, p);
    if (position >= 0) return position;
    // Nothing delivered yet: where reading starts, or the partition's first offset if retention
    // has passed it (a partition emptied by retention is read to its end).
    int64_t start = 0;
    if (auto next = task.next_offset(p)) {
      start = *next;
    } else if (&consumer == crm_.get()) {
      start = CrmStart(p);
    }
    return std::max(start, LowOf(consumer, topic, p));
  }

  /// The first offset a partition still holds (from `consumer`'s latest fetch response, else asked).
  int64_t LowOf(RdKafka::KafkaConsumer& consumer, const std::string& topic, int32_t p) {
    int64_t low = 0, high = 0;
    if (consumer.get_watermark_offsets(topic, p, &low, &high) == RdKafka::ERR_NO_ERROR && low >= 0 &&
        high >= 0) {
      return low;
    }
    if (queries_->query_watermark_offsets(topic, p, &low, &high, 5000) == RdKafka::ERR_NO_ERROR) return low;
    return 0;
  }

  void UpdateLag() {
    for (const auto& [key, task] : engine_.tasks()) {
      const bool crm = key.first == ingest::TopicKind::kCrm;
      RdKafka::KafkaConsumer* consumer = crm ? crm_.get() : group_.get();
      auto lag = [&](int32_t p) {
        const int64_t end = End(task->topic(), p);
        if (end < 0) return;  // not asked yet
        // The consumer's position passes the markers a transactional producer leaves after its
        // last message, which no task's offset does.
        const int64_t position = std::max(task->next_offset(p).value_or(0), ReadTo(*consumer, task->topic(), p, *task));
        engine_metrics_.ConsumerLag(task->topic(), p).Set(static_cast<double>(std::max<int64_t>(0, end - position)));
      };
      if (crm) {
        for (size_t p = 0; p < crm_queues_.size(); ++p) lag(static_cast<int32_t>(p));
      } else {
        lag(task->partition());
      }
    }
  }

 public:
  std::function<uint64_t()> state_size_ = [] { return 0; };

 private:
  const Config& config_;
  Engine& engine_;
  metrics::EngineMetrics& engine_metrics_;
  storage::KvStore& store_;
  KafkaChangelog* changelog_;
  std::unique_ptr<RdKafka::KafkaConsumer> restore_reader_;  // reads changelogs (RestoreTask)
  std::unique_ptr<RdKafka::KafkaConsumer> standby_reader_;  // follows changelogs (standbys_)
  std::unique_ptr<StandbyReplicas> standbys_;  // with kafka.num_standby_replicas
  std::string group_client_id_;  // the people group consumer's client.id
  bool closing_ = false;         // leaving the groups: no more standby placement
  bool abandoning_ = false;      // leaving them after a lost membership: nothing committed
  std::unique_ptr<RdKafka::KafkaConsumer> queries_;  // asks the brokers, never fetches
  std::unique_ptr<RdKafka::KafkaConsumer> org_;
  std::vector<int> org_partitions_;
  std::map<std::string, int> partition_counts_;
  std::unique_ptr<RdKafka::KafkaConsumer> group_;
  std::unique_ptr<RdKafka::KafkaConsumer> crm_;
  std::unique_ptr<RdKafka::KafkaConsumer> crm_election_;
  Task* crm_task_ = nullptr;               // owned by the engine, never revoked
  bool crm_leader_ = false;                // owns crm partition 0 in the group: publishes crm
  std::vector<std::unique_ptr<RdKafka::Queue>> crm_partition_queues_;  // librdkafka's, per partition
  std::vector<std::deque<Pending>> crm_queues_;  // per crm partition, read ahead, in offset order
  std::deque<Pending> people_queue_;             // read, waiting for their turn
  bool people_paused_ = false;                   // the group's partitions, for people_queue_
  std::deque<Pending> org_queue_;                // org snapshots read, not yet old enough
  std::map<std::pair<std::string, int32_t>, int64_t> ends_;  // of each input partition, as last asked
  std::map<std::pair<std::string, int32_t>, Clock::time_point> ends_failing_since_;
  /// What the previous caught-up check found: the ends asked then, the writes they cover, and the
  /// engine time as it stood then (AdvanceCaughtUpTasks).
  struct Check {
    std::map<std::pair<std::string, int32_t>, int64_t> ends;
    Timestamp covered = -1;
    Timestamp target = kNoTime;
  };
  std::optional<Check> previous_check_;
  Timestamp covered_ = -1;      // every message written up to then lies below ends_
  Timestamp org_covered_ = -1;  // every org snapshot written up to then is applied
  uint64_t late_org_reported_ = 0;
  struct CrmApplied {
    Timestamp time = kNoTime;  // the latest event time the merge applied from a partition
    Timestamp written_at = 0;  // when that message was written
  };
  std::vector<CrmApplied> crm_applied_;  // by crm partition
  uint64_t crm_out_of_order_ = 0;
  std::vector<Timestamp> crm_clear_;  // per crm partition: found at its end for writes up to then
  Clock::time_point last_ends_query_{};
  bool ends_error_logged_ = false;
  std::vector<Clock::time_point> crm_last_seen_;
  std::vector<bool> crm_stalled_;
  std::vector<int64_t> crm_start_;         // where the crm reader started in each partition
  ingest::Headers headers_;
  std::string topic_;
  std::vector<Applied> received_unpublished_;
  std::map<std::pair<std::string, int32_t>, int64_t> partitions_committed_;
  std::function<void(const std::string&)> on_progress_;
  Clock::time_point last_caught_up_check_{};
  std::string progress_;
  Status fatal_ = Status::Ok();
};

/// The id of this state directory, made at its first start: with the group id, the changelog
/// producer's transactional id, so that a restart fences what its previous run left open.
Result<std::string> InstanceId(storage::KvStore& store) {
  static constexpr std::string_view kKey = "i/instance";
  if (auto id = store.Get(kKey)) return *id;
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", random());
    id += hex;
  }
  storage::WriteBatch batch;
  batch.Put(kKey, id);
  if (Status s = store.Write(batch); !s.ok()) return s;
  return id;
}

}  // namespace

Status RunOnKafka(const Config& config, const std::atomic<bool>& stop,
                  const std::function<void()>& on_ready) {
  // Who may read the metrics, first: a bad web configuration stops start-up before anything opens.
  metrics::WebConfig web;
  if (!config.web_config_file.empty()) {
    auto loaded = metrics::LoadWebConfig(config.web_config_file);
    if (!loaded.ok()) return loaded.status();
    web = std::move(loaded).value();
  }
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  // The state holds people's calendars and attendees' emails: this user's alone.
  std::filesystem::permissions(config.state_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  storage::RocksOptions rocks;
  rocks.block_cache_bytes = static_cast<size_t>(config.rocksdb_block_cache_mb) << 20;
  rocks.write_buffer_bytes = static_cast<size_t>(config.rocksdb_write_buffer_mb) << 20;
  auto rocksdb = storage::OpenRocksDb(config.state_dir, rocks);
  if (!rocksdb.ok()) return rocksdb.status();
  // Each batch is written while the next one is applied; the org tables (never in a batch)
  // are read and written directly.
  auto store = std::make_unique<storage::WriteBehindKvStore>(**rocksdb);

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

  std::unique_ptr<KafkaChangelog> changelog;
  if (config.kafka.changelog) {
    auto instance = InstanceId(*store);
    if (!instance.ok()) return instance.status();
    auto created = KafkaChangelog::Create({producer_properties, config.kafka.group_id, *instance,
                                           config.topics.crm, config.topics.people,
                                           config.kafka.changelog_replication_factor});
    if (!created.ok()) return created.status();
    changelog = std::move(created).value();
  }

  metrics::Catalog catalog;
  processors::ProcessorRegistry registry(catalog);
  processors::RegisterAllProcessors(registry);
  auto engine_metrics = std::make_shared<metrics::EngineMetrics>(HUNTLINE_VERSION);
  metrics::ExpositionOptions exposition;
  exposition.task_instance = config.kafka.group_id;
  exposition.rewrite = metrics::PersonRewriter(config.privacy.per_person_metrics, config.privacy.pseudonym_key);
  auto published = std::make_shared<metrics::PublishedMetrics>(catalog, exposition);
  auto http = metrics::HttpServer::Start(
      config.listen,
      {std::shared_ptr<prometheus::Collectable>(engine_metrics, engine_metrics->registry().get()),
       published},
      web);
  if (!http.ok()) return http.status();
  (*http)->SetHealth(false, "reading " + config.topics.org);

  Engine::Options options;
  options.settings = config.settings;
  options.topics = config.topics;
  options.live = true;
  options.partitioner = config.kafka.key_partitioner;
  options.event_time = config.event_time;
  options.history_sink = history_topic->get();
  options.history_rewrite = exposition.rewrite;
  options.org_store = rocksdb->get();
  options.org_cache_entries = static_cast<size_t>(config.org_cache_entries);
  options.state_cache_entries = static_cast<size_t>(config.state_cache_entries);
  options.changelog = changelog.get();
  metrics::HttpServer* server = http->get();
  // An instance whose group membership was lost (its session expired while the brokers were
  // away) starts again as a restart would: its tasks, ahead of what was stored, are dropped, and
  // the groups give it partitions again, restored from RocksDB and the changelogs.
  for (bool first = true;; first = false) {
    Engine engine(registry, catalog, *store, **dead_letters, *engine_metrics, *published, options);
    if (!config.event_time) engine.AdvanceTime(WallClockNow());
    Runner runner(config, engine, *engine_metrics, *store, changelog.get(),
                  [server](const std::string& progress) { server->SetHealth(true, progress); });
    runner.state_size_ = [kv = store.get()] { return kv->ApproximateSize(); };
    if (Status s = runner.Start(); !s.ok()) return s;
    (*http)->SetHealth(true, "");
    if (first && on_ready) on_ready();
    Status result = runner.Loop(stop);
    if (!result.ok() && changelog && changelog->membership_lost() && !stop.load()) {
      std::cerr << "huntline run: " << result.message() << ": leaving the groups and joining them again\n";
      runner.Abandon();
      changelog->ForgetLostMembership();
      continue;
    }
    if (Status written = store->Settle(); result.ok() && !written.ok()) result = written;
    (*http)->SetHealth(false, result.ok() ? "stopped" : result.message());
    return result;
  }
}

}  // namespace huntline::engine
