#include "processors/pipeline_processor.h"

#include <algorithm>
#include <cmath>

#include "processors/classify.h"
#include "storage/codec.h"

namespace huntline::processors {
namespace {

constexpr uint64_t kDealVersion = 1;
constexpr uint64_t kAccountVersion = 1;
constexpr double kUnitsPerAmount = 10000.0;
constexpr int64_t kOneDeal = 10000;

int64_t Units(double amount) { return std::llround(amount * kUnitsPerAmount); }
double FromUnits(int64_t units) { return static_cast<double>(units) / kUnitsPerAmount; }

bool IsNewBusiness(const ingest::OpportunityUpserted& d) {
  return d.type == ingest::OpportunityType::kNewBusiness;
}

std::string_view StageBand(ingest::Stage stage) {
  switch (stage) {
    case ingest::Stage::kProspecting:
    case ingest::Stage::kDiscovery:
      return "early";
    case ingest::Stage::kSolution:
    case ingest::Stage::kProposal:
      return "mid";
    default:
      return "late";
  }
}

std::string_view OriginName(ingest::Origin origin) {
  return ingest::Name(origin, ingest::kOriginNames);
}

}  // namespace

PipelineProcessor::Families PipelineProcessor::Declare(metrics::Catalog& catalog) {
  using metrics::Kind;
  Families f;
  f.open_amount = catalog.Declare({"huntline_pipeline_open_amount",
                                   "Open new-business amount, by the owner's team, stage band "
                                   "(early, mid, late) and origin",
                                   Kind::kGauge,
                                   {"team", "stage_band", "origin"}});
  f.open_deals = catalog.Declare({"huntline_pipeline_open_deals",
                                  "Open new-business deals, by team, stage band and origin",
                                  Kind::kGauge,
                                  {"team", "stage_band", "origin"}});
  f.created_amount = catalog.Declare(
      {"huntline_pipeline_created_amount_total",
       "New-business amount created (when a deal is first seen as new business), by origin",
       Kind::kCounter,
       {"team", "origin"}});
  f.created_deals = catalog.Declare({"huntline_pipeline_created_deals_total",
                                     "New-business deals created, by origin",
                                     Kind::kCounter,
                                     {"team", "origin"}});
  f.quarter_amount = catalog.Declare(
      {"huntline_pipeline_quarter_amount",
       "Open new-business amount whose close date falls in this fiscal quarter",
       Kind::kGauge,
       {"team"}});
  f.won_quarter_amount = catalog.Declare(
      {"huntline_won_quarter_amount",
       "Won new-business amount whose close date falls in this fiscal quarter",
       Kind::kGauge,
       {"team"}});
  f.pushes = catalog.Declare({"huntline_close_date_pushes_total",
                              "Times an open new-business deal's close date was moved later",
                              Kind::kCounter,
                              {"team"}});
  f.slipped = catalog.Declare({"huntline_pipeline_slipped_deals",
                               "Open new-business deals pushed into a later quarter at least twice",
                               Kind::kGauge,
                               {"team"}});
  f.stale = catalog.Declare({"huntline_pipeline_stale_deals",
                             "Open new-business deals created 30+ days ago with no activity on "
                             "their account in the last 30 days",
                             Kind::kGauge,
                             {"team"}});
  f.priority_linked = catalog.Declare(
      {"huntline_pipeline_priority_linked_amount",
       "Open new-business amount tied to a top priority of the customer's executives",
       Kind::kGauge,
       {"team"}});
  f.closed = catalog.Declare({"huntline_deals_closed_total",
                              "New-business deals closed, by result (won, lost) and loss reason "
                              "(none when won)",
                              Kind::kCounter,
                              {"team", "origin", "result", "reason"}});
  f.flow = catalog.Declare({"huntline_pipeline_flow_amount_total",
                            "Ledger of open new-business amount per team and fiscal quarter of the "
                            "close date: inflows (created, increased, moved_in, reopened) minus "
                            "outflows (decreased, moved_out, won, lost) equal the open amount",
                            Kind::kCounter,
                            {"team", "quarter", "change"}});
  return f;
}

void PipelineProcessor::Flow(ProcessorContext& context, std::string_view team, int quarter,
                             std::string_view change, double amount) {
  context.metrics.Add(families_.flow, {team, FiscalCalendar::Label(quarter), change}, amount);
}

void PipelineProcessor::ApplySnapshot(const ingest::OpportunityUpserted& a, Timestamp time,
                                      ProcessorContext& context) {
  const auto& before = *context.opportunity_before;
  Deal& deal = deals_[a.opportunity_id];
  const std::string old_team = deal.team;
  // The owner's team as of the snapshot (metrics.md: "as of the deal's latest snapshot").
  const std::string new_team(context.org.At(time).TeamOf(a.owner_id));
  const FiscalCalendar& fiscal = context.settings.fiscal;
  const int new_quarter = fiscal.QuarterOf(a.close_date);
  const bool a_nb = IsNewBusiness(a);
  const bool a_open = ingest::IsOpen(a.stage);

  if (a_nb && !deal.ever_new_business) {
    deal.ever_new_business = true;
    context.metrics.Add(families_.created_amount, {new_team, OriginName(a.origin)}, a.amount);
    context.metrics.Add(families_.created_deals, {new_team, OriginName(a.origin)}, 1);
  }

  // "won" / "lost" when the deal enters a closed stage from open or is first seen closed; only
  // the former takes amount out of the ledger (a deal first seen closed never put any in).
  std::string_view close_change;
  bool closes_open_amount = false;
  if (!before) {
    if (a_nb && a_open) Flow(context, new_team, new_quarter, "created", a.amount);
    if (a_nb && !a_open) close_change = a.stage == ingest::Stage::kClosedWon ? "won" : "lost";
  } else {
    const auto& b = before->data;
    const bool b_nb = IsNewBusiness(b);
    const bool b_open = before->open();
    const int old_quarter = fiscal.QuarterOf(b.close_date);
    if (a_nb && b_open && a.close_date > b.close_date) {
      context.metrics.Add(families_.pushes, {new_team}, 1);
      if (new_quarter > old_quarter) ++deal.quarter_pushes;
    }
    // A type change is read first, then the stage change (metrics.md).
    if (b_nb && !a_nb) {
      if (b_open) Flow(context, old_team, old_quarter, "moved_out", b.amount);
    } else if (!b_nb && a_nb) {
      if (b_open) {
        Flow(context, new_team, new_quarter, "moved_in", a.amount);
      } else if (a_open) {
        Flow(context, new_team, new_quarter, "reopened", a.amount);
      }
    } else if (b_nb && a_nb) {
      if (b_open) {
        if (old_team != new_team || old_quarter != new_quarter) {
          Flow(context, old_team, old_quarter, "moved_out", b.amount);
          Flow(context, new_team, new_quarter, "moved_in", b.amount);
        }
        if (a.amount > b.amount) Flow(context, new_team, new_quarter, "increased", a.amount - b.amount);
        if (a.amount < b.amount) Flow(context, new_team, new_quarter, "decreased", b.amount - a.amount);
      } else if (a_open) {
        Flow(context, new_team, new_quarter, "reopened", a.amount);
      }
    }
    if (a_nb && b_open && !a_open) {
      close_change = a.stage == ingest::Stage::kClosedWon ? "won" : "lost";
      closes_open_amount = true;
    }
  }
  if (!close_change.empty()) {
    if (closes_open_amount) Flow(context, new_team, new_quarter, close_change, a.amount);
    const bool won = close_change == "won";
    const std::string_view reason =
        won ? std::string_view("none")
            : a.loss_reason ? ingest::Name(*a.loss_reason, ingest::kLossReasonNames)
                            : std::string_view("other");
    context.metrics.Add(families_.closed, {new_team, OriginName(a.origin), close_change, reason}, 1);
  }
  deal.team = new_team;
  dirty_deals_.insert(a.opportunity_id);
}

void PipelineProcessor::AddGauge(Deal& deal, metrics::Shard& shard, metrics::Shard::SeriesRef ref,
                                 int64_t units) {
  int64_t& total = totals_[ref.entry];
  total += units;
  shard.Set(ref, FromUnits(total));
  deal.gauges.emplace_back(ref, units);
}

void PipelineProcessor::AdjustQuarter(QuarterTotals& totals, metrics::FamilyId family,
                                      const QuarterShare& share, int64_t sign,
                                      metrics::Shard& shard) {
  auto& by_quarter = totals[share.team];
  int64_t& total = by_quarter[share.quarter];
  total += sign * share.units;
  if (current_quarter_ == share.quarter) shard.Set(family, {share.team}, FromUnits(total));
}

void PipelineProcessor::SetCurrentQuarter(int quarter, metrics::Shard& shard) {
  if (current_quarter_ == quarter) return;
  current_quarter_ = quarter;
  for (auto [totals, family] : {std::pair{&open_by_quarter_, families_.quarter_amount},
                                std::pair{&won_by_quarter_, families_.won_quarter_amount}}) {
    for (const auto& [team, by_quarter] : *totals) {
      auto it = by_quarter.find(quarter);
      shard.Set(family, {team}, it == by_quarter.end() ? 0.0 : FromUnits(it->second));
    }
  }
}

Timestamp PipelineProcessor::StaleAt(const ingest::OpportunityUpserted& d,
                                     const Settings& settings) const {
  const Timestamp window = Settings::Days(settings.stale_deal_days);
  Timestamp due = d.created_at + window;
  if (const Timestamp* last = last_activity_.Find(d.account_id)) due = std::max(due, *last + window);
  return due;
}

void PipelineProcessor::Refresh(const std::string& opportunity_id, ProcessorContext& context) {
  metrics::Shard& shard = context.metrics;
  Deal& deal = deals_[opportunity_id];
  for (const auto& [ref, units] : deal.gauges) {
    int64_t& total = totals_[ref.entry];
    total -= units;
    shard.Set(ref, FromUnits(total));
  }
  deal.gauges.clear();
  if (deal.open_in) AdjustQuarter(open_by_quarter_, families_.quarter_amount, *deal.open_in, -1, shard);
  if (deal.won_in) AdjustQuarter(won_by_quarter_, families_.won_quarter_amount, *deal.won_in, -1, shard);
  deal.open_in.reset();
  deal.won_in.reset();
  deal.stale = false;

  Timestamp stale_at = kNoTime;
  const Opportunity* opp = context.crm.FindOpportunity(opportunity_id);
  if (opp && IsNewBusiness(opp->data)) {
    const auto& d = opp->data;
    const std::string& team = deal.team;
    const QuarterShare share{team, context.settings.fiscal.QuarterOf(d.close_date), Units(d.amount)};
    if (opp->open()) {
      // A team with open deals shows its slipped and stale counts, 0 included, from the start.
      shard.Ref(families_.slipped, {team});
      shard.Ref(families_.stale, {team});
      const std::string_view band = StageBand(d.stage);
      const std::string_view origin = OriginName(d.origin);
      AddGauge(deal, shard, shard.Ref(families_.open_amount, {team, band, origin}), share.units);
      AddGauge(deal, shard, shard.Ref(families_.open_deals, {team, band, origin}), kOneDeal);
      if (d.customer_priority.value_or(false)) {
        AddGauge(deal, shard, shard.Ref(families_.priority_linked, {team}), share.units);
      }
      if (deal.quarter_pushes >= 2) {
        AddGauge(deal, shard, shard.Ref(families_.slipped, {team}), kOneDeal);
      }
      const Timestamp due = StaleAt(d, context.settings);
      deal.stale = context.now >= due;
      if (deal.stale) {
        AddGauge(deal, shard, shard.Ref(families_.stale, {team}), kOneDeal);
      } else {
        stale_at = due;
      }
      deal.open_in = share;
      AdjustQuarter(open_by_quarter_, families_.quarter_amount, share, 1, shard);
    } else if (d.stage == ingest::Stage::kClosedWon) {
      deal.won_in = share;
      AdjustQuarter(won_by_quarter_, families_.won_quarter_amount, share, 1, shard);
    }
  }
  stale_timers_.Set(opportunity_id, stale_at);
}

void PipelineProcessor::Process(const ingest::Event& event, ProcessorContext& context) {
  if (event.type == ingest::EventType::kOpportunityUpserted) {
    const auto& opp = event.As<ingest::OpportunityUpserted>();
    ApplySnapshot(opp, event.time, context);
    Refresh(opp.opportunity_id, context);
  } else if (event.type == ingest::EventType::kActivityLogged) {
    const auto account = AccountOfActivity(event.As<ingest::ActivityLogged>(), context.crm);
    if (!account) return;
    const Timestamp* last = last_activity_.Find(*account);
    if (last && event.time <= *last) return;
    last_activity_.Mutable(*account) = event.time;
    // Only a deal counted stale changes figures; the others just see their stale time move.
    std::vector<std::string> refresh;
    context.crm.ForEachOpportunity(*account, [&](const Opportunity& o) {
      if (!o.open() || !IsNewBusiness(o.data)) return;
      const Timestamp due = StaleAt(o.data, context.settings);
      if (deals_[o.data.opportunity_id].stale || context.now >= due) {
        refresh.push_back(o.data.opportunity_id);
      } else {
        stale_timers_.Set(o.data.opportunity_id, due);
      }
    });
    for (const auto& id : refresh) Refresh(id, context);
  }
}

void PipelineProcessor::OnTime(ProcessorContext& context) {
  SetCurrentQuarter(context.settings.fiscal.QuarterOf(DayOf(context.now)), context.metrics);
  for (const std::string& id : stale_timers_.PopDue(context.now)) Refresh(id, context);
}

void PipelineProcessor::Resume(ProcessorContext& context) {
  if (context.now != kNoTime) {
    SetCurrentQuarter(context.settings.fiscal.QuarterOf(DayOf(context.now)), context.metrics);
  }
  std::vector<std::string> ids;
  context.crm.ForEachOpportunity([&](const Opportunity& o) { ids.push_back(o.data.opportunity_id); });
  for (const auto& id : ids) {
    Refresh(id, context);
    context.crm.Trim();  // nothing changed is held here: the records read need not stay
  }
}

void PipelineProcessor::Flush(const std::function<void(std::string_view, std::string_view)>& put) {
  for (const std::string& id : dirty_deals_) {
    const Deal& deal = deals_.at(id);
    put("d/" + id, storage::Encoder()
                       .U64(kDealVersion)
                       .Str(deal.team)
                       .U64(deal.ever_new_business ? 1 : 0)
                       .U64(deal.quarter_pushes)
                       .str());
  }
  dirty_deals_.clear();
  last_activity_.Flush([&](std::string_view account, const Timestamp& time) {
    put("a/" + std::string(account), storage::Encoder().U64(kAccountVersion).I64(time).str());
  });
  stale_timers_.Flush();
}

bool PipelineProcessor::DecodeLastActivity(std::string_view value, Timestamp* out) {
  storage::Decoder r(value);
  if (r.U64() != kAccountVersion) return false;
  *out = r.I64();
  return r.ok();
}

void PipelineProcessor::Open(storage::KvStore* store, const std::string& prefix, const std::string& scratch_prefix,
                  size_t cache_entries) {
  last_activity_ = storage::WriteBackCache<Timestamp>(store, prefix + "a/", cache_entries, DecodeLastActivity);
  stored_ = store != nullptr;
  stale_timers_.Open(store, scratch_prefix + "timers/", cache_entries);
}

Status PipelineProcessor::Restore(std::string_view key, std::string_view value) {
  storage::Decoder r(value);
  if (key.starts_with("d/")) {
    if (r.U64() != kDealVersion) return Status::Error("unknown deal record version");
    Deal& deal = deals_[std::string(key.substr(2))];
    deal.team = r.Str();
    deal.ever_new_business = r.U64() != 0;
    deal.quarter_pushes = static_cast<uint32_t>(r.U64());
  } else if (key.starts_with("a/")) {
    if (r.U64() != kAccountVersion) return Status::Error("unknown account record version");
    const Timestamp time = r.I64();
    if (!stored_) last_activity_.Mutable(key.substr(2)) = time;  // else read when needed
  } else {
    return Status::Error("unknown pipeline record " + std::string(key));
  }
  if (!r.ok()) return Status::Error("corrupt pipeline record " + std::string(key));
  return Status::Ok();
}

void RegisterPipelineProcessors(ProcessorRegistry& registry) {
  const auto families = PipelineProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kCrm,
               [families] { return std::make_unique<PipelineProcessor>(families); });
}

}  // namespace huntline::processors
