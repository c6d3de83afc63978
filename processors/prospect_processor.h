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
  void Open(storage::KvStore* store, const std::string& prefix, const std::string& scratch_prefix,
            size_t cache_entries) override;
  void Trim() override;

 private:
  /// What a key currently contributes to the gauges, by the labels of its series.
  struct View {
    bool counted = false;
    std::string owner;  // whose team the cell is counted under
    std::string team;   // the cell's labels: team, engagement, outcome
    Engagement engagement = Engagement::kUntouched;
    ProspectOutcome outcome = ProspectOutcome::kInPlay;
    std::vector<std::pair<std::string, std::string>> touched;  // (team, rep)
    std::vector<std::pair<std::string, std::string>> engaged;  // (team, rep)
    bool empty() const { return !counted && touched.empty() && engaged.empty(); }
    bool operator==(const View&) const = default;
    std::string Encode() const;
    static bool Decode(std::string_view value, View* out);
  };

  void Evaluate(std::string_view key, ProcessorContext& context);
  void EvaluateAll(ProcessorContext& context);
  /// Evaluates the keys whose gauges show this user: as a prospect's owner or a covering rep.
  void EvaluateShowing(std::string_view user_id, ProcessorContext& context);
  /// The team a gauge shows `user_id` under now, remembered as the team last shown.
  std::string_view ShowTeam(std::string_view user_id, ProcessorContext& context);
  /// Writes the derived state (views and timers) to its scratch keys, so it may leave memory.
  void FlushDerived();
  static bool DecodeFacts(std::string_view value, ProspectFacts* out) { return ProspectFacts::Decode(value, out); }
  static bool DecodeKeys(std::string_view value, std::vector<std::string>* out);
  static std::string EncodeKeys(const std::vector<std::string>& keys);

  Families families_;
  /// Each key's activity facts (`k/<key>`): in the store, those changed or used recently in memory.
  storage::WriteBackCache<ProspectFacts> facts_{nullptr, "", 0, DecodeFacts};
  /// Responders' contacts → the keys whose facts name them (`c/<contact>`).
  storage::WriteBackCache<std::vector<std::string>> keys_by_contact_{nullptr, "", 0, DecodeKeys};
  bool stored_ = false;  // the caches read the store (Open)
  bool contact_records_ = false;  // Restore() saw `c/` records (written since the index was stored)
  storage::KvStore* store_ = nullptr;
  std::string views_key_prefix_;  // scratch `v/`
  /// Derived: each key's view (scratch `v/<key>`), and its timer.
  storage::WriteBackCache<View> views_{nullptr, "", 0, View::Decode};
  /// The team each person was last shown under (as an owner or a covering rep): a user change
  /// that leaves it as it is moves nothing.
  StringMap<std::string> teams_shown_;
  TimerQueue timers_;
};

void RegisterProspectProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
