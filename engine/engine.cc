#include "engine/engine.h"

#include <array>
#include <chrono>
#include <iostream>
#include <stdexcept>

#include "metrics/history.h"
#include "storage/codec.h"

namespace huntline::engine {
namespace {

constexpr size_t TypeIndex(ingest::EventType type) { return static_cast<size_t>(type); }


}  // namespace

Engine::Engine(const processors::ProcessorRegistry& registry, const metrics::Catalog& catalog,
               storage::KvStore& store, ingest::DeadLetterSink& dead_letters,
               metrics::EngineMetrics& engine_metrics, metrics::PublishedMetrics& published,
               Options options)
    : registry_(registry),
      catalog_(catalog),
      store_(store),
      dead_letters_(dead_letters),
      engine_metrics_(engine_metrics),
      published_(published),
      options_(std::move(options)),
      org_(options_.org_store, options_.org_cache_entries),
      global_shard_(catalog) {
  series_limit_.max_series_per_family = static_cast<size_t>(options_.settings.max_series_per_family);
  series_limit_.refused.assign(catalog.size(), 0);
  refused_published_.assign(catalog.size(), 0);
  global_shard_.Limit(&series_limit_);
  if (auto families = registry_.org_figures()) org_figures_.emplace(*families);
  for (auto kind : {ingest::TopicKind::kOrg, ingest::TopicKind::kCrm, ingest::TopicKind::kPeople}) {
    counters_[static_cast<size_t>(kind)] = &engine_metrics_.ForTopic(options_.topics.Of(kind));
  }
  // Every reason is exposed from the start at 0, so rates and alerts see a series to work on.
  for (std::string_view reason : ingest::kRejectReasonNames) engine_metrics_.DeadLetters(reason);
}

metrics::EngineMetrics::TopicCounters& Engine::CountersFor(ingest::TopicKind kind) {
  return *counters_[static_cast<size_t>(kind)];
}

Result<std::map<int32_t, int64_t>> Engine::Assign(ingest::TopicKind kind, int32_t partition,
                                                 int32_t partition_count) {
  const int32_t id = TaskPartition(kind, partition);
  auto key = std::make_pair(kind, id);
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    // The crm task reads every partition and so answers for every key.
    const processors::Partitioning partitioning =
        id == kAllPartitions ? processors::Partitioning{0, 1, options_.partitioner}
                             : processors::Partitioning{partition, partition_count, options_.partitioner};
    auto task = std::make_unique<Task>(options_.topics.Of(kind), id, partitioning, kind,
                                       registry_.Create(kind), catalog_,
                                       TaskOptions{options_.history, options_.event_time,
                                                   options_.durable, options_.history_rewrite,
                                                   options_.state_cache_entries});
    task->shard().Limit(&series_limit_);
    if (Status s = task->Restore(store_); !s.ok()) {
      return Status::Error("restoring " + task->prefix() + ": " + s.message());
    }
    // Live, a task resumes at its own stored time and reads its backlog as the history it is;
    // it follows engine time only once it has caught up. In replay every task follows it.
    if (options_.live) task->StartWithBacklog();
    task->Resume(org_, options_.settings, options_.live ? kNoTime : now_);
    it = tasks_.emplace(key, std::move(task)).first;
    UpdateCatchingUp();
  }
  return it->second->next_offsets();
}

Status Engine::Revoke(ingest::TopicKind kind, int32_t partition) {
  if (Status s = Commit(); !s.ok()) return s;
  tasks_.erase({kind, TaskPartition(kind, partition)});
  UpdateCatchingUp();
  PublishSnapshot();
  return Status::Ok();
}

void Engine::Drop(ingest::TopicKind kind, int32_t partition) {
  tasks_.erase({kind, TaskPartition(kind, partition)});
  UpdateCatchingUp();
  PublishSnapshot();
}

Status Engine::CheckPartitionCount(const std::string& topic, int32_t partitions) {
  const std::string key = "topics/" + topic + "/partitions";
  const std::string count = std::to_string(partitions);
  if (std::optional<std::string> built_with = store_.Get(key)) {
    if (*built_with == count) return Status::Ok();
    return Status::Error(topic + " has " + count + " partitions, but the state was built with " +
                         *built_with +
                         ": its keys now go to other partitions than the ones holding their state "
                         "(README, \"Transactions, partitions and retention\")");
  }
  storage::WriteBatch batch;
  batch.Put(key, count);
  return store_.Write(batch);
}

int32_t Engine::TaskPartition(ingest::TopicKind kind, int32_t partition) {
  return kind == ingest::TopicKind::kCrm ? kAllPartitions : partition;
}

Task* Engine::TaskFor(ingest::TopicKind kind, int32_t partition) {
  auto it = tasks_.find({kind, TaskPartition(kind, partition)});
  return it == tasks_.end() ? nullptr : it->second.get();
}

metrics::EventResult Engine::Reject(const ingest::RawMessage& message,
                                    const ingest::Rejection& why,
                                    metrics::EngineMetrics::TopicCounters& counters,
                                    size_t type_index) {
  if (Status s = dead_letters_.Send(message, why, WallClockNow()); !s.ok() && sink_error_.ok()) {
    sink_error_ = std::move(s);  // surfaced by the next Commit(), before offsets move past it
  }
  engine_metrics_.DeadLetters(ingest::kRejectReasonNames[static_cast<size_t>(why.reason)])
      .Increment();
  counters.Get(type_index, metrics::EventResult::kRejected).Increment();
  return metrics::EventResult::kRejected;
}

void Engine::ForgetOrgEntity(const std::string& id) {
  engine_metrics_.org_tombstones().Increment();
  for (const processors::OrgChange& change : org_.Forget(id)) DeliverOrgChange(change);
}

void Engine::DeliverOrgChange(const processors::OrgChange& change) {
  if (org_figures_) org_figures_->Note(change);
  // A task whose time is past the change hears of it now; the others when they get there.
  for (auto& [key, task] : tasks_) {
    if (task->OnOrgChange(change, org_, options_.settings)) {
      engine_metrics_.LateOrgChanges(task->topic()).Increment();
      ++late_org_changes_;
    }
  }
}

metrics::EventResult Engine::Apply(ingest::TopicKind kind, int32_t partition,
                                   const ingest::Event& event) {
  metrics::EventResult result;
  if (kind == ingest::TopicKind::kOrg) {
    if (!org_.MarkSeen(event.source, event.id)) {
      result = metrics::EventResult::kDuplicate;
    } else {
      result = org_.Apply(event) == processors::ApplyOutcome::kStale
                   ? metrics::EventResult::kStale
                   : metrics::EventResult::kAccepted;
      if (result == metrics::EventResult::kAccepted && org_.last_change()) {
        DeliverOrgChange(*org_.last_change());
        PruneOrgHistory();
      }
    }
  } else {
    Task* task = TaskFor(kind, partition);
    if (!task) {
      auto assigned = Assign(kind, partition);
      if (!assigned.ok()) throw std::runtime_error(assigned.status().message());
      task = TaskFor(kind, partition);
    }
    // A task's time is its own events' (metrics.md, "Engine time"): never moved by the org topic
    // or another partition while it reads a backlog.
    task->AdvanceTo(event.time, org_, options_.settings);
    result = task->Handle(event, org_, options_.settings, task->now());
  }
  CountersFor(kind).Get(TypeIndex(event.type), result).Increment();
  return result;
}

void Engine::Decode(const ingest::RawMessage& message, DecodedMessage* out) {
  out->ok = decoder_.Decode(message, &out->event, &out->why);
}

metrics::EventResult Engine::HandleMessage(ingest::TopicKind kind,
                                           const ingest::RawMessage& message) {
  Decode(message, &scratch_);
  return HandleDecoded(kind, message, scratch_);
}

metrics::EventResult Engine::HandleDecoded(ingest::TopicKind kind, const ingest::RawMessage& message,
                                           DecodedMessage& decoded) {
  // Whatever becomes of it, the message is handled: the partition's next offset passes it.
  if (kind != ingest::TopicKind::kOrg) {
    Task* task = TaskFor(kind, message.partition);
    if (!task) {
      auto assigned = Assign(kind, message.partition);
      if (!assigned.ok()) throw std::runtime_error(assigned.status().message());
      task = TaskFor(kind, message.partition);
    }
    task->set_next_offset(message.partition, message.offset + 1);
  }
  if (kind == ingest::TopicKind::kOrg && message.tombstone && !message.key.empty()) {
    ForgetOrgEntity(std::string(message.key));
    return metrics::EventResult::kAccepted;
  }
  if (!decoded.ok) return Reject(message, decoded.why, CountersFor(kind), metrics::kUnknownTypeIndex);
  const ingest::Event& event = decoded.event;
  ingest::Rejection why;
  if (ingest::TopicOf(event.type) != kind) {
    why.reason = ingest::RejectReason::kInvalidValue;
    why.detail = "type: " + std::string(ingest::kEventTypeNames[TypeIndex(event.type)]) +
                 " does not belong on " + options_.topics.Of(kind) + " (its topic is " +
                 options_.topics.Of(ingest::TopicOf(event.type)) + ")";
    return Reject(message, why, CountersFor(kind), TypeIndex(event.type));
  }
  // A people partition holds each person's calendar whole: an event under another key would
  // split it between two tasks (events.md, "Topics and keys").
  if (kind == ingest::TopicKind::kPeople && options_.live) {
    const std::string key = ingest::KeyOf(event);
    if (message.key != key) {
      why.reason = ingest::RejectReason::kWrongKey;
      why.detail = "key: \"" + std::string(message.key) + "\" does not match the event's person \"" +
                   key + "\" (" + options_.topics.people + " is keyed by the person whose calendar or "
                   "task list it is)";
      return Reject(message, why, CountersFor(kind), TypeIndex(event.type));
    }
  }
  if (TooFarAhead(event, &why)) return Reject(message, why, CountersFor(kind), TypeIndex(event.type));
  latest_event_time_ = std::max(latest_event_time_, event.time);
  const metrics::EventResult result = Apply(kind, message.partition, event);
  if (options_.live && result == metrics::EventResult::kAccepted) {
    engine_metrics_.event_time_lag().Observe(static_cast<double>(WallClockNow() - event.time) / 1000.0);
  }
  return result;
}

bool Engine::TooFarAhead(const ingest::Event& event, ingest::Rejection* why) const {
  const Timestamp seen = std::max(latest_event_time_, now_);
  if (seen == kNoTime) return false;
  const Timestamp limit = processors::Settings::Days(options_.settings.max_time_jump_days);
  if (event.time - seen < limit) return false;
  why->reason = ingest::RejectReason::kInvalidValue;
  why->detail = "time: " + FormatRfc3339(event.time) + " is " +
                std::to_string((event.time - seen) / kMillisPerDay) + " days after the latest time seen (" +
                FormatRfc3339(seen) + "); thresholds.max_time_jump_days is " +
                std::to_string(options_.settings.max_time_jump_days);
  return true;
}

std::optional<metrics::EventResult> Engine::HandleReplayLine(const ingest::RawMessage& message,
                                                             std::optional<Timestamp> as_of) {
  Decode(message, &scratch_);
  if (!scratch_.ok) {
    return Reject(message, scratch_.why, CountersFor(ingest::TopicKind::kCrm),
                  metrics::kUnknownTypeIndex);
  }
  const ingest::Event& event = scratch_.event;
  if (as_of && event.time > *as_of) return std::nullopt;
  const ingest::TopicKind kind = ingest::TopicOf(event.type);
  if (ingest::Rejection why; TooFarAhead(event, &why)) {
    return Reject(message, why, CountersFor(kind), TypeIndex(event.type));
  }
  latest_event_time_ = std::max(latest_event_time_, event.time);
  // An org snapshot is in force from its own time on ("at or before"): applied before time
  // reaches it, so what settles at that very moment sees it, as a live run (which reads the org
  // topic first) does. The tasks hear of it as their time reaches it.
  if (kind == ingest::TopicKind::kOrg) {
    const metrics::EventResult result = Apply(kind, 0, event);
    if (event.time > now_) AdvanceTime(event.time);
    return result;
  }
  if (event.time > now_) AdvanceTime(event.time);
  return Apply(kind, 0, event);
}

void Engine::AdvanceTime(Timestamp now) {
  if (now > now_) {
    // The figures derived from the global tables, as they stood when each day ended.
    if (options_.history && now_ != kNoTime && DayOf(now) > DayOf(now_)) {
      QueueGlobalHistory(DayOf(now_));
    }
    now_ = now;
    engine_metrics_.engine_time().Set(static_cast<double>(now_) / 1000.0);
  }
  if (now_ == kNoTime) return;
  // Every caught-up task is brought to engine time, also one that caught up since it last moved.
  // Each records its own days as its time crosses them.
  for (auto& [key, task] : tasks_) {
    if (task->caught_up()) task->AdvanceTo(std::min(now_, task->follow_until()), org_, options_.settings);
  }
}

void Engine::SetCaughtUp(ingest::TopicKind kind, int32_t partition, bool read_to_end,
                         Timestamp until) {
  Task* task = TaskFor(kind, partition);
  if (!task) return;
  task->set_caught_up(read_to_end, until);
  if (read_to_end) task->set_backlog_read();
  UpdateCatchingUp();
}

void Engine::UpdateCatchingUp() {
  size_t catching_up = 0;
  for (const auto& [key, task] : tasks_) catching_up += task->backlog_read() ? 0 : 1;
  catching_up_ = catching_up;
}

Status Engine::SetPublished(ingest::TopicKind kind, int32_t partition, bool published) {
  Task* task = TaskFor(kind, partition);
  if (!task || task->published() == published) return Status::Ok();
  task->set_published(published);
  // An instance that takes over publishing a task may be behind the one that published it: it
  // shows the task again only once it has read to the end as asked from now (SetCaughtUp), so
  // the task's counters never go back.
  if (published && options_.live) task->ConfirmBacklogAgain();
  UpdateCatchingUp();
  // Published from what is committed, never ahead of it.
  return Commit();
}

void Engine::PruneOrgHistory() {
  // Versions are kept for org_history_days before the earliest task's time (and all of them
  // while a task has not started).
  Timestamp earliest = INT64_MAX;
  for (const auto& [key, task] : tasks_) earliest = std::min(earliest, task->now());
  if (tasks_.empty() || earliest == kNoTime || DayOf(earliest) == org_pruned_day_) return;
  org_pruned_day_ = DayOf(earliest);
  // Every task is past the changes before its day: the log keeps them in the store only.
  org_.KeepPendingFrom(StartOfDay(DayOf(earliest)));
  org_.Prune(earliest - processors::Settings::Days(options_.settings.org_history_days));
}

void Engine::RecordHistoryNow() {
  if (!options_.history || now_ == kNoTime) return;
  for (const auto& [key, task] : tasks_) {
    for (auto& part : metrics::History::Encode(catalog_, task->shard(), DayOf(task->now()),
                                               task->prefix(), options_.history_rewrite)) {
      history_.push_back(std::move(part));
    }
  }
  QueueGlobalHistory(DayOf(now_));
}

void Engine::DeleteLeftOverHistoryParts() {
  // A record written (or deleted) where a larger version of it was leaves parts over: they are
  // deleted with it, on the topic as in the store.
  using metrics::History;
  std::vector<std::pair<std::string, std::string>> deletions;
  for (const auto& [key, value] : history_) {
    uint64_t parts = 0;
    if (!value.empty()) {
      auto part = History::DecodePart(value);
      if (!part.ok() || part->index != 0) continue;
      parts = part->count;
    }
    for (auto& left_over : History::LeftOverParts(store_, key, parts)) {
      deletions.emplace_back(std::move(left_over), "");
    }
  }
  for (auto& deletion : deletions) history_.push_back(std::move(deletion));
}

void Engine::QueueGlobalHistory(Day day) {
  using metrics::History;
  if (org_figures_) org_figures_->Refresh(org_.At(now_), global_shard_);
  for (auto& part : History::Encode(catalog_, global_shard_, day, "global/", options_.history_rewrite)) {
    history_.push_back(std::move(part));
  }
  history_.push_back({History::KeyOf(day - History::kRetentionDays, "global/"), ""});
}

Status Engine::LogChanges(const Task& task, const storage::WriteBatch& batch, size_t first) {
  ChangelogSink& log = *options_.changelog;
  if (!task.checkpoint()) {
    // The stored state holds changes the changelog lacks (or the changelog is new): a full copy
    // of it first, after the epoch message that tells a restore to forget what came before.
    const auto started = std::chrono::steady_clock::now();
    const std::string epoch = task.prefix() + std::string(changelog::kEpoch);
    if (Status s = log.Send(task, epoch, std::string_view("1")); !s.ok()) return s;
    uint64_t records = 0;
    for (const std::string& prefix : changelog::StatePrefixes(task.prefix())) {
      Status sent = Status::Ok();
      Status scan = store_.Scan(prefix, [&](std::string_view key, std::string_view value) {
        if (sent.ok() && !changelog::LocalOnly(key, task.prefix())) {
          sent = log.Send(task, key, value);
          ++records;
        }
      });
      if (!scan.ok()) return scan;
      if (!sent.ok()) return sent;
    }
    std::cerr << "huntline run: " << task.prefix() << ": a full copy of the state (" << records
              << " records) sent to the changelog in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
              << " s\n";
  }
  const auto& ops = batch.ops();
  for (size_t i = first; i < ops.size(); ++i) {
    const auto& [key, value] = ops[i];
    if (changelog::LocalOnly(key, task.prefix())) continue;
    Status s = value ? log.Send(task, key, std::string_view(*value))
                     : log.Send(task, key, std::nullopt);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Engine::Commit(bool publish) {
  if (!sink_error_.ok()) return sink_error_;
  // The batch before is written first (with write-behind it has had this batch's processing to
  // be): nothing of this one leaves (history, changelog, offsets) if that write failed.
  if (Status s = store_.Settle(); !s.ok()) return s;
  if (Status s = dead_letters_.Flush(); !s.ok()) return s;
  PruneOrgHistory();
  storage::WriteBatch batch;
  // The day records, sent to the history topic before the state that made them is stored: a
  // crash in between sends them again, the same.
  for (auto& [key, task] : tasks_) {
    for (auto& record : task->TakeHistory()) history_.push_back(std::move(record));
  }
  DeleteLeftOverHistoryParts();
  if (options_.history_sink && !history_.empty()) {
    for (const auto& [key, value] : history_) {
      if (Status s = options_.history_sink->Send(key, value); !s.ok()) return s;
    }
    if (Status s = options_.history_sink->Flush(); !s.ok()) return s;
  }
  for (const auto& [key, value] : history_) {
    if (value.empty()) {
      batch.Delete(key);
    } else {
      batch.Put(key, value);
    }
  }
  history_.clear();
  std::vector<const Task*> logged;
  for (auto& [key, task] : tasks_) {
    if (!options_.durable) {
      task->DiscardChanges();
      continue;
    }
    const size_t first = batch.size();
    task->Flush(batch);
    if (!options_.changelog || !options_.changelog->Logs(*task)) {
      // Changes the changelog will not have: the stored state no longer mirrors it.
      if (task->checkpoint()) {
        batch.Delete(task->prefix() + std::string(changelog::kCheckpoint));
        task->set_checkpoint(std::nullopt);
      }
      continue;
    }
    if (Status s = LogChanges(*task, batch, first); !s.ok()) return s;
    logged.push_back(task.get());
  }
  if (!logged.empty()) {
    auto next = options_.changelog->Commit(logged);
    if (!next.ok()) return next.status();
    for (const Task* task : logged) {
      auto it = next->find(task->prefix());
      if (it == next->end()) continue;
      batch.Put(task->prefix() + std::string(changelog::kCheckpoint), changelog::CheckpointValue(it->second));
      tasks_.at({task->kind(), task->partition()})->set_checkpoint(it->second);
    }
  }
  if (!batch.empty()) {
    const auto start = std::chrono::steady_clock::now();
    // With a WriteBehindKvStore (huntline run), the write goes on while the next events are
    // applied: this waits only for the one before.
    if (Status s = store_.WriteBehind(std::move(batch)); !s.ok()) return s;
    engine_metrics_.commit_duration().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    engine_metrics_.batches().Increment();
  }
  for (const auto& [key, task] : tasks_) task->Trim();
  for (const auto& [key, task] : tasks_) {
    if (task->watermark() != kNoTime) {
      engine_metrics_.Watermark(task->topic(), task->partition())
          .Set(static_cast<double>(task->watermark()) / 1000.0);
    }
    if (auto ids = task->seen_ids()) {
      engine_metrics_.DedupIds(task->topic(), task->partition()).Set(static_cast<double>(*ids));
    }
  }
  if (publish) PublishSnapshot();
  return Status::Ok();
}

void Engine::PublishSnapshot() {
  const auto started = std::chrono::steady_clock::now();
  if (org_figures_) org_figures_->Refresh(org_.At(now_), global_shard_);
  std::vector<metrics::PublishedShard> shards = {{&global_shard_, ""}};
  // With event time, engine time is the latest event time read: while the crm backlog (most of
  // the input) is still being read it lags the instance that published a task before, so a
  // people task taken over shows once the crm task has caught up too.
  const Task* crm_task = TaskFor(ingest::TopicKind::kCrm, kAllPartitions);
  const bool time_whole = !options_.event_time || !crm_task || crm_task->backlog_read();
  for (const auto& [key, task] : tasks_) {
    // A task restored or rebuilt shows nothing until it has read its backlog: a partial sum
    // published as if whole would make counters summed over instances go down, then up.
    if (!task->published() || !task->backlog_read()) continue;
    if (key.first == ingest::TopicKind::kPeople && options_.live && !time_whole) continue;
    // Live, a task's series carry its partition ("crm" for the crm task): they move whole with it.
    std::string label;
    if (options_.live) label = key.first == ingest::TopicKind::kCrm ? "crm" : std::to_string(task->partition());
    shards.push_back({&task->shard(), std::move(label)});
  }
  published_.Publish(metrics::MergeShards(catalog_, shards, &merge_cache_));
  // Set after the snapshot they describe: a scrape that reads these (engine metrics are
  // collected first) reads the figures of those tasks.
  for (size_t f = 0; f < refused_published_.size(); ++f) {
    if (series_limit_.refused[f] == refused_published_[f]) continue;
    engine_metrics_.SeriesRefused(catalog_.spec(static_cast<metrics::FamilyId>(f)).name)
        .Increment(static_cast<double>(series_limit_.refused[f] - refused_published_[f]));
    refused_published_[f] = series_limit_.refused[f];
  }
  engine_metrics_.assigned_partitions().Set(static_cast<double>(tasks_.size()));
  engine_metrics_.catching_up_partitions().Set(static_cast<double>(catching_up_));
  const Task* crm = TaskFor(ingest::TopicKind::kCrm, kAllPartitions);
  engine_metrics_.crm_publisher().Set(crm && crm->published() && crm->backlog_read() ? 1 : 0);
  last_publish_cost_ = std::chrono::steady_clock::now() - started;
  engine_metrics_.publish_duration().Observe(std::chrono::duration<double>(last_publish_cost_).count());
}

}  // namespace huntline::engine
