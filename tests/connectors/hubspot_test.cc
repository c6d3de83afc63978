#include "connectors/hubspot.h"

#include <gtest/gtest.h>

namespace huntline::connectors {
namespace {

class HubSpot : public ::testing::Test {
 protected:
  HubSpot() : mapping_(Load()), state_(store_) {}

  static Mapping Load() {
    auto mapping = Mapping::Parse(R"(
hubspot: {portal_id: "42"}
users:
  - {user_id: u-ada, hubspot_owner_ids: ["910901"]}
)", "test.yaml");
    EXPECT_TRUE(mapping.ok()) << mapping.status().message();
    return std::move(mapping).value();
  }

  Translation Run(const Json& input) {
    auto out = TranslateHubSpot(input.dump(), mapping_, state_);
    EXPECT_TRUE(state_.Commit().ok());
    return out;
  }

  Mapping mapping_;
  storage::MemoryKvStore store_;
  ConnectorState state_;
};

Json Company() {
  return {{"id", "c1"},
          {"updatedAt", "2026-03-01T10:00:00Z"},
          {"properties", {{"name", "Acme"}, {"domain", "acme.example"}, {"hs_additional_domains", "acme.io; ACME.example"},
                          {"type", "PROSPECT"}, {"lifecyclestage", "customer"}, {"hubspot_owner_id", "910901"},
                          {"hs_ideal_customer_profile", "tier_1"}, {"hs_is_target_account", "true"}}}};
}

Json Contact() {
  return {{"id", "p1"},
          {"updatedAt", "2026-03-01T10:00:00Z"},
          {"properties", {{"email", "Bea@Acme.example"}, {"lifecyclestage", "salesqualifiedlead"}, {"hs_lead_status", "CONNECTED"},
                          {"hs_analytics_source", "OFFLINE"}, {"hubspot_owner_id", "910901"},
                          {"hs_buying_role", "INFLUENCER;BUDGET_HOLDER"}, {"associatedcompanyid", "c1"}}}};
}

TEST_F(HubSpot, ACompanyIsAnAccountItsLifecycleDecidingWhatTypeLeavesOpen) {
  auto out = Run(Json{{"results", {Company()}}});
  ASSERT_EQ(out.events.size(), 1u) << (out.refusals.empty() ? "" : out.refusals[0].detail);
  const Json& e = out.events[0].event;
  EXPECT_EQ(e["source"], "hubspot/42");
  EXPECT_EQ(e["id"], "company:c1:1772359200000");
  const Json& d = e["data"];
  EXPECT_EQ(d["domains"], Json::array({"acme.example", "acme.io"}));
  EXPECT_EQ(d["relationship"], "customer");  // type PROSPECT maps to null: the lifecycle stage decides
  EXPECT_EQ(d["owner_id"], "u-ada");
  EXPECT_EQ(d["icp_tier"], "A");
  EXPECT_EQ(d["target_of"], Json::array({"u-ada"}));
  EXPECT_TRUE(Run(Json{{"results", {Company()}}}).events.empty());  // the same version again
}

TEST_F(HubSpot, AContactOfACompanyInALeadStageIsAContactAndALead) {
  auto out = Run(Contact());
  ASSERT_EQ(out.events.size(), 2u) << (out.refusals.empty() ? "" : out.refusals[0].detail);
  EXPECT_EQ(out.events[0].event["data"]["buying_role"], "budget_holder");  // the strongest of the two
  EXPECT_EQ(out.events[0].event["data"]["email"], "bea@acme.example");
  const Json& lead = out.events[1].event["data"];
  EXPECT_EQ(lead["status"], "working");
  EXPECT_EQ(lead["source"], "outbound");
  EXPECT_EQ(lead["account_id"], "c1");
  // A webhook moving it to a converted stage: merged into the image, the lead converted.
  Json change = Json::array({{{"subscriptionType", "contact.propertyChange"}, {"objectId", "p1"}, {"portalId", 42},
                              {"propertyName", "lifecyclestage"}, {"propertyValue", "opportunity"},
                              {"occurredAt", 1772460000000}, {"attemptNumber", 0}}});
  auto converted = Run(change);
  ASSERT_EQ(converted.events.size(), 1u);  // the contact's snapshot is unchanged
  EXPECT_EQ(converted.events[0].event["data"]["status"], "converted");
  EXPECT_EQ(converted.events[0].event["id"], "contact.propertyChange:p1:lifecyclestage:1772460000000:lead");
  EXPECT_EQ(converted.events[0].event["time"], "2026-03-02T14:00:00Z");
  change[0]["attemptNumber"] = 3;  // HubSpot's retry: the same change, already in the image
  EXPECT_TRUE(Run(change).events.empty());
}

TEST_F(HubSpot, ADealAndACallOfTheContact) {
  Run(Contact());
  Json deal = {{"id", "d1"},
               {"updatedAt", "2026-03-02T09:00:00Z"},
               {"properties", {{"dealname", "Acme pilot"}, {"dealstage", "contractsent"}, {"dealtype", "newbusiness"},
                               {"amount", "12500.50"}, {"closedate", "2026-03-31T00:00:00Z"},
                               {"createdate", "2026-02-01T08:00:00Z"}, {"hubspot_owner_id", "777"},
                               {"hs_analytics_source", "PAID_SEARCH"}, {"closed_lost_reason", ""}}},
               {"associations", {{"companies", {{"results", {{{"id", "c1"}, {"type", "deal_to_company"}}}}}}}}};
  auto d = Run(deal);
  ASSERT_EQ(d.events.size(), 1u) << (d.refusals.empty() ? "" : d.refusals[0].detail);
  EXPECT_EQ(d.events[0].event["data"]["stage"], "negotiation");
  EXPECT_EQ(d.events[0].event["data"]["amount"], 12500.5);
  EXPECT_EQ(d.events[0].event["data"]["owner_id"], "hubspot-owner:777");
  EXPECT_EQ(d.events[0].event["data"]["origin"], "inbound");
  EXPECT_EQ(d.events[0].event["partitionkey"], "c1");
  Json call = {{"id", "k1"},
               {"updatedAt", "2026-03-02T09:30:00Z"},
               {"properties", {{"hs_timestamp", "2026-03-02T09:15:00Z"}, {"hubspot_owner_id", "910901"},
                               {"hs_call_direction", "OUTBOUND"}, {"hs_call_status", "COMPLETED"},
                               {"hs_call_disposition", "b2cf5968-551e-4856-9783-52b3da59a7d0"}, {"hs_call_duration", "95000"}}},
               {"associations", {{"contacts", {{"results", {{{"id", "p1"}, {"type", "call_to_contact"}}}}}}}}};
  auto c = Run(call);
  ASSERT_EQ(c.events.size(), 1u) << (c.refusals.empty() ? "" : c.refusals[0].detail);
  const Json& a = c.events[0].event["data"];
  EXPECT_EQ(a["account_id"], "c1");  // the contact's company, from its image
  EXPECT_EQ(a["lead_id"], "p1");
  EXPECT_EQ(a["outcome"], "no_response");  // left voicemail
  EXPECT_EQ(a["duration_s"], 95);
  EXPECT_EQ(c.events[0].event["id"], "call:k1");
  EXPECT_TRUE(Run(call).events.empty());  // one engagement, logged once
}

TEST_F(HubSpot, ChangesThatCannotBeMadeIntoSnapshotsAreRefused) {
  Json stage = Json::array({{{"subscriptionType", "deal.propertyChange"}, {"objectId", 9}, {"portalId", 42},
                             {"propertyName", "dealstage"}, {"propertyValue", "12345"}, {"occurredAt", 1}}});
  auto unmapped = Run(stage);
  ASSERT_EQ(unmapped.refusals.size(), 1u);
  EXPECT_EQ(unmapped.refusals[0].reason, "unmapped_value");
  EXPECT_NE(unmapped.refusals[0].detail.find("hubspot.deal.stages"), std::string::npos);
  stage[0]["propertyValue"] = "closedwon";
  EXPECT_EQ(Run(stage).refusals[0].reason, "missing_state");
  Json company = Company();
  company["properties"].erase("type");
  auto incomplete = Run(company);
  ASSERT_EQ(incomplete.refusals.size(), 1u);
  EXPECT_EQ(incomplete.refusals[0].reason, "incomplete_record");
  EXPECT_NE(incomplete.refusals[0].detail.find("type"), std::string::npos);
  auto merged = Run(Json::array({{{"subscriptionType", "company.merge"}, {"objectId", 5}, {"occurredAt", 2}}}));
  EXPECT_EQ(merged.refusals[0].reason, "merge_not_expressible");
}

}  // namespace
}  // namespace huntline::connectors
