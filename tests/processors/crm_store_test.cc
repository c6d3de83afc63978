#include "processors/crm_store.h"

#include <gtest/gtest.h>

#include "tests/processors/test_events.h"

namespace huntline::processors {
namespace {

using namespace testing;  // NOLINT
using ingest::Stage;

TEST(CrmStore, OlderSnapshotsAreStale) {
  CrmStore crm;
  EXPECT_EQ(crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kProposal),
                                 At("2026-07-02T00:00:00Z"), 1),
            ApplyOutcome::kApplied);
  EXPECT_EQ(crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kDiscovery),
                                 At("2026-07-01T00:00:00Z"), 2),
            ApplyOutcome::kStale);
  EXPECT_EQ(crm.FindOpportunity("o")->data.stage, Stage::kProposal);
  // The same time is not older: the later snapshot wins.
  EXPECT_EQ(crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kSolution),
                                 At("2026-07-02T00:00:00Z"), 3),
            ApplyOutcome::kApplied);
  EXPECT_EQ(crm.FindOpportunity("o")->data.stage, Stage::kSolution);
}

TEST(CrmStore, ClosedAtIsTheMoveIntoAClosedStage) {
  CrmStore crm;
  crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kProposal), At("2026-07-01T00:00:00Z"), 1);
  crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kClosedLost), At("2026-07-05T00:00:00Z"), 2);
  crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kClosedLost), At("2026-07-09T00:00:00Z"), 3);
  EXPECT_EQ(crm.FindOpportunity("o")->closed_at, At("2026-07-05T00:00:00Z"));
  crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kNegotiation), At("2026-07-10T00:00:00Z"), 4);
  EXPECT_EQ(crm.FindOpportunity("o")->closed_at, kNoTime);
  crm.ApplyOpportunity(MakeOpportunity("first-seen-closed", "a", Stage::kClosedWon),
                       At("2026-07-11T00:00:00Z"), 5);
  EXPECT_EQ(crm.FindOpportunity("first-seen-closed")->closed_at, At("2026-07-11T00:00:00Z"));
}

TEST(CrmStore, AnOpportunityMovingAccountsMovesInTheIndex) {
  CrmStore crm;
  crm.ApplyOpportunity(MakeOpportunity("o", "a", Stage::kProposal), At("2026-07-01T00:00:00Z"), 1);
  EXPECT_TRUE(crm.HasOpenOpportunity("a"));
  crm.ApplyOpportunity(MakeOpportunity("o", "b", Stage::kProposal), At("2026-07-02T00:00:00Z"), 2);
  EXPECT_FALSE(crm.HasOpenOpportunity("a"));
  EXPECT_TRUE(crm.HasOpenOpportunity("b"));
}

TEST(CrmStore, PersistedRecordsRestoreTheSameState) {
  CrmStore crm;
  auto o = MakeOpportunity("o", "a", Stage::kClosedLost);
  o.loss_reason = ingest::LossReason::kPrice;
  o.customer_priority = false;
  o.customer_must_have_date = *ParseDate("2026-12-01");
  crm.ApplyOpportunity(o, At("2026-07-01T00:00:00Z"), 7);
  crm.ApplyLead(MakeLead("l", std::nullopt, ingest::LeadSource::kRfp, ingest::LeadStatus::kNurture),
                At("2026-07-01T00:00:00Z"), 8);
  CrmStore restored;
  int records = 0;
  crm.FlushDirty([&](const std::string& key, const std::string& value) {
    ASSERT_TRUE(restored.Restore(key, value).ok());
    ++records;
  });
  EXPECT_EQ(records, 2);
  const Opportunity* r = restored.FindOpportunity("o");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->data.loss_reason, ingest::LossReason::kPrice);
  EXPECT_EQ(r->data.customer_priority, false);
  EXPECT_EQ(r->data.customer_must_have_date, *ParseDate("2026-12-01"));
  EXPECT_EQ(r->closed_at, At("2026-07-01T00:00:00Z"));
  EXPECT_EQ(r->seq, 7u);
  EXPECT_EQ(restored.LatestNewBusiness("a"), r);
  EXPECT_EQ(restored.FindLead("l")->data.source, ingest::LeadSource::kRfp);
  EXPECT_FALSE(restored.FindLead("l")->data.account_id.has_value());
}

}  // namespace
}  // namespace huntline::processors
