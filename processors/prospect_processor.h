#pragma once

#include <string>
#include <vector>

#include "common/string_map.h"
#include "processors/processor.h"
#include "processors/prospect_rules.h"
#include "processors/timer_queue.h"
#include "storage/write_back_cache.h"

namespace huntline::processors {

/// The prospect matrix (`huntline_prospects{team,engagement,outcome}`) and target-account coverage
/// (`huntline_target_accounts_touched` / `_engaged{team,rep}`) of one crm partition.
///
/// Each key (account or `lead:<id>`) is re-evaluated when an event of its own arrives, when the
/// org tables change something it depends on, and when one of its windows closes (an event-time
/// timer armed for the earliest moment its cell could change with no event), so time passing
/// moves a prospect to `gone_cold` without any scan. Only the activity facts are persisted; cells
/// and timers are derived again on Resume().
class ProspectProcessor : public Processor {
 public:
  struct Families {
    metrics::FamilyId prospects;
    metrics::FamilyId touched;
    metrics::FamilyId engaged;
  };
  static Families Declare(metrics::Catalog& catalog);

  explicit ProspectProcessor(Families families) : families_(families) {}
  std::string_view name() const override { return "prospects"; }
  void Process(const ingest::Event& event, ProcessorContext& context) override;
  void OnTime(ProcessorContext& context) override;
  void OnOrgChange(const OrgChange& change, ProcessorContext& context) override;
  void Resume(ProcessorContext& context) override;
  void Flush(const std::function<void(std::string_view, std::string_view)>& put) override;
  Status Restore(std::string_view key, std::string_view value) override;
  void Open(storage::KvStore* store, const std::string& prefix, size_t cache_entries) override;
  void Trim() override { facts_.Trim(); }

 private:
  /// What a key currently contributes to the gauges.
  struct View {
    bool counted = false;
    metrics::Shard::SeriesRef cell;
    std::string owner;  // whose team the cell is counted under
    std::string team;   // the cell's labels, to skip the series lookup when nothing moved
    Engagement engagement = Engagement::kUntouched;
    ProspectOutcome outcome = ProspectOutcome::kInPlay;
    std::vector<metrics::Shard::SeriesRef> touched;
    std::vector<metrics::Shard::SeriesRef> engaged;
    bool empty() const { return !counted && touched.empty() && engaged.empty(); }
  };

  void Evaluate(std::string_view key, ProcessorContext& context);
  void EvaluateAll(ProcessorContext& context);
  /// Evaluates the keys whose gauges show this user: as a prospect's owner or a covering rep.
  void EvaluateShowing(std::string_view user_id, ProcessorContext& context);
  /// The team a gauge shows `user_id` under now, remembered as the team last shown.
  std::string_view ShowTeam(std::string_view user_id, ProcessorContext& context);
  static void Move(metrics::Shard& shard, std::vector<metrics::Shard::SeriesRef>& from,
                   std::vector<metrics::Shard::SeriesRef> to);
  static bool DecodeFacts(std::string_view value, ProspectFacts* out) { return ProspectFacts::Decode(value, out); }

  Families families_;
  /// Each key's activity facts (`k/<key>`): in the store, those changed or used recently in memory.
  storage::WriteBackCache<ProspectFacts> facts_{nullptr, "", 0, DecodeFacts};
  bool stored_ = false;  // facts_ reads the store (Open)
  StringMap<View> views_;
  StringMap<std::vector<std::string>> keys_by_contact_;  // responders' contacts → their keys
  /// The team each person was last shown under (as an owner or a covering rep): a user change
  /// that leaves it as it is moves nothing.
  StringMap<std::string> teams_shown_;
  TimerQueue timers_;
};

void RegisterProspectProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
