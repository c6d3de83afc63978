#include "connectors/mapping.h"

#include <gtest/gtest.h>

namespace huntline::connectors {
namespace {

TEST(Mapping, AFileIsMergedOverTheDefaultsMapsByKeyListsWhole) {
  auto mapping = Mapping::Parse(R"(
google:
  show_as_by_transparency: {transparent: tentative}
  skip_event_types: []
hubspot:
  deal:
    stages: {closedwon: null, custom-1: negotiation}
protected:
  title_keywords: [Hunting Hour]
)", "test.yaml");
  ASSERT_TRUE(mapping.ok()) << mapping.status().message();
  const auto google = mapping->node("google");
  EXPECT_EQ(google["show_as_by_transparency"]["transparent"].as<std::string>(), "tentative");
  EXPECT_EQ(google["show_as_by_transparency"]["opaque"].as<std::string>(), "busy");  // kept
  EXPECT_EQ(google["skip_event_types"].size(), 0u);                                  // replaced
  const auto stages = mapping->node("hubspot")["deal"]["stages"];
  EXPECT_FALSE(stages["closedwon"]);  // removed by null
  EXPECT_EQ(stages["custom-1"].as<std::string>(), "negotiation");
  EXPECT_EQ(stages["contractsent"].as<std::string>(), "negotiation");
  EXPECT_TRUE(mapping->TitleIsProtected("Team hunting hour"));
  EXPECT_FALSE(mapping->TitleIsProtected("Prospecting block"));  // the default list was replaced
}

TEST(Mapping, PeopleAreFoundByEmailAnyCaseByNativeIdAndByWhatACalendarIsCalled) {
  auto mapping = Mapping::Parse(R"(
users:
  - user_id: u-ada
    emails: [Ada@Acme.example]
    salesforce_ids: [0055f000005mc66AAA]
    graph_ids: [BB8775A4-4d8c-42cf-a1d4-4d58c2bb668f]
    timezone: Europe/Paris
)", "test.yaml");
  ASSERT_TRUE(mapping.ok()) << mapping.status().message();
  EXPECT_EQ(mapping->UserOrEmail("ADA@acme.example"), "u-ada");
  EXPECT_EQ(mapping->UserOrEmail("Someone@Else.example"), "someone@else.example");
  ASSERT_NE(mapping->FindById(IdSystem::kSalesforce, "0055f000005mc66"), nullptr);  // 15 characters
  EXPECT_EQ(mapping->FindById(IdSystem::kSalesforce, "0055F000005MC66AAA"), nullptr);  // case matters
  EXPECT_NE(mapping->FindCalendar("bb8775a4-4d8c-42cf-a1d4-4d58c2bb668f"), nullptr);
  EXPECT_NE(mapping->FindCalendar("u-ada"), nullptr);
  EXPECT_EQ(mapping->FindCalendar("u-bob"), nullptr);
  EXPECT_EQ(mapping->FindCalendar("ada@acme.example")->timezone, "Europe/Paris");
}

TEST(Mapping, ABadSettingStopsTheLoadNamingTheFileAndTheKey) {
  auto zone = Mapping::Parse("users: [{user_id: u-1, timezone: America/NewYork}]", "m.yaml");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.status().message().find("m.yaml: users[0].timezone"), std::string::npos) << zone.status().message();
  auto id = Mapping::Parse("users: [{emails: [a@b.example]}]", "m.yaml");
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("users[0].user_id"), std::string::npos) << id.status().message();
  auto list = Mapping::Parse("protected: {title_keywords: block}", "m.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("protected.title_keywords"), std::string::npos);
  auto value = Mapping::Parse("graph: {show_as_by_value: {busy: occupied}}", "m.yaml");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("graph.show_as_by_value.busy: must be one of busy, tentative, free"),
            std::string::npos) << value.status().message();
  auto table = Mapping::Parse("hubspot: {deal: {stages: {closedwon: [a, b]}}}", "m.yaml");
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("hubspot.deal.stages.closedwon"), std::string::npos) << table.status().message();
  EXPECT_FALSE(Mapping::Parse("[1, 2]", "m.yaml").ok());
  EXPECT_FALSE(Mapping::Parse("a: [", "m.yaml").ok());
}

}  // namespace
}  // namespace huntline::connectors
