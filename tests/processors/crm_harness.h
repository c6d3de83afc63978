#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/task.h"
#include "processors/processor.h"
#include "tests/processors/test_events.h"

namespace huntline::processors::testing {

/// One crm (or people) partition's task with every processor Huntline registers, fed events
/// directly: the same path the engine takes (org changes, engine time moving to each event's
/// time, then the task), with the metric shard read back by family name and label values.
class CrmHarness {
 public:
  explicit CrmHarness(Settings settings = {}, ingest::TopicKind kind = ingest::TopicKind::kCrm)
      : settings_(std::move(settings)), kind_(kind) {
    RegisterAllProcessors(registry_);
    task_ = NewTask();
    task_->Resume(org_, settings_, now_);
  }

  /// Commits the task's state to a store, drops the task and restores a new one from the store,
  /// as a restart does (the org tables are re-read in full, so they are kept).
  void Restart() {
    storage::WriteBatch batch;
    task_->Flush(batch);
    ASSERT_TRUE(store_.Write(batch).ok());
    task_ = NewTask();
    ASSERT_TRUE(task_->Restore(store_).ok());
    task_->Resume(org_, settings_, now_);
  }

  /// Caps the series of each family of the task's shard (limits.max_series_per_family).
  void LimitSeries(size_t max_series) {
    limit_.max_series_per_family = max_series;
    limit_.refused.assign(catalog_.size(), 0);
    task_->shard().Limit(&limit_);
  }

  void Org(const ingest::Event& event) {
    AdvanceTo(event.time);
    if (org_.Apply(event) == ApplyOutcome::kApplied && org_.last_change()) {
      task_->OnOrgChange(*org_.last_change(), org_, settings_);
    }
  }
  metrics::EventResult Crm(ingest::EventType type, Timestamp time, ingest::EventData data) {
    AdvanceTo(time);
    return task_->Handle(Wrap(type, time, std::move(data), "e-" + std::to_string(++ids_)), org_,
                         settings_, now_);
  }
  void Lead(Timestamp time, ingest::LeadUpserted lead) {
    Crm(ingest::EventType::kLeadUpserted, time, std::move(lead));
  }
  void Opportunity(Timestamp time, ingest::OpportunityUpserted opp) {
    Crm(ingest::EventType::kOpportunityUpserted, time, std::move(opp));
  }
  void Activity(Timestamp time, ingest::ActivityLogged activity) {
    Crm(ingest::EventType::kActivityLogged, time, std::move(activity));
  }
  /// Engine time moves on with no event of this partition (another partition's, or the clock).
  void AdvanceTo(Timestamp time) {
    if (time <= now_) return;
    now_ = time;
    task_->AdvanceTo(now_, org_, settings_);
  }

  /// The value of one series (0 when it does not exist).
  double Value(std::string_view family, std::vector<std::string> labels) const {
    auto id = catalog_.Find(family);
    EXPECT_TRUE(id.has_value()) << family;
    if (!id) return 0;
    std::string key;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) key.push_back(metrics::kLabelSeparator);
      key += labels[i];
    }
    const auto& series = task_->shard().series(*id);
    auto it = series.find(key);
    return it == series.end() ? 0 : it->second.value;
  }
  /// The sum of a family's series (over every label value).
  double Sum(std::string_view family) const {
    double sum = 0;
    for (const auto& [key, cell] : task_->shard().series(*catalog_.Find(family))) sum += cell.value;
    return sum;
  }
  /// Every non-zero series of a family, as "label1,label2=value" lines, sorted.
  std::vector<std::string> NonZero(std::string_view family) const {
    std::vector<std::string> out;
    for (const auto& [key, cell] : task_->shard().series(*catalog_.Find(family))) {
      if (cell.value == 0) continue;
      std::string labels = key;
      for (char& c : labels) c = c == metrics::kLabelSeparator ? ',' : c;
      char value[64];
      std::snprintf(value, sizeof value, "%g", cell.value);
      out.push_back(labels + "=" + value);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Timestamp now() const { return now_; }
  const OrgTables& org() const { return org_; }

 private:
  std::unique_ptr<engine::Task> NewTask() {
    return std::make_unique<engine::Task>(std::string(ingest::kTopicKindNames[static_cast<size_t>(kind_)]), 0,
                                          Partitioning{}, kind_, registry_.Create(kind_), catalog_);
  }

  Settings settings_;
  ingest::TopicKind kind_;
  storage::MemoryKvStore store_;
  metrics::Catalog catalog_;
  metrics::SeriesLimit limit_;
  ProcessorRegistry registry_{catalog_};
  OrgTables org_;
  std::unique_ptr<engine::Task> task_;
  Timestamp now_ = kNoTime;
  int ids_ = 0;
};

}  // namespace huntline::processors::testing
