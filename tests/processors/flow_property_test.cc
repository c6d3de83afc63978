// The pipeline flow ledger's identity (metrics.md): for every (team, quarter), inflows minus
// outflows equal the open new-business amount of that team's deals closing in that quarter, at
// every moment. Checked after every event of random streams of stage, amount, close-date, owner,
// type and team changes (with stale snapshots mixed in) against a model kept by the test itself.
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "tests/processors/crm_harness.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::OpportunityType;
using ingest::Role;
using ingest::Stage;

struct ModelDeal {
  ingest::OpportunityUpserted data;
  Timestamp time = kNoTime;
  std::string team;  // the owner's team when the latest snapshot was applied
};

class FlowPropertyTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(FlowPropertyTest, InflowsMinusOutflowsEqualTheOpenAmountAtEveryMoment) {
  std::mt19937 rng(GetParam());
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<std::string> owners = {"u-a", "u-b", "u-c"};
  const std::vector<std::string> teams = {"east", "west", "north"};
  std::map<std::string, std::string> team_of = {{"u-a", "east"}, {"u-b", "east"}, {"u-c", "west"}};
  const FiscalCalendar fiscal(1 + static_cast<int>(GetParam() % 12));
  Settings settings;
  settings.fiscal = fiscal;
  CrmHarness h(settings);
  Timestamp now = At("2026-01-05T09:00:00Z");
  for (const auto& [user, team] : team_of) h.Org(MakeUser(user, Role::kRep, team, std::nullopt, now));

  std::map<std::string, ModelDeal> model;
  const Day first_day = DayOf(now);
  for (int step = 0; step < 600; ++step) {
    now += uniform(1, 36) * kMillisPerHour;
    if (uniform(0, 30) == 0) {  // someone moves team; their deals follow at their next snapshot
      const std::string& user = owners[static_cast<size_t>(uniform(0, 2))];
      team_of[user] = teams[static_cast<size_t>(uniform(0, 2))];
      h.Org(MakeUser(user, Role::kRep, team_of[user], std::nullopt, now));
      continue;
    }
    const std::string id = "o-" + std::to_string(uniform(1, 12));
    auto it = model.find(id);
    ingest::OpportunityUpserted d;
    if (it == model.end()) {
      d = MakeOpportunity(id, "a-" + id, Stage::kProspecting);
      d.created_at = now;
      d.close_date = DayOf(now) + uniform(10, 200);
    } else {
      d = it->second.data;
    }
    switch (uniform(0, 7)) {
      case 0: d.stage = static_cast<Stage>(uniform(0, 6)); break;
      case 1: d.amount = 1000.0 * uniform(1, 90) + 0.25 * uniform(0, 3); break;
      case 2: d.close_date = first_day + uniform(0, 720); break;
      case 3: d.owner_id = owners[static_cast<size_t>(uniform(0, 2))]; break;
      case 4: d.type = static_cast<OpportunityType>(uniform(0, 2)); break;
      case 5:  // several changes at once
        d.stage = static_cast<Stage>(uniform(0, 6));
        d.type = static_cast<OpportunityType>(uniform(0, 2));
        d.amount = 1000.0 * uniform(1, 90);
        d.close_date = first_day + uniform(0, 720);
        break;
      default: d.stage = uniform(0, 1) ? Stage::kClosedWon : Stage::kClosedLost; break;
    }
    // Now and then a snapshot arrives late (older than the one held): it must change nothing.
    const bool stale = it != model.end() && uniform(0, 9) == 0;
    const Timestamp time = stale ? it->second.time - 1 : now;
    h.Opportunity(time, d);
    if (!stale) model[id] = ModelDeal{d, time, team_of[d.owner_id]};

    std::map<std::pair<std::string, int>, double> open;  // (team, quarter) → open NB amount
    std::map<std::string, double> open_by_team;
    for (const auto& [deal_id, deal] : model) {
      if (deal.data.type != OpportunityType::kNewBusiness || !ingest::IsOpen(deal.data.stage)) continue;
      open[{deal.team, fiscal.QuarterOf(deal.data.close_date)}] += deal.data.amount;
      open_by_team[deal.team] += deal.data.amount;
    }
    const int this_quarter = fiscal.QuarterOf(DayOf(h.now()));
    for (const std::string& team : teams) {
      for (int q = fiscal.QuarterOf(first_day) - 1; q <= fiscal.QuarterOf(first_day + 900); ++q) {
        const std::string label = FiscalCalendar::Label(q);
        auto flow = [&](const char* change) {
          return h.Value("huntline_pipeline_flow_amount_total", {team, label, change});
        };
        const double ledger = flow("created") + flow("increased") + flow("moved_in") +
                              flow("reopened") - flow("decreased") - flow("moved_out") -
                              flow("won") - flow("lost");
        const double expected = open.count({team, q}) ? open[{team, q}] : 0.0;
        ASSERT_NEAR(ledger, expected, 1e-6) << "step " << step << " " << team << " " << label;
        if (q == this_quarter) {
          ASSERT_EQ(h.Value("huntline_pipeline_quarter_amount", {team}), expected)
              << "step " << step << " " << team;
        }
      }
      double open_amount = 0;
      for (const char* band : {"early", "mid", "late"}) {
        open_amount += h.Value("huntline_pipeline_open_amount", {team, band, "seller_sourced"});
      }
      ASSERT_EQ(open_amount, open_by_team[team]) << "step " << step << " " << team;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, FlowPropertyTest, ::testing::Values(1u, 2u, 3u, 7u, 42u, 2026u));

}  // namespace
}  // namespace huntline::processors
