#include "engine/kafka_changelog.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "engine/task.h"
#include "storage/codec.h"

namespace huntline::engine {
namespace {

using Clock = std::chrono::steady_clock;
/// A transaction may hold a full copy of a large task's state (a new crm publisher's); one
/// left open by a killed instance holds readers of the changelog back until it times out.
constexpr int kTransactionTimeoutMs = 120000;
/// Attempts at a commit whose transaction had to be aborted before it gives up.
constexpr int kCommitAttempts = 5;
/// A checkpoint this old is not caught up from: compaction may have dropped tombstones written
/// since (delete.retention.ms, a day by default).
constexpr Timestamp kCheckpointTrustedMs = 12 * 3600 * 1000;

/// A task's checkpoint: (next changelog offset, wall-clock time it was written).
struct Checkpoint {
  int64_t offset = 0;
  Timestamp written = 0;
};

std::optional<Checkpoint> StoredCheckpoint(storage::KvStore& store, const std::string& key) {
  auto value = store.Get(key);
  if (!value) return std::nullopt;
  storage::Decoder r(*value);
  Checkpoint checkpoint;
  checkpoint.offset = r.I64();
  if (!r.done()) checkpoint.written = r.I64();
  return r.ok() ? std::optional<Checkpoint>(checkpoint) : std::nullopt;
}

}  // namespace

std::string KafkaChangelog::TopicName(const std::string& group_id, const std::string& input_topic) {
  return group_id + "-" + input_topic + "-changelog";
}

void KafkaChangelog::Deliveries::dr_cb(RdKafka::Message& message) {
  if (message.err() != RdKafka::ERR_NO_ERROR) {
    if (failed++ == 0) first_error = message.errstr();
    return;
  }
  auto& last = this->last[{message.topic_name(), message.partition()}];
  last = std::max(last, message.offset());
}

Result<std::unique_ptr<KafkaChangelog>> KafkaChangelog::Create(Options options) {
  std::unique_ptr<KafkaChangelog> log(new KafkaChangelog());
  log->crm_changelog_ = TopicName(options.group_id, options.crm_topic);
  log->people_changelog_ = TopicName(options.group_id, options.people_topic);
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : options.properties) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::Error("changelog producer: kafka.properties." + key + ": " + error);
    }
  }
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::Error("changelog producer: " + key + ": " + error);
    }
    return Status::Ok();
  };
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"transactional.id", options.group_id + "-" + options.instance_id},
           {"transaction.timeout.ms", std::to_string(kTransactionTimeoutMs)},
           {"compression.type", "lz4"},
           {"message.max.bytes", std::to_string(kMaxMessageBytes + (1 << 16))}}) {
    if (Status s = set(key, value); !s.ok()) return s;
  }
  if (conf->set("dr_cb", &log->deliveries_, error) != RdKafka::Conf::CONF_OK) {
    return Status::Error("changelog producer: " + error);
  }
  log->producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!log->producer_) return Status::Error("changelog producer: " + error);
  log->options_ = std::move(options);
  std::unique_ptr<RdKafka::Error> e(log->producer_->init_transactions(kTransactionTimeoutMs));
  if (e) return Status::Error("changelog producer: init_transactions: " + e->str());
  return log;
}

KafkaChangelog::~KafkaChangelog() {
  if (producer_ && in_transaction_) {
    std::unique_ptr<RdKafka::Error> e(producer_->abort_transaction(5000));
  }
}

const std::string& KafkaChangelog::TopicOf(ingest::TopicKind kind) const {
  return kind == ingest::TopicKind::kCrm ? crm_changelog_ : people_changelog_;
}

int32_t KafkaChangelog::PartitionOf(const Task& task) {
  return task.kind() == ingest::TopicKind::kCrm ? 0 : task.partition();
}

Status KafkaChangelog::EnsureTopics(int people_partitions) {
  rd_kafka_t* rk = producer_->c_ptr();
  char error[512];
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto& [name, partitions] :
       {std::pair<std::string, int>{people_changelog_, people_partitions}, {crm_changelog_, 1}}) {
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), partitions, options_.replication_factor, error, sizeof error);
    if (!topic) {
      for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
      return Status::Error("changelog topic " + name + ": " + error);
    }
    rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
    rd_kafka_NewTopic_set_config(topic, "max.message.bytes",
                                 std::to_string(kMaxMessageBytes + (1 << 16)).c_str());
    topics.push_back(topic);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, topics.data(), topics.size(), nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  std::string failure;
  if (!event) {
    failure = "no answer from the brokers in 30 s";
  } else if (rd_kafka_event_error(event)) {
    failure = rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::cerr << "huntline run: created the changelog topic " << rd_kafka_topic_result_name(results[i])
                  << "\n";
      } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        failure += std::string(failure.empty() ? "" : "; ") + rd_kafka_topic_result_name(results[i]) +
                   ": " + (rd_kafka_topic_result_error_string(results[i])
                               ? rd_kafka_topic_result_error_string(results[i])
                               : rd_kafka_err2str(err));
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
  if (!failure.empty()) return Status::Error("creating the changelog topics: " + failure);

  // An existing people changelog must split the tasks as the people topic does.
  std::string err_text;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(producer_.get(), people_changelog_, nullptr, err_text));
  for (int attempt = 0;; ++attempt) {
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode err = producer_->metadata(false, topic.get(), &raw, 5000);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (err == RdKafka::ERR_NO_ERROR && md && !md->topics()->empty() &&
        md->topics()->at(0)->err() == RdKafka::ERR_NO_ERROR && !md->topics()->at(0)->partitions()->empty()) {
      const int partitions = static_cast<int>(md->topics()->at(0)->partitions()->size());
      if (partitions != people_partitions) {
        return Status::Error("the changelog topic " + people_changelog_ + " has " +
                             std::to_string(partitions) + " partitions, the people topic " +
                             std::to_string(people_partitions) +
                             ": it was made for other partitions; delete it (the state it holds was "
                             "built for them) or give this deployment another kafka.group_id");
      }
      return Status::Ok();
    }
    // A topic just created takes a moment to be known to every broker.
    if (attempt >= 120) return Status::Error("changelog topic " + people_changelog_ + ": no metadata in 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

bool KafkaChangelog::Logs(const Task& task) const {
  // Every instance computes the crm task; the one that publishes it logs it.
  return task.kind() == ingest::TopicKind::kPeople || task.published();
}

namespace {
/// An error that says a consumer group does not know the member whose metadata a transaction
/// carried: its session expired, and its partitions may be another's already. Not retried: the
/// consumer may have joined again in the background as a new member, whose metadata a retry
/// would carry for partitions it lost. (A generation that moved on in a rebalance of a member
/// still known is retried: its partitions go to no one else before it lets go of them.)
bool UnknownMember(const RdKafka::Error& error) {
  if (error.code() == RdKafka::ERR_UNKNOWN_MEMBER_ID || error.code() == RdKafka::ERR_FENCED_INSTANCE_ID) return true;
  // A transaction failed by an earlier request reports that request's error in its text.
  const std::string text = error.str();
  return text.find("UNKNOWN_MEMBER_ID") != std::string::npos || text.find("Unknown member") != std::string::npos;
}

/// A refusal that a new start of the engine cures, if retrying did not: an unknown member, or
/// a generation that moved on.
bool LostMembership(const RdKafka::Error& error) {
  const std::string text = error.str();
  return UnknownMember(error) || error.code() == RdKafka::ERR_ILLEGAL_GENERATION ||
         text.find("ILLEGAL_GENERATION") != std::string::npos ||
         text.find("generation id is not valid") != std::string::npos;
}
}  // namespace

Status KafkaChangelog::Fail(const std::string& what, RdKafka::Error* error) {
  std::unique_ptr<RdKafka::Error> owned(error);
  std::string message = "changelog transaction: " + what + ": " + error->str();
  if (LostMembership(*error)) {
    membership_lost_ = true;
    message += " (this instance's group membership was lost)";
  }
  if (error->txn_requires_abort()) {
    std::unique_ptr<RdKafka::Error> aborted(producer_->abort_transaction(kTransactionTimeoutMs));
    in_transaction_ = false;
    message += " (aborted: the changes and offsets of this commit are not stored)";
  }
  if (error->is_fatal()) message += " (another instance with the same state directory, or a stale one)";
  return Status::Error(message);
}

void KafkaChangelog::ForgetLostMembership() {
  if (in_transaction_) {
    std::unique_ptr<RdKafka::Error> aborted(producer_->abort_transaction(kTransactionTimeoutMs));
    if (aborted) std::cerr << "huntline run: changelog transaction: abort: " << aborted->str() << "\n";
    in_transaction_ = false;
  }
  membership_lost_ = false;
  messages_.clear();
  sent_.clear();
}

Status KafkaChangelog::Produce(const Message& message) {
  const std::string& topic = message.crm ? crm_changelog_ : people_changelog_;
  while (true) {
    const RdKafka::ErrorCode err = producer_->produce(
        topic, message.partition, RdKafka::Producer::RK_MSG_COPY,
        message.value ? const_cast<char*>(message.value->data()) : nullptr,
        message.value ? message.value->size() : 0, message.key.data(), message.key.size(), 0,
        nullptr, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) return Status::Ok();
    if (err != RdKafka::ERR__QUEUE_FULL) {
      return Status::Error("changelog produce to " + topic + ": " + RdKafka::err2str(err));
    }
    producer_->poll(50);
  }
}

Status KafkaChangelog::Begin() {
  if (RdKafka::Error* e = producer_->begin_transaction()) return Fail("begin", e);
  in_transaction_ = true;
  deliveries_.last.clear();
  deliveries_.failed = 0;
  return Status::Ok();
}

Status KafkaChangelog::Send(const Task& task, std::string_view key,
                            std::optional<std::string_view> value) {
  if (!in_transaction_) {
    if (Status s = Begin(); !s.ok()) return s;
    sent_.clear();
    messages_.clear();
  }
  if (value && value->size() > static_cast<size_t>(kMaxMessageBytes)) {
    return Status::Error("changelog: the state record " + std::string(key.substr(0, 200)) + " is " +
                         std::to_string(value->size()) + " bytes, more than the " +
                         std::to_string(kMaxMessageBytes) + " a changelog message may hold");
  }
  const bool crm = task.kind() == ingest::TopicKind::kCrm;
  const int32_t partition = PartitionOf(task);
  sent_.try_emplace({TopicOf(task.kind()), partition}, task.prefix());
  // Kept until the transaction commits: sent again if it has to be aborted and retried.
  messages_.push_back({crm, partition, std::string(key),
                       value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
  return Produce(messages_.back());
}

RdKafka::Error* KafkaChangelog::SendOffsetsAndCommit(const std::vector<const Task*>& logged) {
  std::vector<RdKafka::TopicPartition*> people, crm;
  for (const Task* task : logged) {
    for (const auto& [partition, offset] : task->next_offsets()) {
      (task->kind() == ingest::TopicKind::kCrm ? crm : people)
          .push_back(RdKafka::TopicPartition::create(task->topic(), partition, offset));
    }
  }
  // The group metadata as it stands now: its generation is what fences a stale instance.
  auto send_offsets = [&](std::vector<RdKafka::TopicPartition*>& offsets,
                          RdKafka::KafkaConsumer* group) -> RdKafka::Error* {
    if (offsets.empty() || !group) return nullptr;
    std::unique_ptr<RdKafka::ConsumerGroupMetadata> metadata(group->groupMetadata());
    return producer_->send_offsets_to_transaction(offsets, metadata.get(), kTransactionTimeoutMs);
  };
  RdKafka::Error* error = send_offsets(people, people_group_);
  if (!error) error = send_offsets(crm, crm_group_);
  RdKafka::TopicPartition::destroy(people);
  RdKafka::TopicPartition::destroy(crm);
  if (error) return error;
  return producer_->commit_transaction(kTransactionTimeoutMs);
}

Result<std::map<std::string, int64_t>> KafkaChangelog::Commit(const std::vector<const Task*>& logged) {
  std::map<std::string, int64_t> next;
  if (!in_transaction_) return next;
  // A transaction refused for a reason that aborting cures (the group's generation moved on
  // in a rebalance while it was open, a coordinator moved) is aborted and made again with
  // the same messages; a fatal error (this producer fenced by a newer one) is not retried.
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<RdKafka::Error> error(SendOffsetsAndCommit(logged));
    if (!error) break;
    if (error->is_retriable() && attempt < kCommitAttempts) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
      std::unique_ptr<RdKafka::Error> again(producer_->commit_transaction(kTransactionTimeoutMs));
      if (!again) break;
      error = std::move(again);
    }
    if (error->is_fatal() || !error->txn_requires_abort() || attempt >= kCommitAttempts || UnknownMember(*error)) {
      return Fail("commit", error.release());
    }
    std::cerr << "huntline run: changelog transaction aborted (" << error->str() << "): retrying ("
              << attempt << ")\n";
    std::unique_ptr<RdKafka::Error> aborted(producer_->abort_transaction(kTransactionTimeoutMs));
    in_transaction_ = false;
    if (aborted) return Fail("abort", aborted.release());
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    if (Status s = Begin(); !s.ok()) return s;
    for (const Message& message : messages_) {
      if (Status s = Produce(message); !s.ok()) return s;
    }
  }
  in_transaction_ = false;
  messages_.clear();
  producer_->poll(0);
  if (deliveries_.failed > 0) {
    // commit_transaction fails when a message does; this is a guard.
    return Status::Error("changelog: " + std::to_string(deliveries_.failed) +
                         " messages refused: " + deliveries_.first_error);
  }
  for (const auto& [where, prefix] : sent_) {
    auto it = deliveries_.last.find(where);
    if (it != deliveries_.last.end()) next[prefix] = it->second + 1;
  }
  return next;
}

Result<RestoreOutcome> ChangelogRestorer::Restore(const std::string& topic, int32_t partition,
                                                  const std::string& task_prefix,
                                                  const std::function<void(uint64_t, int64_t)>& progress) {
  const auto started = Clock::now();
  RestoreOutcome outcome;
  const std::string checkpoint_key = task_prefix + std::string(changelog::kCheckpoint);
  const std::string restoring_key = task_prefix + std::string(changelog::kRestoring);
  const std::optional<Checkpoint> checkpoint = StoredCheckpoint(store_, checkpoint_key);
  const bool interrupted = store_.Get(restoring_key).has_value();
  const bool local = store_.Get(task_prefix + "offsets").has_value() ||
                     store_.Get(task_prefix + "offset").has_value();

  // Where the changelog starts, and where it ends for a reader of committed messages only (the
  // last stable offset). Asked through `queries_`, which never fetches: the reader's broker
  // connection may hold a fetch of the previous restore, which the answer would wait behind.
  int64_t low = 0, high = 0;
  RdKafka::ErrorCode err = queries_.query_watermark_offsets(topic, partition, &low, &high, 10000);
  if (err != RdKafka::ERR_NO_ERROR) {
    return Status::Error("changelog " + topic + "/" + std::to_string(partition) +
                         ": start offset: " + RdKafka::err2str(err));
  }
  std::vector<RdKafka::TopicPartition*> tps = {
      RdKafka::TopicPartition::create(topic, partition, RdKafka::Topic::OFFSET_END)};
  err = queries_.offsetsForTimes(tps, 10000);
  const int64_t end = tps[0]->offset();
  const RdKafka::ErrorCode end_err = tps[0]->err();
  RdKafka::TopicPartition::destroy(tps);
  if (err != RdKafka::ERR_NO_ERROR || end_err != RdKafka::ERR_NO_ERROR || end < 0) {
    return Status::Error("changelog " + topic + "/" + std::to_string(partition) + ": end offset: " +
                         RdKafka::err2str(err != RdKafka::ERR_NO_ERROR ? err : end_err));
  }

  // A transaction still open after the end (a previous owner killed while writing; it is
  // aborted when its transaction times out, or at once when that instance starts again) holds
  // the last stable offset back: what was committed after it is not read. What is read is a
  // consistent state, but the messages after it continue another: this instance's state is
  // logged in full at its first commit, after an epoch message, so that a restore never mixes
  // the two.
  const bool pending = high > end;
  int64_t from = low;
  bool wipe = true;
  // Without a checkpoint, the stored state gives way to the changelog only if the changelog has
  // something committed: one that holds nothing (new, or aborted transactions only) leaves the
  // stored state, which the next logged commit then copies to it in full.
  bool wipe_on_first_message = false;
  if (interrupted) {
    outcome.note = "an earlier restore was cut short: rebuilding from the changelog";
  } else if (checkpoint && checkpoint->offset > end) {
    // The changelog holds less than the state was written to: it was deleted and made again.
    storage::WriteBatch forget;
    forget.Delete(checkpoint_key);
    if (Status s = store_.Write(forget); !s.ok()) return s;
    outcome.note = "the changelog ends at " + std::to_string(end) + ", before the stored state's " +
                   std::to_string(checkpoint->offset) + ": keeping the stored state and logging it in full";
    return outcome;
  } else if (checkpoint && checkpoint->offset >= low &&
             WallClockNow() - checkpoint->written <= kCheckpointTrustedMs) {
    from = checkpoint->offset;
    wipe = false;
    outcome.note = "stored state at changelog offset " + std::to_string(checkpoint->offset);
  } else if (checkpoint) {
    // Compaction drops a tombstone delete.retention.ms (a day by default) after it is written:
    // catching up from an older checkpoint could miss deletions.
    outcome.note = checkpoint->offset < low
                       ? "records below the stored state's changelog offset were deleted: rebuilding"
                       : "the stored state's checkpoint is older than deletions are kept: rebuilding";
  } else if (local) {
    wipe = false;
    wipe_on_first_message = true;
    outcome.note = "the stored state is not on the changelog: rebuilding from the changelog";
  } else {
    outcome.note = "no stored state: restoring from the changelog";
  }
  changelog::Applier applier(store_, task_prefix);
  if (pending) {
    outcome.note += "; a transaction is open after offset " + std::to_string(end) +
                    ": the state will be logged in full";
  }
  if (from >= end && !wipe && !wipe_on_first_message) {
    // Nothing to read: the stored state is the changelog's, as of its end.
    if (!checkpoint || checkpoint->offset != end || pending) {
      if (Status s = applier.Finish(end, !pending); !s.ok()) return s;
    }
    outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return outcome;
  }
  if (!wipe_on_first_message) {
    if (Status s = applier.Begin(wipe); !s.ok()) return s;
  }
  bool begun = !wipe_on_first_message;
  if (from < end) {
    std::vector<RdKafka::TopicPartition*> assign = {RdKafka::TopicPartition::create(topic, partition, from)};
    err = reader_.assign(assign);
    RdKafka::TopicPartition::destroy(assign);
    if (err != RdKafka::ERR_NO_ERROR) return Status::Error("changelog reader: " + RdKafka::err2str(err));
    auto last_look = Clock::now();
    auto last_progress = Clock::now();
    auto last_delivery = Clock::now();
    int64_t position = from;
    while (position < end) {
      std::unique_ptr<RdKafka::Message> message(reader_.consume(100));
      const auto now = Clock::now();
      if (message->err() == RdKafka::ERR_NO_ERROR) {
        last_delivery = now;
        position = message->offset() + 1;
        const std::string_view key(
            message->key_pointer() ? static_cast<const char*>(message->key_pointer()) : "",
            message->key_pointer() ? message->key_len() : 0);
        const std::optional<std::string_view> value =
            message->payload() ? std::optional<std::string_view>(std::string_view(
                                     static_cast<const char*>(message->payload()), message->len()))
                               : std::nullopt;
        if (!begun) {
          if (Status s = applier.Begin(/*wipe=*/true); !s.ok()) return s;
          begun = true;
        }
        if (Status s = applier.Apply(key, value); !s.ok()) return s;
        if (now - last_look < std::chrono::milliseconds(100)) continue;
      } else if (message->err() == RdKafka::ERR__AUTO_OFFSET_RESET) {
        // Records below the position were deleted while it read: what it restored has a hole.
        reader_.unassign();
        return Status::Error("changelog " + topic + "/" + std::to_string(partition) + ": " + message->errstr() +
                             " (records deleted while restoring); the next start restores again");
      } else if (message->err() != RdKafka::ERR__TIMED_OUT && message->err() != RdKafka::ERR__PARTITION_EOF) {
        std::cerr << "huntline run: changelog reader: " << message->errstr() << "\n";
      }
      // Commit markers and aborted messages are passed, not delivered: the position says.
      last_look = now;
      std::vector<RdKafka::TopicPartition*> at = {RdKafka::TopicPartition::create(topic, partition)};
      if (reader_.position(at) == RdKafka::ERR_NO_ERROR && at[0]->offset() >= 0) {
        position = std::max(position, at[0]->offset());
      }
      RdKafka::TopicPartition::destroy(at);
      if (progress && now - last_progress >= std::chrono::seconds(5)) {
        last_progress = now;
        progress(applier.records(), end - position);
      }
      if (now - last_delivery > std::chrono::minutes(5)) {
        reader_.unassign();
        return Status::Error("changelog " + topic + "/" + std::to_string(partition) +
                             ": nothing read for 5 minutes at offset " + std::to_string(position) +
                             " of " + std::to_string(end));
      }
    }
    reader_.unassign();
  }
  if (!begun) {
    outcome.note = "the changelog holds nothing committed: keeping the stored state and logging it in full";
  } else if (Status s = applier.Finish(end, !pending); !s.ok()) {
    return s;
  }
  outcome.records = applier.records();
  outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return outcome;
}

std::set<int32_t> StandbyReplicas::followed() const {
  std::set<int32_t> out;
  for (const auto& [p, copy] : copies_) out.insert(p);
  return out;
}

Status StandbyReplicas::Follow(const std::set<int32_t>& partitions) {
  for (auto it = copies_.begin(); it != copies_.end();) {
    const int32_t p = (it++)->first;
    if (partitions.contains(p)) continue;
    Stop(p);
    // Kept elsewhere now: its keys would only take disk, and age.
    for (const std::string& prefix : changelog::StatePrefixes(task_prefix_(p))) {
      if (Status s = store_.DeleteRange(prefix, prefix + "\xff"); !s.ok()) return s;
    }
    std::cerr << "huntline run: no longer keeping a standby copy of " << topic_ << "/" << p << "\n";
  }
  for (int32_t p : partitions) {
    if (copies_.contains(p)) continue;
    if (Status s = Start(p, false); !s.ok()) {
      std::cerr << "huntline run: standby copy of " << topic_ << "/" << p << " not started: " << s.message()
                << "\n";
    }
  }
  return Status::Ok();
}

void StandbyReplicas::Release(int32_t partition) {
  if (copies_.contains(partition)) Stop(partition);
}

void StandbyReplicas::Stop(int32_t partition) {
  std::vector<RdKafka::TopicPartition*> tps = {RdKafka::TopicPartition::create(topic_, partition)};
  std::unique_ptr<RdKafka::Error> error(reader_.incremental_unassign(tps));
  RdKafka::TopicPartition::destroy(tps);
  if (error) std::cerr << "huntline run: standby reader: " << error->str() << "\n";
  auto it = copies_.find(partition);
  if (it != copies_.end() && !it->second.applier->Discard()) {
    std::cerr << "huntline run: the standby copy of " << topic_ << "/" << partition
              << " stopped in the middle of a large write: it will be restored in full\n";
  }
  copies_.erase(partition);
}

Status StandbyReplicas::Start(int32_t partition, bool from_start) {
  const std::string prefix = task_prefix_(partition);
  const std::optional<Checkpoint> checkpoint =
      StoredCheckpoint(store_, prefix + std::string(changelog::kCheckpoint));
  const bool interrupted = store_.Get(prefix + std::string(changelog::kRestoring)).has_value();
  int64_t low = 0, high = 0;
  RdKafka::ErrorCode err = queries_.query_watermark_offsets(topic_, partition, &low, &high, 5000);
  if (err != RdKafka::ERR_NO_ERROR) return Status::Error("its start offset: " + RdKafka::err2str(err));
  // As a restore decides (ChangelogRestorer): a recent checkpoint within the changelog is where
  // the copy goes on from; anything else starts the copy again from the changelog's start.
  const bool usable = !from_start && checkpoint && !interrupted && checkpoint->offset >= low &&
                      checkpoint->offset <= high && WallClockNow() - checkpoint->written <= kCheckpointTrustedMs;
  const int64_t from = usable ? checkpoint->offset : low;
  Copy copy;
  copy.applier = std::make_unique<changelog::Applier>(store_, prefix);
  copy.next = from;
  copy.wiped = !usable;
  copy.written = Clock::now();
  if (Status s = copy.applier->Begin(/*wipe=*/!usable); !s.ok()) return s;
  std::vector<RdKafka::TopicPartition*> tps = {RdKafka::TopicPartition::create(topic_, partition, from)};
  std::unique_ptr<RdKafka::Error> error(reader_.incremental_assign(tps));
  RdKafka::TopicPartition::destroy(tps);
  // Wiped and marked already: the next start, whenever, copies from the changelog's start.
  if (error) return Status::Error("assigning it: " + error->str());
  copies_[partition] = std::move(copy);
  std::cerr << "huntline run: keeping a standby copy of " << topic_ << "/" << partition << " from offset "
            << from << (usable ? " (its checkpoint)" : " (the changelog's start)") << "\n";
  return Status::Ok();
}

Status StandbyReplicas::Write(Copy& copy, int64_t next) {
  if (Status s = copy.applier->Finish(next); !s.ok()) return s;
  copy.held = 0;
  copy.wiped = false;
  copy.written = Clock::now();
  return copy.applier->Begin(/*wipe=*/false);
}

Status StandbyReplicas::Poll(std::chrono::milliseconds budget) {
  if (copies_.empty()) return Status::Ok();
  const auto until = Clock::now() + budget;
  while (Clock::now() < until) {
    std::unique_ptr<RdKafka::Message> message(reader_.consume(0));
    if (message->err() == RdKafka::ERR__TIMED_OUT) break;
    auto it = copies_.find(message->partition());
    if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      if (it == copies_.end()) continue;
      it->second.at_end = true;
      it->second.next = std::max(it->second.next, message->offset());
      continue;
    }
    if (message->err() == RdKafka::ERR__AUTO_OFFSET_RESET && it != copies_.end()) {
      // Records below where the copy reads were deleted: it is copied again from the start.
      std::cerr << "huntline run: standby copy of " << topic_ << "/" << message->partition() << ": "
                << message->errstr() << ": copying it again from the changelog's start\n";
      const int32_t p = message->partition();
      Stop(p);
      if (Status s = Start(p, true); !s.ok()) {
        std::cerr << "huntline run: standby copy of " << topic_ << "/" << p << " not started: " << s.message() << "\n";
      }
      continue;
    }
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      std::cerr << "huntline run: standby reader: " << message->errstr() << "\n";
      continue;
    }
    if (it == copies_.end()) continue;  // of a copy stopped since it was fetched
    const std::string_view key(message->key_pointer() ? static_cast<const char*>(message->key_pointer()) : "",
                               message->key_pointer() ? message->key_len() : 0);
    const std::optional<std::string_view> value =
        message->payload()
            ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(message->payload()), message->len()))
            : std::nullopt;
    if (Status s = it->second.applier->Apply(key, value); !s.ok()) return s;
    it->second.next = message->offset() + 1;
    it->second.at_end = false;
    ++it->second.held;
    ++records_;
  }
  const auto now = Clock::now();
  for (auto& [p, copy] : copies_) {
    // What was applied is written now; a copy with nothing new that is at the end has its
    // checkpoint's time renewed now and then (see kCheckpointTrustedMs).
    const bool renew = copy.at_end && now - copy.written >= std::chrono::hours(1);
    if (copy.held > 0 || (copy.wiped && copy.at_end) || renew) {
      if (Status s = Write(copy, copy.next); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

}  // namespace huntline::engine
