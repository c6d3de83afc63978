// The new-business pipeline (metrics.md, "New-business pipeline"), each rule with the smallest
// event stream that shows it.
#include <gtest/gtest.h>

#include "tests/processors/crm_harness.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::OpportunityType;
using ingest::Origin;
using ingest::Role;
using ingest::Stage;

const Timestamp kT0 = At("2026-08-03T10:00:00Z");  // FY2026-Q3 with the default calendar

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0));
    h.Org(MakeUser("u-ae", Role::kRep, "west", std::nullopt, kT0));
  }
  static ingest::OpportunityUpserted Deal(Stage stage, double amount, const char* close,
                                          std::string owner = "u-rep") {
    auto o = MakeOpportunity("o-1", "a-1", stage);
    o.amount = amount;
    o.close_date = *ParseDate(close);
    o.owner_id = std::move(owner);
    o.created_at = kT0;
    return o;
  }
  std::vector<std::string> Flow() { return h.NonZero("huntline_pipeline_flow_amount_total"); }
  CrmHarness h;
};

TEST_F(PipelineTest, ADealFirstSeenOpenIsCreatedAndOpenInItsBand) {
  auto o = Deal(Stage::kDiscovery, 120000, "2026-09-30");
  o.origin = Origin::kInbound;
  o.customer_priority = true;
  h.Opportunity(kT0, o);
  EXPECT_EQ(h.Value("huntline_pipeline_created_amount_total", {"east", "inbound"}), 120000);
  EXPECT_EQ(h.Value("huntline_pipeline_created_deals_total", {"east", "inbound"}), 1);
  EXPECT_EQ(h.NonZero("huntline_pipeline_open_amount"),
            std::vector<std::string>{"east,early,inbound=120000"});
  EXPECT_EQ(h.NonZero("huntline_pipeline_open_deals"), std::vector<std::string>{"east,early,inbound=1"});
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 120000);
  EXPECT_EQ(h.Value("huntline_pipeline_priority_linked_amount", {"east"}), 120000);
  EXPECT_EQ(Flow(), std::vector<std::string>{"east,FY2026-Q3,created=120000"});
  o.stage = Stage::kSolution;
  h.Opportunity(kT0 + 1, o);
  EXPECT_EQ(h.NonZero("huntline_pipeline_open_amount"),
            std::vector<std::string>{"east,mid,inbound=120000"});
  o.stage = Stage::kNegotiation;
  h.Opportunity(kT0 + 2, o);
  EXPECT_EQ(h.NonZero("huntline_pipeline_open_deals"), std::vector<std::string>{"east,late,inbound=1"});
  EXPECT_EQ(h.Value("huntline_pipeline_created_deals_total", {"east", "inbound"}), 1);  // once
}

TEST_F(PipelineTest, OtherDealTypesAreNotNewBusinessPipeline) {
  auto o = Deal(Stage::kDiscovery, 5000, "2026-09-30");
  o.type = OpportunityType::kRenewal;
  h.Opportunity(kT0, o);
  EXPECT_EQ(h.Sum("huntline_pipeline_open_amount"), 0);
  EXPECT_EQ(h.Sum("huntline_pipeline_created_deals_total"), 0);
  EXPECT_TRUE(Flow().empty());
}

TEST_F(PipelineTest, ClosingPostsWonOrLostAndCountsTheDealWithItsReason) {
  h.Opportunity(kT0, Deal(Stage::kProposal, 100, "2026-09-30"));
  auto lost = Deal(Stage::kClosedLost, 80, "2026-09-30");
  h.Opportunity(kT0 + 1, lost);
  EXPECT_EQ(Flow(), (std::vector<std::string>{"east,FY2026-Q3,created=100",
                                              "east,FY2026-Q3,decreased=20",
                                              "east,FY2026-Q3,lost=80"}));
  EXPECT_EQ(h.Value("huntline_deals_closed_total", {"east", "seller_sourced", "lost", "other"}), 1);
  EXPECT_EQ(h.Sum("huntline_pipeline_open_amount"), 0);
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 0);
  // Reopened, then won: the win counts, with reason `none`.
  h.Opportunity(kT0 + 2, Deal(Stage::kNegotiation, 90, "2026-09-30"));
  h.Opportunity(kT0 + 3, Deal(Stage::kClosedWon, 90, "2026-09-30"));
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"east", "FY2026-Q3", "reopened"}), 90);
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"east", "FY2026-Q3", "won"}), 90);
  EXPECT_EQ(h.Value("huntline_deals_closed_total", {"east", "seller_sourced", "won", "none"}), 1);
  EXPECT_EQ(h.Value("huntline_won_quarter_amount", {"east"}), 90);
  // Closed to closed is not a new close.
  auto lost_again = Deal(Stage::kClosedLost, 90, "2026-09-30");
  lost_again.loss_reason = ingest::LossReason::kPrice;
  h.Opportunity(kT0 + 4, lost_again);
  EXPECT_EQ(h.Sum("huntline_deals_closed_total"), 2);
  EXPECT_EQ(h.Value("huntline_won_quarter_amount", {"east"}), 0);
}

TEST_F(PipelineTest, ADealFirstSeenClosedCountsAsCreatedAndClosedButNeverEntersTheLedger) {
  auto o = Deal(Stage::kClosedLost, 500, "2026-09-30");
  o.loss_reason = ingest::LossReason::kCompetitor;
  h.Opportunity(kT0, o);
  EXPECT_EQ(h.Value("huntline_pipeline_created_deals_total", {"east", "seller_sourced"}), 1);
  EXPECT_EQ(h.Value("huntline_deals_closed_total", {"east", "seller_sourced", "lost", "competitor"}), 1);
  EXPECT_TRUE(Flow().empty());
}

TEST_F(PipelineTest, PushesCountLaterCloseDatesAndTwoQuarterCrossingsMakeADealSlipped) {
  h.Opportunity(kT0, Deal(Stage::kDiscovery, 100, "2026-08-20"));
  h.Opportunity(kT0 + 1, Deal(Stage::kDiscovery, 100, "2026-09-10"));  // later, same quarter
  h.Opportunity(kT0 + 2, Deal(Stage::kDiscovery, 100, "2026-09-01"));  // earlier: no push
  EXPECT_EQ(h.Value("huntline_close_date_pushes_total", {"east"}), 1);
  h.Opportunity(kT0 + 3, Deal(Stage::kDiscovery, 100, "2026-10-15"));  // into Q4
  EXPECT_EQ(h.Value("huntline_pipeline_slipped_deals", {"east"}), 0);
  h.Opportunity(kT0 + 4, Deal(Stage::kDiscovery, 100, "2027-01-15"));  // into FY2027-Q1
  EXPECT_EQ(h.Value("huntline_close_date_pushes_total", {"east"}), 3);
  EXPECT_EQ(h.Value("huntline_pipeline_slipped_deals", {"east"}), 1);
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 0);  // no longer this quarter
  EXPECT_EQ(Flow(), (std::vector<std::string>{
                        "east,FY2026-Q3,created=100", "east,FY2026-Q3,moved_out=100",
                        "east,FY2026-Q4,moved_in=100", "east,FY2026-Q4,moved_out=100",
                        "east,FY2027-Q1,moved_in=100"}));
  h.Opportunity(kT0 + 5, Deal(Stage::kClosedWon, 100, "2027-01-15"));
  EXPECT_EQ(h.Value("huntline_pipeline_slipped_deals", {"east"}), 0);  // open deals only
}

TEST_F(PipelineTest, ADealGoesStaleThirtyDaysAfterCreationAndItsAccountsLastActivity) {
  h.Opportunity(kT0, Deal(Stage::kDiscovery, 100, "2026-09-30"));
  h.Activity(kT0 + Days(10), MakeActivity("a-1"));
  h.AdvanceTo(kT0 + Days(40) - 1);
  EXPECT_EQ(h.Value("huntline_pipeline_stale_deals", {"east"}), 0);
  h.AdvanceTo(kT0 + Days(40));
  EXPECT_EQ(h.Value("huntline_pipeline_stale_deals", {"east"}), 1);
  h.Activity(kT0 + Days(41), MakeActivity("a-1"));  // any activity on the account revives it
  EXPECT_EQ(h.Value("huntline_pipeline_stale_deals", {"east"}), 0);
  h.AdvanceTo(kT0 + Days(71));
  EXPECT_EQ(h.Value("huntline_pipeline_stale_deals", {"east"}), 1);
}

TEST_F(PipelineTest, ANewOwnerOnAnotherTeamTakesTheAmountWithIt) {
  h.Opportunity(kT0, Deal(Stage::kProposal, 100, "2026-09-30"));
  h.Opportunity(kT0 + 1, Deal(Stage::kProposal, 150, "2026-09-30", "u-ae"));
  EXPECT_EQ(h.NonZero("huntline_pipeline_open_amount"),
            std::vector<std::string>{"west,mid,seller_sourced=150"});
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 0);
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"west"}), 150);
  EXPECT_EQ(Flow(), (std::vector<std::string>{
                        "east,FY2026-Q3,created=100", "east,FY2026-Q3,moved_out=100",
                        "west,FY2026-Q3,increased=50", "west,FY2026-Q3,moved_in=100"}));
}

TEST_F(PipelineTest, TheTeamIsTheOwnersAsOfTheDealsLatestSnapshot) {
  h.Opportunity(kT0, Deal(Stage::kProposal, 100, "2026-09-30"));
  h.Org(MakeUser("u-rep", Role::kRep, "north", std::nullopt, kT0 + 1));
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 100);  // until the next snapshot
  h.Opportunity(kT0 + 2, Deal(Stage::kProposal, 100, "2026-09-30"));
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"north"}), 100);
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"north", "FY2026-Q3", "moved_in"}), 100);
}

TEST_F(PipelineTest, ATypeChangeMovesTheDealOutOfOrIntoNewBusinessBeforeItsStage) {
  auto o = Deal(Stage::kProposal, 100, "2026-09-30");
  o.type = OpportunityType::kExpansion;
  h.Opportunity(kT0, o);
  o.type = OpportunityType::kNewBusiness;
  o.amount = 120;
  h.Opportunity(kT0 + 1, o);
  EXPECT_EQ(Flow(), std::vector<std::string>{"east,FY2026-Q3,moved_in=120"});
  EXPECT_EQ(h.Value("huntline_pipeline_created_amount_total", {"east", "seller_sourced"}), 120);
  o.type = OpportunityType::kRenewal;
  h.Opportunity(kT0 + 2, o);
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"east", "FY2026-Q3", "moved_out"}), 120);
  // Back to new business and closed won in the same snapshot: moved in, then won.
  o.type = OpportunityType::kNewBusiness;
  o.stage = Stage::kClosedWon;
  h.Opportunity(kT0 + 3, o);
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"east", "FY2026-Q3", "moved_in"}), 240);
  EXPECT_EQ(h.Value("huntline_pipeline_flow_amount_total", {"east", "FY2026-Q3", "won"}), 120);
  EXPECT_EQ(h.Value("huntline_deals_closed_total", {"east", "seller_sourced", "won", "none"}), 1);
  EXPECT_EQ(h.Value("huntline_pipeline_created_deals_total", {"east", "seller_sourced"}), 1);
}

TEST_F(PipelineTest, AStaleSnapshotChangesNothing) {
  h.Opportunity(kT0 + 10, Deal(Stage::kProposal, 100, "2026-09-30"));
  EXPECT_EQ(h.Crm(ingest::EventType::kOpportunityUpserted, kT0,
                  Deal(Stage::kClosedWon, 100, "2026-09-30")),
            metrics::EventResult::kStale);
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 100);
  EXPECT_EQ(h.Sum("huntline_deals_closed_total"), 0);
}

TEST_F(PipelineTest, ANewQuarterChangesWhatThisQuartersFiguresHold) {
  h.Opportunity(kT0, Deal(Stage::kProposal, 100, "2026-09-30"));
  auto next = Deal(Stage::kProposal, 70, "2026-11-30");
  next.opportunity_id = "o-2";
  h.Opportunity(kT0 + 1, next);
  auto won = Deal(Stage::kClosedWon, 30, "2026-10-05");
  won.opportunity_id = "o-3";
  h.Opportunity(kT0 + 2, won);
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 100);
  EXPECT_EQ(h.Value("huntline_won_quarter_amount", {"east"}), 0);
  h.AdvanceTo(At("2026-10-01T00:00:00Z"));  // the quarter turns while the engine runs
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 70);
  EXPECT_EQ(h.Value("huntline_won_quarter_amount", {"east"}), 30);
}

TEST(PipelineFiscalTest, QuartersFollowTheConfiguredFiscalYear) {
  Settings settings;
  settings.fiscal = FiscalCalendar(2);  // Feb 2026 – Jan 2027 is FY2027
  CrmHarness h(settings);
  h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0));
  auto o = MakeOpportunity("o-1", "a-1", Stage::kDiscovery);
  o.close_date = *ParseDate("2026-10-31");  // Aug–Oct is the third quarter of FY2027
  o.created_at = kT0;
  h.Opportunity(kT0, o);
  EXPECT_EQ(h.NonZero("huntline_pipeline_flow_amount_total"),
            std::vector<std::string>{"east,FY2027-Q3,created=1000"});
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 1000);
  h.AdvanceTo(At("2026-11-01T00:00:00Z"));
  EXPECT_EQ(h.Value("huntline_pipeline_quarter_amount", {"east"}), 0);
}

}  // namespace
}  // namespace huntline::processors
