#include "processors/classify.h"

#include <gtest/gtest.h>

#include "tests/processors/test_events.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::Direction;
using ingest::IcpTier;
using ingest::LeadSource;
using ingest::LeadStatus;
using ingest::Relationship;
using ingest::Stage;

class ClassifyTest : public ::testing::Test {
 protected:
  Behaviour Classify(const ingest::ActivityLogged& a, const char* time = "2026-08-01T00:00:00Z") {
    return ClassifyActivity(a, At(time), org_.At(At(time)), crm_, settings_);
  }
  void AddAccount(const char* id, Relationship rel, IcpTier tier = IcpTier::kNone,
                  std::vector<std::string> targets = {}) {
    org_.Apply(MakeAccount(id, rel, tier, std::move(targets)));
  }
  void AddOpportunity(ingest::OpportunityUpserted o, const char* time) {
    crm_.ApplyOpportunity(o, At(time), ++seq_);
  }
  void AddLead(ingest::LeadUpserted l, const char* time = "2026-07-01T00:00:00Z") {
    crm_.ApplyLead(l, At(time), ++seq_);
  }

  OrgTables org_;
  CrmStore crm_;
  Settings settings_;
  uint64_t seq_ = 0;
};

TEST_F(ClassifyTest, Rule1CustomerAccountsAreCustomerManagement) {
  AddAccount("a", Relationship::kCustomer, IcpTier::kA, {"u-rep"});
  AddOpportunity(MakeOpportunity("o", "a", Stage::kDiscovery), "2026-07-01T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kCustomerManagement);
}

TEST_F(ClassifyTest, Rule2AnyOpenOpportunityIsDealWork) {
  AddAccount("a", Relationship::kProspect, IcpTier::kA, {"u-rep"});
  AddOpportunity(MakeOpportunity("o", "a", Stage::kProposal, ingest::OpportunityType::kExpansion),
                 "2026-07-01T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kDealWork);
}

TEST_F(ClassifyTest, Rule2AppliesToUnknownAccountsToo) {
  AddOpportunity(MakeOpportunity("o", "unknown-acct", Stage::kDiscovery), "2026-07-01T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("unknown-acct")), Behaviour::kDealWork);
}

TEST_F(ClassifyTest, Rule3LostDealFollowupWithin365Days) {
  AddAccount("a", Relationship::kProspect, IcpTier::kA, {"u-rep"});
  AddOpportunity(MakeOpportunity("o", "a", Stage::kDiscovery), "2025-06-01T00:00:00Z");
  AddOpportunity(MakeOpportunity("o", "a", Stage::kClosedLost), "2025-08-01T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("a"), "2025-08-01T00:00:00Z"), Behaviour::kLostDealFollowup);
  EXPECT_EQ(Classify(MakeActivity("a"), "2026-08-01T00:00:00Z"), Behaviour::kLostDealFollowup);
  EXPECT_EQ(Classify(MakeActivity("a"), "2026-08-01T00:00:01Z"), Behaviour::kTargetProspecting);
  // An activity timed before the loss is not its follow-up.
  EXPECT_EQ(Classify(MakeActivity("a"), "2025-07-31T23:59:59Z"), Behaviour::kTargetProspecting);
}

TEST_F(ClassifyTest, Rule3OnlyTheLatestNewBusinessDealCounts) {
  AddAccount("a", Relationship::kProspect);
  AddOpportunity(MakeOpportunity("lost", "a", Stage::kClosedLost), "2026-06-01T00:00:00Z");
  AddOpportunity(MakeOpportunity("won", "a", Stage::kClosedWon), "2026-07-01T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kOpportunisticProspecting);
  // A renewal lost later does not make the account a lost new-business deal.
  AddOpportunity(MakeOpportunity("renewal", "a", Stage::kClosedLost, ingest::OpportunityType::kRenewal),
                 "2026-07-15T00:00:00Z");
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kOpportunisticProspecting);
}

TEST_F(ClassifyTest, Rule4NamedLeadDecidesWhateverItsStatus) {
  AddAccount("a", Relationship::kProspect, IcpTier::kA);
  AddLead(MakeLead("l-in", "a", LeadSource::kRfp, LeadStatus::kDisqualified));
  AddLead(MakeLead("l-out", "a", LeadSource::kOutbound, LeadStatus::kWorking));
  EXPECT_EQ(Classify(MakeActivity("a", "l-in")), Behaviour::kInboundFollowup);
  EXPECT_EQ(Classify(MakeActivity("a", "l-out")), Behaviour::kTargetProspecting);
}

TEST_F(ClassifyTest, Rule4OtherwiseAnyLiveInboundLeadOfTheAccount) {
  AddAccount("a", Relationship::kProspect);
  AddLead(MakeLead("l1", "a", LeadSource::kInbound, LeadStatus::kConverted));
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kOpportunisticProspecting);
  AddLead(MakeLead("l2", "a", LeadSource::kInbound, LeadStatus::kNurture));
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kInboundFollowup);
  // Even an inbound activity direction: rule 4 comes before the outbound rules.
  EXPECT_EQ(Classify(MakeActivity("a", std::nullopt, Direction::kInbound)),
            Behaviour::kInboundFollowup);
}

TEST_F(ClassifyTest, Rule4UnknownLeadFallsBackToTheAccountsLeads) {
  AddAccount("a", Relationship::kProspect);
  AddLead(MakeLead("l1", "a", LeadSource::kInbound, LeadStatus::kOpen));
  EXPECT_EQ(Classify(MakeActivity("a", "never-seen")), Behaviour::kInboundFollowup);
}

TEST_F(ClassifyTest, ActivityNamingOnlyALeadUsesTheLeadsAccount) {
  AddAccount("a", Relationship::kCustomer);
  AddLead(MakeLead("l1", "a", LeadSource::kOutbound, LeadStatus::kOpen));
  EXPECT_EQ(Classify(MakeActivity(std::nullopt, "l1")), Behaviour::kCustomerManagement);
}

TEST_F(ClassifyTest, Rule5TargetListOrTierA) {
  AddAccount("listed", Relationship::kProspect, IcpTier::kC, {"u-rep"});
  AddAccount("tier-a", Relationship::kFormerCustomer, IcpTier::kA);
  AddAccount("someone-elses", Relationship::kProspect, IcpTier::kB, {"u-other"});
  EXPECT_EQ(Classify(MakeActivity("listed")), Behaviour::kTargetProspecting);
  EXPECT_EQ(Classify(MakeActivity("tier-a")), Behaviour::kTargetProspecting);
  EXPECT_EQ(Classify(MakeActivity("someone-elses")), Behaviour::kOpportunisticProspecting);
}

TEST_F(ClassifyTest, Rule6And7DirectionDecides) {
  AddAccount("a", Relationship::kPartner, IcpTier::kA);
  EXPECT_EQ(Classify(MakeActivity("a")), Behaviour::kTargetProspecting);
  EXPECT_EQ(Classify(MakeActivity("a", std::nullopt, Direction::kInbound)), Behaviour::kOther);
  EXPECT_EQ(Classify(MakeActivity("nobody-knows")), Behaviour::kOpportunisticProspecting);
  EXPECT_EQ(Classify(MakeActivity(std::nullopt, "lead-unknown")), Behaviour::kOpportunisticProspecting);
  EXPECT_EQ(Classify(MakeActivity(std::nullopt, "lead-unknown", Direction::kInbound)),
            Behaviour::kOther);
}

}  // namespace
}  // namespace huntline::processors
