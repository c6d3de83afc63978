#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "processors/processor.h"
#include "processors/timer_queue.h"
#include "storage/write_back_cache.h"

namespace huntline::processors {

/// The new-business pipeline of one crm partition (metrics.md, "New-business pipeline"): open
/// amount and deals by stage band and origin, this quarter's pipeline and wins, pushes, slipped,
/// stale and priority-linked deals, created and closed deals, and the flow ledger.
///
/// Counters are posted from the change between a deal's previous snapshot and its new one. Gauges
/// are each deal's current contribution, taken back and re-added whenever the deal, its account's
/// activity or engine time changes it; amounts are summed in fixed point (1/10000 of a currency
/// unit) so that a gauge returns to exactly 0. Staleness arrives by an event-time timer; a new
/// fiscal quarter re-reads this quarter's figures from per-(team, quarter) totals.
class PipelineProcessor : public Processor {
 public:
  struct Families {
    metrics::FamilyId open_amount, open_deals;
    metrics::FamilyId created_amount, created_deals;
    metrics::FamilyId quarter_amount, won_quarter_amount;
    metrics::FamilyId pushes, slipped, stale, priority_linked;
    metrics::FamilyId closed, flow;
  };
  static Families Declare(metrics::Catalog& catalog);

  explicit PipelineProcessor(Families families) : families_(families) {}
  std::string_view name() const override { return "pipeline"; }
  void Process(const ingest::Event& event, ProcessorContext& context) override;
  void OnTime(ProcessorContext& context) override;
  void Resume(ProcessorContext& context) override;
  void Flush(const std::function<void(std::string_view, std::string_view)>& put) override;
  Status Restore(std::string_view key, std::string_view value) override;
  void Open(storage::KvStore* store, const std::string& prefix, const std::string& scratch_prefix,
            size_t cache_entries) override;
  void Trim() override {
    last_activity_.Trim();
    stale_timers_.Trim();
  }

 private:
  /// A share of one (team, fiscal quarter) total.
  struct QuarterShare {
    std::string team;
    int quarter = 0;
    int64_t units = 0;
  };
  struct Deal {
    // Persisted.
    std::string team;  // the owner's team as of the latest snapshot
    bool ever_new_business = false;
    uint32_t quarter_pushes = 0;  // pushes into a later quarter while open and new business
    // Derived: what the deal adds to the gauges now.
    std::vector<std::pair<metrics::Shard::SeriesRef, int64_t>> gauges;
    std::optional<QuarterShare> open_in;
    std::optional<QuarterShare> won_in;
    bool stale = false;
  };
  using QuarterTotals = StringMap<std::map<int, int64_t>>;  // team → quarter → units

  void ApplySnapshot(const ingest::OpportunityUpserted& after, Timestamp time,
                     ProcessorContext& context);
  void Refresh(const std::string& opportunity_id, ProcessorContext& context);
  /// When an open deal stops being fresh: created_at and the account's last activity, plus the window.
  Timestamp StaleAt(const ingest::OpportunityUpserted& d, const Settings& settings) const;
  void AddGauge(Deal& deal, metrics::Shard& shard, metrics::Shard::SeriesRef ref, int64_t units);
  void AdjustQuarter(QuarterTotals& totals, metrics::FamilyId family, const QuarterShare& share,
                     int64_t sign, metrics::Shard& shard);
  void SetCurrentQuarter(int quarter, metrics::Shard& shard);
  void Flow(ProcessorContext& context, std::string_view team, int quarter, std::string_view change,
            double amount);

  Families families_;
  StringMap<Deal> deals_;
  StringSet dirty_deals_;
  /// Account → latest activity time (`a/<account>`); read by const StaleAt.
  mutable storage::WriteBackCache<Timestamp> last_activity_{nullptr, "", 0, DecodeLastActivity};
  bool stored_ = false;  // last_activity_ reads the store (Open)
  static bool DecodeLastActivity(std::string_view value, Timestamp* out);
  std::unordered_map<const void*, int64_t> totals_;  // gauge series → its sum, in units
  QuarterTotals open_by_quarter_;
  QuarterTotals won_by_quarter_;
  std::optional<int> current_quarter_;
  TimerQueue stale_timers_;
};

void RegisterPipelineProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
