#include "connectors/salesforce_cdc.h"

#include <gtest/gtest.h>

namespace huntline::connectors {
namespace {

class SalesforceCdc : public ::testing::Test {
 protected:
  SalesforceCdc() : mapping_(Load()), state_(store_) {}

  static Mapping Load() {
    auto mapping = Mapping::Parse(R"(
salesforce: {org: acme}
users:
  - {user_id: u-ada, salesforce_ids: [005000000000001AAA]}
  - {user_id: u-bob, salesforce_ids: [005000000000002AAA]}
)", "test.yaml");
    EXPECT_TRUE(mapping.ok()) << mapping.status().message();
    return std::move(mapping).value();
  }

  /// A Pub/Sub change event: the header, then `fields` in order.
  static Json Message(const std::string& entity, const std::string& type, const std::string& id, int64_t sequence,
                      int64_t time, const Json& fields, const Json& changed = Json::array()) {
    Json m;
    m["ChangeEventHeader"] = {{"entityName", entity}, {"recordIds", {id}}, {"changeType", type},
                              {"transactionKey", "tx"}, {"sequenceNumber", sequence}, {"commitTimestamp", time},
                              {"commitUser", "005000000000001AAA"}, {"nulledFields", Json::array()},
                              {"changedFields", changed}};
    for (auto it = fields.begin(); it != fields.end(); ++it) m[it.key()] = it.value();
    return m;
  }

  Translation Run(const Json& message) {
    auto out = TranslateSalesforceCdc(message.dump(), mapping_, state_);
    EXPECT_TRUE(state_.Commit().ok());
    return out;
  }

  Mapping mapping_;
  storage::MemoryKvStore store_;
  ConnectorState state_;
};

Json Opportunity(const char* stage, const Json& amount) {
  return Json{{"AccountId", "001A"}, {"OwnerId", "005000000000002AAA"}, {"Type", nullptr}, {"LeadSource", "Web"},
              {"StageName", stage}, {"Amount", amount}, {"CloseDate", 1719705600000},
              {"CreatedDate", 1714153779000}, {"LastModifiedDate", 1714153779000}};
}

TEST_F(SalesforceCdc, AnUpdateIsMergedIntoTheImageAndTheWholeSnapshotWritten) {
  ASSERT_EQ(Run(Message("Opportunity", "CREATE", "006A", 1, 1000, Opportunity("Prospecting", nullptr))).events.size(), 1u);
  // Pub/Sub: every field present, nulls for those unchanged; the bitmap names StageName (5) and
  // LastModifiedDate (9), counting ChangeEventHeader as 0.
  Json update = Opportunity("Closed Won", nullptr);
  for (const char* unchanged : {"AccountId", "OwnerId", "LeadSource", "CloseDate", "CreatedDate"}) update[unchanged] = nullptr;
  auto out = Run(Message("Opportunity", "UPDATE", "006A", 2, 2000, update, Json::array({"0x220"})));
  ASSERT_EQ(out.events.size(), 1u) << (out.refusals.empty() ? "" : out.refusals[0].detail);
  const Json& d = out.events[0].event["data"];
  EXPECT_EQ(d["stage"], "closed_won");
  EXPECT_EQ(d["owner_id"], "u-bob");  // from the image
  EXPECT_EQ(d["account_id"], "001A");
  EXPECT_EQ(d["origin"], "inbound");
  EXPECT_EQ(d["close_date"], "2024-06-30");
  EXPECT_EQ(out.events[0].event["id"], "tx:2:006A");
  EXPECT_EQ(out.events[0].event["partitionkey"], "001A");
  // A change of an unmapped field writes nothing new.
  Json noise = update;
  noise["StageName"] = nullptr;
  noise["Probability"] = 90;
  auto quiet = Run(Message("Opportunity", "UPDATE", "006A", 3, 3000, noise, Json::array({"0x200"})));
  EXPECT_TRUE(quiet.events.empty());
  EXPECT_EQ(quiet.skipped, 1u);
}

TEST_F(SalesforceCdc, ACompletedTaskIsLoggedOnceAndAnAssignedOneIsATask) {
  const Json task = {{"OwnerId", "005000000000002AAA"}, {"CreatedById", "005000000000001AAA"}, {"AccountId", "001A"},
                     {"WhoId", "003C"}, {"Status", "Not Started"}, {"IsClosed", false}, {"TaskSubtype", "Call"},
                     {"CallType", "Outbound"}, {"CallDurationInSeconds", 300}, {"Type", "Call"}};
  auto created = Run(Message("Task", "CREATE", "00TA", 1, 1000, task));
  ASSERT_EQ(created.events.size(), 1u);
  EXPECT_EQ(created.events[0].event["type"], "crm.task.assigned");
  EXPECT_EQ(created.events[0].event["data"]["assigned_by"], "u-ada");
  Json done = Json::object();
  for (auto it = task.begin(); it != task.end(); ++it) done[it.key()] = nullptr;
  done["Status"] = "Completed";
  done["IsClosed"] = true;
  auto completed = Run(Message("Task", "UPDATE", "00TA", 2, 2000, done, Json::array({"0x60"})));
  ASSERT_EQ(completed.events.size(), 1u);
  const Json& d = completed.events[0].event["data"];
  EXPECT_EQ(completed.events[0].event["type"], "crm.activity.logged");
  EXPECT_EQ(d["actor_id"], "u-bob");
  EXPECT_EQ(d["contact_id"], "003C");
  EXPECT_EQ(d["channel"], "call");
  EXPECT_EQ(d["outcome"], "connected");
  EXPECT_EQ(d["duration_s"], 300);
  done["Status"] = nullptr;
  done["IsClosed"] = nullptr;
  done["CallDurationInSeconds"] = 600;
  EXPECT_TRUE(Run(Message("Task", "UPDATE", "00TA", 3, 3000, done, Json::array({"0x2000"}))).events.empty());
}

TEST_F(SalesforceCdc, AMovedOccurrenceReplacesItsPlaceInTheSeriesAndADeletedOneCancelsIt) {
  const Json series = {{"OwnerId", "005000000000001AAA"}, {"Subject", "Prospecting block"}, {"IsAllDayEvent", false},
                       {"ActivityDateTime", 1715014800000}, {"DurationInMinutes", 60}, {"ShowAs", "Busy"},
                       {"IsChild", false}, {"GroupEventType", "3"},
                       {"Recurrence2PatternText", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"},
                       {"ActivityRecurrence2Id", "828A"}, {"ActivityRecurrence2ExceptionId", nullptr}};
  auto made = Run(Message("Event", "CREATE", "00UA", 1, 1000, series));
  ASSERT_EQ(made.events.size(), 1u);
  EXPECT_EQ(made.events[0].event["data"]["rrule"], "FREQ=WEEKLY;BYDAY=MO;COUNT=4");
  EXPECT_EQ(made.events[0].event["data"]["protected"], true);
  Json occurrence = series;
  occurrence["GroupEventType"] = "0";
  occurrence["ActivityDateTime"] = 1715619600000;  // the second Monday
  EXPECT_TRUE(Run(Message("Event", "CREATE", "00UB", 2, 1001, occurrence)).events.empty());
  Json moved = Json::object();
  for (auto it = series.begin(); it != series.end(); ++it) moved[it.key()] = nullptr;
  moved["ActivityDateTime"] = 1715623200000;  // an hour later (bit 4)
  auto out = Run(Message("Event", "UPDATE", "00UB", 3, 2000, moved, Json::array({"0x10"})));
  ASSERT_EQ(out.events.size(), 1u) << (out.refusals.empty() ? "" : out.refusals[0].detail);
  const Json& d = out.events[0].event["data"];
  EXPECT_EQ(d["series_id"], "00UA");
  EXPECT_EQ(d["original_start"], "2024-05-13T17:00:00Z");
  EXPECT_EQ(d["start"], "2024-05-13T18:00:00Z");
  auto deleted = Run(Message("Event", "DELETE", "00UB", 4, 3000, Json::object()));
  ASSERT_EQ(deleted.events.size(), 1u);
  EXPECT_EQ(deleted.events[0].event["type"], "calendar.event.cancelled");
  EXPECT_EQ(deleted.events[0].event["data"]["event_id"], "00UA");
  EXPECT_EQ(deleted.events[0].event["data"]["original_start"], "2024-05-13T17:00:00Z");
}

TEST_F(SalesforceCdc, AnInviteeLeavesTheMeetingAndADeletedMeetingLeavesEveryCalendar) {
  const Json meeting = {{"OwnerId", "005000000000001AAA"}, {"Subject", "Discovery"}, {"IsAllDayEvent", false},
                        {"ActivityDateTime", 1715104800000}, {"DurationInMinutes", 30}, {"ShowAs", "Busy"},
                        {"IsChild", false}, {"GroupEventType", "1"}};
  ASSERT_EQ(Run(Message("Event", "CREATE", "00UM", 1, 1000, meeting)).events.size(), 1u);
  const Json relation = {{"RelationId", "005000000000002AAA"}, {"EventId", "00UM"}, {"IsWhat", false},
                         {"IsInvitee", true}, {"Status", "Accepted"}};
  auto invited = Run(Message("EventRelation", "CREATE", "0REA", 2, 2000, relation));
  ASSERT_EQ(invited.events.size(), 2u);  // the organizer's calendar and Bob's
  EXPECT_EQ(invited.events[1].event["data"]["calendar_id"], "u-bob");
  auto left = Run(Message("EventRelation", "DELETE", "0REA", 3, 3000, Json::object()));
  ASSERT_EQ(left.events.size(), 2u) << (left.refusals.empty() ? "" : left.refusals[0].detail);
  EXPECT_EQ(left.events[0].event["data"]["attendees"], Json::array());
  EXPECT_EQ(left.events[1].event["type"], "calendar.event.cancelled");
  EXPECT_EQ(left.events[1].event["data"]["calendar_id"], "u-bob");
  Run(Message("EventRelation", "CREATE", "0REB", 4, 4000, relation));
  auto deleted = Run(Message("Event", "DELETE", "00UM", 5, 5000, Json::object()));
  ASSERT_EQ(deleted.events.size(), 2u);
  EXPECT_EQ(deleted.events[0].event["data"]["calendar_id"], "u-ada");
  EXPECT_EQ(deleted.events[1].event["data"]["calendar_id"], "u-bob");
  EXPECT_EQ(deleted.events[1].event["type"], "calendar.event.cancelled");
}

TEST_F(SalesforceCdc, ARedeliveredChangeDoesNotTakeTheImageBack) {
  auto message = [&](const char* stage, int64_t commit) {
    Json m = Message("Opportunity", "CREATE", "006R", 1, commit, Opportunity(stage, 10));
    m["ChangeEventHeader"]["commitNumber"] = commit;
    m["ChangeEventHeader"]["transactionKey"] = "tx" + std::to_string(commit);
    return m;
  };
  ASSERT_EQ(Run(message("Prospecting", 100)).events.size(), 1u);
  ASSERT_EQ(Run(message("Proposal/Price Quote", 300)).events.size(), 1u);
  auto late = Run(message("Qualification", 200));  // an older change delivered again
  EXPECT_TRUE(late.events.empty());
  EXPECT_EQ(late.skipped, 1u);
}

TEST_F(SalesforceCdc, WhatCannotBeReadIsRefusedWithItsRecord) {
  Json connect = {{"_ObjectType", "AccountChangeEvent"}};
  connect["ChangeEventHeader"] = {{"entityName", "Account"}, {"recordIds", {"001B"}}, {"changeType", "UPDATE"},
                                  {"transactionKey", "t2"}, {"sequenceNumber", 1}, {"commitTimestamp", 5000},
                                  {"changedFields", {"0x04"}}};
  connect["Type"] = "Customer";
  Run(Message("Account", "CREATE", "001B", 1, 1000, Json{{"Name", "B"}, {"Type", nullptr}, {"OwnerId", nullptr}}));
  auto bitmap = Run(connect);
  ASSERT_EQ(bitmap.refusals.size(), 1u);
  EXPECT_EQ(bitmap.refusals[0].reason, "bitmap_unresolvable");
  auto stage = Run(Message("Opportunity", "CREATE", "006X", 1, 1000, Opportunity("Custom Stage", 5)));
  ASSERT_EQ(stage.refusals.size(), 1u);
  EXPECT_EQ(stage.refusals[0].reason, "unmapped_value");
  EXPECT_NE(stage.refusals[0].detail.find("stage_by_name"), std::string::npos);
  EXPECT_EQ(stage.refusals[0].locator, "$/006X");
  // Named fields (CometD): the payload holds what changed, a listed name without a value was cleared.
  Json payload;
  payload["ChangeEventHeader"] = {{"entityName", "Account"}, {"recordIds", {"001B"}}, {"changeType", "UPDATE"},
                                  {"transactionKey", "t3"}, {"sequenceNumber", 1},
                                  {"commitTimestamp", "2024-04-26T17:49:39.000+0000"},
                                  {"changedFields", {"Type", "Website"}}};
  payload["Type"] = "Customer";
  payload["Website"] = "https://www.B.example/about";
  Json cometd;
  cometd["data"]["payload"] = payload;
  cometd["channel"] = "/data/AccountChangeEvent";
  auto named = Run(cometd);
  ASSERT_EQ(named.events.size(), 1u) << (named.refusals.empty() ? "" : named.refusals[0].detail);
  EXPECT_EQ(named.events[0].event["data"]["relationship"], "customer");
  EXPECT_EQ(named.events[0].event["data"]["domains"], Json::array({"b.example"}));
  EXPECT_EQ(named.events[0].event["time"], "2024-04-26T17:49:39Z");
}

}  // namespace
}  // namespace huntline::connectors
