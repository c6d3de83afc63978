// The prospect matrix and target-account coverage (metrics.md, "Prospects"), each rule with the
// smallest event stream that shows it.
#include <gtest/gtest.h>

#include "tests/processors/crm_harness.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::ActivityOutcome;
using ingest::BuyingRole;
using ingest::LeadSource;
using ingest::LeadStatus;
using ingest::Relationship;
using ingest::Role;
using ingest::Stage;

const Timestamp kT0 = At("2026-08-03T10:00:00Z");

class ProspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0));
    h.Org(MakeUser("u-sdr", Role::kSdr, "west", std::nullopt, kT0));
  }
  double Cell(const std::string& team, const std::string& engagement, const std::string& outcome) {
    return h.Value("huntline_prospects", {team, engagement, outcome});
  }
  std::vector<std::string> Cells() { return h.NonZero("huntline_prospects"); }
  static ingest::ActivityLogged Act(std::string account, ActivityOutcome outcome,
                                    std::string actor = "u-rep",
                                    std::optional<std::string> contact = std::nullopt) {
    auto a = MakeActivity(std::move(account), std::nullopt, ingest::Direction::kOutbound,
                          std::move(actor));
    a.outcome = outcome;
    a.contact_id = std::move(contact);
    return a;
  }
  CrmHarness h;
};

TEST_F(ProspectTest, ATargetAccountWithNoEventIsUntouchedAndInPlay) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,in_play=1"});
}

TEST_F(ProspectTest, CustomersAndPartnersAreNeverProspects) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kCustomer, "u-rep", {"u-rep"}, kT0));
  h.Org(MakeOwnedAccount("a-2", Relationship::kPartner, "u-rep", {"u-rep"}, kT0));
  h.Lead(kT0, MakeLead("l-1", "a-1", LeadSource::kInbound, LeadStatus::kOpen));
  EXPECT_TRUE(Cells().empty());
  // A customer that churns becomes a prospect again (a former customer with a lead).
  h.Org(MakeOwnedAccount("a-1", Relationship::kFormerCustomer, "u-rep", {}, kT0 + 1));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,in_play=1"});
}

TEST_F(ProspectTest, AProspectAccountNeedsALeadATargetListOrAProspectingActivity) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {}, kT0));
  EXPECT_TRUE(Cells().empty());
  // An inbound activity on an account with no lead is rule 7 (`other`): still no prospect.
  auto inbound = Act("a-1", ActivityOutcome::kNoResponse);
  inbound.direction = ingest::Direction::kInbound;
  h.Activity(kT0 + 1, inbound);
  EXPECT_TRUE(Cells().empty());
  // An outbound one is opportunistic prospecting (rule 6): now it is one.
  h.Activity(kT0 + 2, Act("a-1", ActivityOutcome::kNoResponse));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,in_play=1"});
}

TEST_F(ProspectTest, ALeadWithoutAccountIsItsOwnProspectUntilItGetsOne) {
  auto lead = MakeLead("l-1", std::nullopt, LeadSource::kInbound, LeadStatus::kOpen);
  lead.owner_id = "u-sdr";
  h.Lead(kT0, lead);
  EXPECT_EQ(Cells(), std::vector<std::string>{"west,untouched,in_play=1"});
  lead.account_id = "a-9";  // an account the org tables do not know: a prospect
  h.Lead(kT0 + 1, lead);
  EXPECT_EQ(Cells(), std::vector<std::string>{"west,untouched,in_play=1"});
  EXPECT_EQ(h.Sum("huntline_prospects"), 1);
}

TEST_F(ProspectTest, AnActivityOnAnUnknownLeadCountsForThatLead) {
  h.Activity(kT0, MakeActivity(std::nullopt, "l-404"));
  // No account and no known lead: no owner either.
  EXPECT_EQ(Cells(), std::vector<std::string>{"unknown,responsive,in_play=1"});
}

TEST_F(ProspectTest, EngagementFollowsTheOutcomesInOrder) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  h.Activity(kT0 + 1, Act("a-1", ActivityOutcome::kNoResponse));
  EXPECT_EQ(Cell("east", "unresponsive", "in_play"), 1);
  h.Activity(kT0 + 2, Act("a-1", ActivityOutcome::kConnected));
  EXPECT_EQ(Cell("east", "responsive", "in_play"), 1);
  h.Activity(kT0 + 3, Act("a-1", ActivityOutcome::kMeetingBooked));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,engaged,in_play=1"});
}

TEST_F(ProspectTest, AProspectGoesColdFortyFiveDaysAfterItsLastResponseWithNoEvent) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kConnected));
  h.Activity(kT0 + Days(10), Act("a-1", ActivityOutcome::kNoResponse));
  h.AdvanceTo(kT0 + Days(45) - 1);
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,responsive,in_play=1"});
  h.AdvanceTo(kT0 + Days(45));  // the response leaves the window (T - 45 d, T]
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,gone_cold,in_play=1"});
  // A new response warms it up again.
  h.Activity(kT0 + Days(50), Act("a-1", ActivityOutcome::kConnected));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,responsive,in_play=1"});
}

TEST_F(ProspectTest, AnOpenOpportunityKeepsAProspectFromGoingCold) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kConnected));
  h.Opportunity(kT0 + 1, MakeOpportunity("o-1", "a-1", Stage::kDiscovery));
  h.AdvanceTo(kT0 + Days(60));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,responsive,opportunity=1"});
  h.Opportunity(kT0 + Days(61), MakeOpportunity("o-1", "a-1", Stage::kClosedLost));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,gone_cold,lost_other=1"});
}

TEST_F(ProspectTest, TwoReachedBuyersMakeItMultiThreadedAsTheirRolesStandNow) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  h.Org(MakeContact("c-1", "a-1", BuyingRole::kDecisionMaker, kT0));
  h.Org(MakeContact("c-2", "a-1", BuyingRole::kInfluencer, kT0));
  h.Org(MakeContact("c-3", "a-1", BuyingRole::kUser, kT0));
  h.Activity(kT0 + 1, Act("a-1", ActivityOutcome::kConnected, "u-rep", "c-1"));
  h.Activity(kT0 + 2, Act("a-1", ActivityOutcome::kMeetingBooked, "u-rep", "c-3"));
  h.Activity(kT0 + 3, Act("a-1", ActivityOutcome::kNoResponse, "u-rep", "c-2"));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,engaged,in_play=1"});
  h.Activity(kT0 + 4, Act("a-1", ActivityOutcome::kConnected, "u-rep", "c-2"));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,multi_threaded,in_play=1"});
  // The influencer turns out to be a gatekeeper: one buyer thread left.
  h.Org(MakeContact("c-2", "a-1", BuyingRole::kGatekeeper, kT0 + 5));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,engaged,in_play=1"});
}

TEST_F(ProspectTest, OutcomesFollowTheirOrder) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  auto lost = MakeOpportunity("o-1", "a-1", Stage::kClosedLost);
  lost.loss_reason = ingest::LossReason::kCompetitor;
  h.Opportunity(kT0, lost);
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,lost_competitor=1"});
  lost.loss_reason = ingest::LossReason::kNoDecision;
  h.Opportunity(kT0 + 1, lost);
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,lost_no_decision=1"});
  h.Opportunity(kT0 + 2, MakeOpportunity("o-2", "a-1", Stage::kProposal));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,opportunity=1"});
  h.Opportunity(kT0 + 3, MakeOpportunity("o-3", "a-1", Stage::kClosedWon));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,won=1"});  // won beats open
}

TEST_F(ProspectTest, DisqualifiedAndNurtureComeFromTheLatestLeadOrActivity) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {}, kT0));
  h.Lead(kT0, MakeLead("l-1", "a-1", LeadSource::kOutbound, LeadStatus::kNurture));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,nurture=1"});
  h.Lead(kT0 + 1, MakeLead("l-2", "a-1", LeadSource::kOutbound, LeadStatus::kDisqualified));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,disqualified=1"});
  h.Lead(kT0 + 2, MakeLead("l-1", "a-1", LeadSource::kOutbound, LeadStatus::kWorking));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,in_play=1"});  // l-1 is latest now
  h.Activity(kT0 + 3, Act("a-1", ActivityOutcome::kDisqualified));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,disqualified=1"});
  h.Activity(kT0 + 4, Act("a-1", ActivityOutcome::kNotInterested));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,nurture=1"});
  h.AdvanceTo(kT0 + 4 + Days(90) - 1);
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,nurture=1"});
  h.AdvanceTo(kT0 + 4 + Days(90));  // the not_interested leaves its 90 days
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,in_play=1"});
}

TEST_F(ProspectTest, TheOwnerIsTheAccountsElseItsLatestLeadsAndTeamChangesMoveIt) {
  h.Org(MakeAccount("a-1", Relationship::kProspect, ingest::IcpTier::kB, {}, kT0));
  auto lead = MakeLead("l-1", "a-1", LeadSource::kInbound, LeadStatus::kOpen);
  lead.owner_id = "u-sdr";
  h.Lead(kT0, lead);
  EXPECT_EQ(Cells(), std::vector<std::string>{"west,untouched,in_play=1"});
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {}, kT0 + 1));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,untouched,in_play=1"});
  h.Org(MakeUser("u-rep", Role::kRep, "north", std::nullopt, kT0 + 2));
  EXPECT_EQ(Cells(), std::vector<std::string>{"north,untouched,in_play=1"});
}

TEST_F(ProspectTest, TargetCoverageCountsTheRepsOwnActivityFor30DaysAndBuyersFor90) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep", "u-sdr", "u-rep"}, kT0));
  h.Org(MakeContact("c-cfo", "a-1", BuyingRole::kBudgetHolder, kT0));
  h.Org(MakeContact("c-user", "a-1", BuyingRole::kUser, kT0));
  // Someone else's activity touches nobody's list; a user's answer engages nobody.
  h.Activity(kT0, Act("a-1", ActivityOutcome::kConnected, "u-other", "c-user"));
  EXPECT_TRUE(h.NonZero("huntline_target_accounts_touched").empty());
  EXPECT_TRUE(h.NonZero("huntline_target_accounts_engaged").empty());
  h.Activity(kT0 + Days(1), Act("a-1", ActivityOutcome::kNoResponse, "u-rep"));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"),
            std::vector<std::string>{"east,u-rep=1"});  // listed twice, counted once
  // The budget holder answers someone else: engaged for every rep on the list.
  h.Activity(kT0 + Days(2), Act("a-1", ActivityOutcome::kMeetingBooked, "u-other", "c-cfo"));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_engaged"),
            (std::vector<std::string>{"east,u-rep=1", "west,u-sdr=1"}));
  h.AdvanceTo(kT0 + Days(31) - 1);
  EXPECT_EQ(h.Value("huntline_target_accounts_touched", {"east", "u-rep"}), 1);
  h.AdvanceTo(kT0 + Days(31));
  EXPECT_EQ(h.Value("huntline_target_accounts_touched", {"east", "u-rep"}), 0);
  h.AdvanceTo(kT0 + Days(92));
  EXPECT_TRUE(h.NonZero("huntline_target_accounts_engaged").empty());
}

TEST_F(ProspectTest, ATeamChangeMovesTheRepsCoverageAndAnUnchangedResendMovesNothing) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-sdr", {"u-rep", "u-sdr"}, kT0));
  h.Org(MakeContact("c-cfo", "a-1", BuyingRole::kBudgetHolder, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kMeetingBooked, "u-rep", "c-cfo"));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-rep=1"});
  EXPECT_EQ(Cells(), std::vector<std::string>{"west,engaged,in_play=1"});
  // The same user sent again: nothing moves.
  h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0 + 1));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-rep=1"});
  // The covering rep moves: their coverage goes with them; the owner's cell stays.
  h.Org(MakeUser("u-rep", Role::kRep, "north", std::nullopt, kT0 + 2));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"north,u-rep=1"});
  EXPECT_EQ(h.NonZero("huntline_target_accounts_engaged"),
            (std::vector<std::string>{"north,u-rep=1", "west,u-sdr=1"}));
  EXPECT_EQ(Cells(), std::vector<std::string>{"west,engaged,in_play=1"});
  // The owner moves: the cell goes with them.
  h.Org(MakeUser("u-sdr", Role::kSdr, "south", std::nullopt, kT0 + 3));
  EXPECT_EQ(Cells(), std::vector<std::string>{"south,engaged,in_play=1"});
  EXPECT_EQ(h.NonZero("huntline_target_accounts_engaged"),
            (std::vector<std::string>{"north,u-rep=1", "south,u-sdr=1"}));
}

TEST_F(ProspectTest, TwoSnapshotsOfAUserAtOneInstantLeaveTheFiguresUnderTheLatest) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-rep", {"u-rep"}, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kConnected, "u-rep"));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,responsive,in_play=1"});
  h.Org(MakeUser("u-rep", Role::kRep, "north", std::nullopt, kT0 + 2));
  h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0 + 2));  // a correction, same instant
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,responsive,in_play=1"});
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-rep=1"});
}

TEST_F(ProspectTest, ARepWhoseSeriesWasRefusedStillMovesWithTheirTeam) {
  h.LimitSeries(1);
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-sdr", {"u-rep"}, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kNoResponse, "u-rep"));
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-rep=1"});
  h.Org(MakeUser("u-rep", Role::kRep, "north", std::nullopt, kT0 + 1));  // north,u-rep: over the cap
  EXPECT_TRUE(h.NonZero("huntline_target_accounts_touched").empty());
  h.Org(MakeUser("u-rep", Role::kRep, "east", std::nullopt, kT0 + 2));  // back: the series it has
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-rep=1"});
}

TEST_F(ProspectTest, AnOwnerWhoJoinsAfterTheirProspectIsCountedUnderTheirTeam) {
  h.Org(MakeOwnedAccount("a-1", Relationship::kProspect, "u-new", {"u-new"}, kT0));
  h.Activity(kT0, Act("a-1", ActivityOutcome::kNoResponse, "u-new"));
  EXPECT_EQ(Cells(), std::vector<std::string>{"unknown,unresponsive,in_play=1"});
  h.Org(MakeUser("u-new", Role::kRep, "east", std::nullopt, kT0 + 1));
  EXPECT_EQ(Cells(), std::vector<std::string>{"east,unresponsive,in_play=1"});
  EXPECT_EQ(h.NonZero("huntline_target_accounts_touched"), std::vector<std::string>{"east,u-new=1"});
}

}  // namespace
}  // namespace huntline::processors
