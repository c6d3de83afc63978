#include "engine/task.h"

#include <cstdio>

#include "metrics/history.h"
#include "storage/codec.h"

namespace huntline::engine {

Task::Task(std::string topic, int32_t partition, processors::Partitioning partitioning,
           ingest::TopicKind kind,
           std::vector<std::unique_ptr<processors::Processor>> processors,
           const metrics::Catalog& catalog, TaskOptions options)
    : topic_(std::move(topic)),
      options_(options),
      partition_(partition),
      partitioning_(partitioning),
      kind_(kind),
      prefix_(PrefixOf(topic_, partition)),
      catalog_(catalog),
      processors_(std::move(processors)),
      shard_(catalog),
      seen_(prefix_, nullptr) {}

std::string Task::PrefixOf(std::string_view topic, int32_t partition) {
  return "t/" + std::string(topic) + "/" +
         (partition == kAllPartitions ? std::string("all") : std::to_string(partition)) + "/";
}

processors::ProcessorContext Task::Context(const processors::OrgTables& org,
                                           const processors::Settings& settings, Timestamp now) {
  return processors::ProcessorContext{now, seq_, org.At(now), crm_, shard_, settings, partitioning_};
}

namespace {

std::map<int32_t, int64_t> DecodeOffsets(std::string_view value) {
  std::map<int32_t, int64_t> out;
  storage::Decoder r(value);
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    const auto partition = static_cast<int32_t>(r.I64());
    out[partition] = r.I64();
  }
  return out;
}

}  // namespace

std::map<int32_t, int64_t> Task::StoredOffsets(storage::KvStore& store, const std::string& prefix) {
  auto value = store.Get(prefix + "offsets");
  return value ? DecodeOffsets(*value) : std::map<int32_t, int64_t>{};
}

Status Task::Restore(storage::KvStore& store) {
  seen_ = SeenSet(prefix_, options_.durable ? &store : nullptr);
  crm_.Open(options_.durable ? &store : nullptr, prefix_ + "crm/", options_.state_cache_entries);
  // Derived state the processors keep in the store is made again from the logged state.
  const std::string scratch = std::string(kScratchPrefix) + prefix_;
  if (options_.durable) {
    if (Status s = store.DeleteRangeUnlogged(scratch, scratch + "\xff"); !s.ok()) return s;
  }
  for (auto& p : processors_) {
    const std::string name = "p/" + std::string(p->name()) + "/";
    p->Open(options_.durable ? &store : nullptr, prefix_ + name, scratch + name, options_.state_cache_entries);
  }
  Status status = Status::Ok();
  auto fail = [&](Status s) {
    if (status.ok() && !s.ok()) status = std::move(s);
  };
  Status scan = store.Scan(prefix_, [&](std::string_view full_key, std::string_view value) {
    const std::string_view key = full_key.substr(prefix_.size());
    if (key == "offset") {  // written before a task could read several partitions
      storage::Decoder r(value);
      next_offsets_.try_emplace(partition_, r.I64());
      legacy_offset_key_ = true;
    } else if (key == "offsets") {
      for (const auto& [partition, offset] : DecodeOffsets(value)) next_offsets_[partition] = offset;
    } else if (key == "meta") {
      storage::Decoder r(value);
      seq_ = r.U64();
      watermark_ = r.I64();
      if (!r.done()) restored_now_ = r.I64();  // records written before it was kept have none
    } else if (key == "changelog") {
      checkpoint_ = storage::Decoder(value).I64();
    } else if (key.starts_with("crm/")) {
      fail(crm_.Restore(key.substr(4), value));
    } else if (key.starts_with("seen/")) {
      // The first formats kept a commit's ids in one record (seen/<n>, then seen/<day>/<n>):
      // they move to a record each, under the day of the task's watermark.
      storage::Decoder r(value);
      const Day day = watermark_ == kNoTime ? 0 : DayOf(watermark_);
      for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) seen_.Insert(r.Str(), day);
      seen_legacy_records_.emplace_back(full_key);
    } else if (key.starts_with("m/")) {
      const std::string_view rest = key.substr(2);
      const size_t slash = rest.find('/');
      auto family = catalog_.Find(rest.substr(0, slash));
      if (!family || slash == std::string_view::npos) return;  // a family no longer declared
      if (catalog_.spec(*family).kind == metrics::Kind::kGauge) return;
      storage::Decoder r(value);
      shard_.Restore(*family, std::string(rest.substr(slash + 1)), r.F64());
    } else if (key.starts_with("p/")) {
      const std::string_view rest = key.substr(2);
      const size_t slash = rest.find('/');
      for (auto& p : processors_) {
        if (p->name() == rest.substr(0, slash)) fail(p->Restore(rest.substr(slash + 1), value));
      }
    }
  });
  fail(std::move(scan));
  return status;
}

metrics::EventResult Task::Handle(const ingest::Event& event, const processors::OrgTables& org,
                                  const processors::Settings& settings, Timestamp now) {
  seen_key_.assign(event.source).push_back('\x1f');
  seen_key_.append(event.id);
  if (seen_.Contains(seen_key_)) return metrics::EventResult::kDuplicate;

  ++seq_;
  meta_dirty_ = true;
  processors::ApplyOutcome outcome = processors::ApplyOutcome::kApplied;
  lead_before_.reset();
  opportunity_before_.reset();
  if (event.type == ingest::EventType::kLeadUpserted) {
    outcome = crm_.ApplyLead(event.As<ingest::LeadUpserted>(), event.time, seq_, &lead_before_);
  } else if (event.type == ingest::EventType::kOpportunityUpserted) {
    outcome = crm_.ApplyOpportunity(event.As<ingest::OpportunityUpserted>(), event.time, seq_,
                                    &opportunity_before_);
  }
  seen_.Insert(seen_key_, DayOf(event.time));
  if (outcome == processors::ApplyOutcome::kStale) return metrics::EventResult::kStale;

  if (event.time > watermark_) watermark_ = event.time;
  if (settings.dedup_window_days > 0 && DayOf(watermark_) != seen_pruned_day_) {
    seen_pruned_day_ = DayOf(watermark_);
    seen_.Prune(seen_pruned_day_ - settings.dedup_window_days);
  }
  auto context = Context(org, settings, now);
  if (event.type == ingest::EventType::kLeadUpserted) context.lead_before = &lead_before_;
  if (event.type == ingest::EventType::kOpportunityUpserted) {
    context.opportunity_before = &opportunity_before_;
  }
  for (auto& p : processors_) p->Process(event, context);
  if (context.stale) return metrics::EventResult::kStale;
  if (context.late) return metrics::EventResult::kLate;
  return metrics::EventResult::kAccepted;
}

void Task::Resume(const processors::OrgTables& org, const processors::Settings& settings,
                  Timestamp now) {
  // Time never goes back for a task: not behind where it was before a restart, nor, when
  // engine time follows event time, behind its own latest event.
  now = std::max(now, restored_now_);
  if (options_.event_time) now = std::max(now, watermark_);
  now_ = now;
  org_cursor_ = {now_, UINT64_MAX};  // what took effect until now is in the tables as of now
  auto context = Context(org, settings, now);
  for (auto& p : processors_) p->Resume(context);
}

void Task::Deliver(const processors::OrgChange& change, const processors::OrgTables& org,
                   const processors::Settings& settings) {
  auto context = Context(org, settings, now_);
  for (auto& p : processors_) p->OnOrgChange(change, context);
}

bool Task::OnOrgChange(const processors::OrgChange& change, const processors::OrgTables& org,
                       const processors::Settings& settings) {
  if (now_ == kNoTime || change.time > now_) return false;
  Deliver(change, org, settings);
  return change.time < now_;
}

void Task::StepTo(Timestamp t, const processors::OrgTables& org,
                  const processors::Settings& settings) {
  auto move_to = [&](Timestamp to) {
    now_ = to;
    meta_dirty_ = true;
    auto context = Context(org, settings, to);
    for (auto& p : processors_) p->OnTime(context);
  };
  // Each day that ends on the way is recorded as it stood at its last instant: whatever was due
  // that day (a deal going stale, a block settling) is in it, nothing of the next day is.
  while (options_.history && now_ != kNoTime && DayOf(t) > DayOf(now_)) {
    const Day day = DayOf(now_);
    const Timestamp last_instant = StartOfDay(day + 1) - 1;
    if (last_instant > now_) move_to(last_instant);
    for (auto& part : metrics::History::Encode(catalog_, shard_, day, prefix_, options_.history_rewrite)) {
      history_.push_back(std::move(part));
    }
    history_.push_back({metrics::History::KeyOf(day - metrics::History::kRetentionDays, prefix_), ""});
    move_to(last_instant + 1);
  }
  if (t > now_) move_to(t);
}

void Task::AdvanceTo(Timestamp now, const processors::OrgTables& org,
                     const processors::Settings& settings) {
  if (now <= now_) return;
  if (now_ == kNoTime) {
    // A task with no past starts at its first moment, with the org tables as they stand then,
    // as a replay creates it at its first event: no day, block or window before it.
    Resume(org, settings, now);
    meta_dirty_ = true;
    return;
  }
  // Org snapshots read ahead of the task's time take effect as its time reaches them, between
  // the timers due before and after, as they would in a replay in event-time order.
  std::vector<processors::OrgChange> due;
  org.ForEachChange(org_cursor_, now, [&](const processors::OrgChange& c) { due.push_back(c); });
  for (const auto& change : due) {
    StepTo(change.time, org, settings);
    org_cursor_ = change.key();
    Deliver(change, org, settings);
  }
  StepTo(now, org, settings);
  org_cursor_ = {now_, UINT64_MAX};  // a change read later that takes effect before now is late
}

void Task::DiscardChanges() {
  offset_dirty_ = meta_dirty_ = false;
  crm_.FlushDirty([](const std::string&, const std::string&) {});
  shard_.ClearDirty();
  for (auto& p : processors_) p->Flush([](std::string_view, std::string_view) {});
}

std::vector<std::pair<std::string, std::string>> Task::TakeHistory() {
  std::vector<std::pair<std::string, std::string>> out;
  out.swap(history_);
  return out;
}

void Task::Flush(storage::WriteBatch& batch) {
  if (offset_dirty_ && !next_offsets_.empty()) {
    storage::Encoder e;
    e.U64(next_offsets_.size());
    for (const auto& [partition, offset] : next_offsets_) e.I64(partition).I64(offset);
    batch.Put(prefix_ + "offsets", e.str());
    if (legacy_offset_key_) batch.Delete(prefix_ + "offset");
    legacy_offset_key_ = false;
    offset_dirty_ = false;
  }
  if (meta_dirty_) {
    batch.Put(prefix_ + "meta", storage::Encoder().U64(seq_).I64(watermark_).I64(now_).str());
    meta_dirty_ = false;
  }
  seen_.Flush(batch);
  for (const std::string& key : seen_legacy_records_) batch.Delete(key);
  seen_legacy_records_.clear();
  crm_.FlushDirty([&](const std::string& key, const std::string& value) {
    batch.Put(prefix_ + "crm/" + key, value);
  });
  shard_.ForEachDirty([&](metrics::FamilyId family, const std::string& key, double value) {
    if (catalog_.spec(family).kind == metrics::Kind::kGauge) return;  // derived in Resume()
    batch.Put(prefix_ + "m/" + catalog_.spec(family).name + "/" + key,
              storage::Encoder().F64(value).str());
  });
  shard_.ClearDirty();
  for (auto& p : processors_) {
    const std::string base = prefix_ + "p/" + std::string(p->name()) + "/";
    p->Flush([&](std::string_view key, std::string_view value) {
      if (value.empty()) {
        batch.Delete(base + std::string(key));
      } else {
        batch.Put(base + std::string(key), value);
      }
    });
  }
}

}  // namespace huntline::engine
