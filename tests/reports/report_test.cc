// The report's building blocks: merging the daily history, privacy, charts.
#include <gtest/gtest.h>

#include "metrics/history.h"
#include "processors/processor.h"
#include "reports/charts.h"
#include "reports/quarter_report.h"
#include "reports/snapshot.h"

namespace huntline::reports {
namespace {

using metrics::History;

class ReportTest : public ::testing::Test {
 protected:
  ReportTest() { processors::RegisterAllProcessors(registry_); }
  static History::Record Record(std::vector<History::Sample> samples) { return samples; }
  metrics::Catalog catalog_;
  processors::ProcessorRegistry registry_{catalog_};
};

constexpr char kSep = metrics::kLabelSeparator;

TEST_F(ReportTest, PartitionsAreSummedGlobalFiguresTakenOnceAndDaysCarriedForward) {
  const std::string east_rep = std::string("east") + kSep + "r1";
  std::map<Day, std::map<std::string, History::Record>> days;
  days[100]["t/crm/0/"] = Record({{"huntline_protected_seconds_total", east_rep, 7200}});
  days[100]["t/crm/1/"] = Record({{"huntline_protected_seconds_total", east_rep, 3600}});
  days[100]["global/"] = Record({{"huntline_quota_quarter_amount", "east", 1000}});
  days[101]["global/"] = Record({{"huntline_quota_quarter_amount", "east", 1000}});
  days[102]["t/crm/0/"] = Record({{"huntline_protected_seconds_total", east_rep, 14400}});
  days[102]["other-instance/global/"] = Record({{"huntline_quota_quarter_amount", "east", 1000}});
  HistoryView history(catalog_, days);
  // Day 101: both partitions carried forward from day 100.
  EXPECT_EQ(history.At(101).Total("huntline_protected_seconds_total", {{"team", "east"}}), 10800);
  // Day 102: partition 0 moved on, partition 1 still stands at its last record.
  EXPECT_EQ(history.At(102).Total("huntline_protected_seconds_total", {}), 18000);
  // The quota, written by two instances, is merged with max, not summed.
  EXPECT_EQ(history.At(102).Total("huntline_quota_quarter_amount", {{"team", "east"}}), 1000);
  EXPECT_EQ(history.At(99).Total("huntline_protected_seconds_total", {}), 0);
  EXPECT_TRUE(history.HasDataIn(101, 102));
  EXPECT_FALSE(history.HasDataIn(103, 200));
  EXPECT_EQ(history.At(102).Sum("huntline_protected_seconds_total", {}, {"rep"}),
            (std::map<std::string, double>{{"r1", 18000}}));
}

TEST_F(ReportTest, PeopleAreNamedOnlyInLargeEnoughGroupsAndPseudonymsAreKeyedAndStable) {
  PrivacyOptions privacy;
  EXPECT_EQ(PersonLabel("mgr-east", privacy), "mgr-east");
  privacy.pseudonym_key = "secret";
  const std::string p = PersonLabel("mgr-east", privacy);
  EXPECT_EQ(p.rfind("p-", 0), 0u);
  EXPECT_EQ(p.size(), 10u);
  EXPECT_EQ(PersonLabel("mgr-east", privacy), p);
  EXPECT_NE(PersonLabel("mgr-emea", privacy), p);
  privacy.pseudonym_key = "other";
  EXPECT_NE(PersonLabel("mgr-east", privacy), p);

  // Two managers interrupting: below the default group of 5, so not named.
  const std::string a = std::string("east") + kSep + "mgr-a", b = std::string("east") + kSep + "mgr-b";
  std::map<Day, std::map<std::string, History::Record>> days;
  const Day q3 = FiscalCalendar(1).QuarterStart(*FiscalCalendar::ParseLabel("FY2026-Q3"));
  days[q3 + 10]["t/people/0/"] = Record({{"huntline_manager_interruption_seconds_total", a, 3600},
                                         {"huntline_manager_interruption_seconds_total", b, 1800},
                                         {"huntline_protected_seconds_total", std::string("east") + kSep + "r", 36000}});
  HistoryView history(catalog_, days);
  ReportOptions options;
  options.quarter = *FiscalCalendar::ParseLabel("FY2026-Q3");
  auto report = BuildQuarterReport(history, options);
  const auto& managers = report["organisation"]["protected_time"]["managers"];
  ASSERT_EQ(managers.size(), 2u);
  EXPECT_TRUE(managers[0]["interrupter"].is_null());
  EXPECT_EQ(managers[0]["seconds"], 3600);
  options.privacy.per_person = true;
  report = BuildQuarterReport(history, options);
  EXPECT_EQ(report["organisation"]["protected_time"]["managers"][0]["interrupter"], "mgr-a");
}

TEST(Charts, EveryChartHasATitleBothAxesAndItsUnit) {
  const std::string trend = TrendChart("Integrity by week", "week starting", {"2026-07-06", "2026-07-13"},
                                       {{"east", {0.5, std::nullopt}}, {"emea", {1.0, 0.75}}}, Unit::kPercent);
  const std::string bars = BarChart("Lost by cause", {{"manager meeting", 3600}}, Unit::kHours);
  const std::string fall = Waterfall("Flow", "open at start", 100, {{"won", -40}}, "open at end", Unit::kAmount);
  for (const auto& [svg, unit] : {std::pair{trend, "percent"}, {bars, "hours"}, {fall, "amount"}}) {
    EXPECT_NE(svg.find("<title>"), std::string::npos);
    EXPECT_NE(svg.find("<g class=\"axis x\">"), std::string::npos);
    EXPECT_NE(svg.find("<g class=\"axis y\">"), std::string::npos);
    EXPECT_NE(svg.find(unit), std::string::npos) << svg.substr(0, 200);
  }
  EXPECT_NE(trend.find("stroke-dasharray=\"6 3\""), std::string::npos);  // the second line is dashed
  EXPECT_NE(bars.find("1.0 h"), std::string::npos);
  EXPECT_NE(fall.find("60"), std::string::npos);  // the end total
}

}  // namespace
}  // namespace huntline::reports
