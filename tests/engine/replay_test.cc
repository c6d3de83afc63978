// `huntline replay` end to end through the binary, as a user runs it.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The value of one exact series line in an exposition, or nullopt.
std::optional<std::string> Series(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return std::nullopt;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("huntline_replay_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  int Replay(const std::string& args) {
    const std::string cmd = std::string(HUNTLINE_BINARY) + " replay " + args + " 2>" +
                            (dir_ / "stderr.txt").string();
    return std::system(cmd.c_str());
  }
  fs::path dir_;
  const std::string examples_ = std::string(HUNTLINE_SHARED_DIR) + "/contract/examples/";
};

/// The metric families Huntline computes so far, each compared in full with the contract's
/// expected files: every expected series with its value, and no series the files do not list.
const std::vector<std::string> kComputedFamilies = {
    "huntline_activities_total", "huntline_activity_seconds_total",
    "huntline_rep_activities_total", "huntline_prospects", "huntline_target_accounts",
    "huntline_target_accounts_touched", "huntline_target_accounts_engaged",
    "huntline_pipeline_open_amount", "huntline_pipeline_open_deals",
    "huntline_pipeline_created_amount_total", "huntline_pipeline_created_deals_total",
    "huntline_pipeline_quarter_amount", "huntline_won_quarter_amount",
    "huntline_quota_quarter_amount", "huntline_close_date_pushes_total",
    "huntline_pipeline_slipped_deals", "huntline_pipeline_stale_deals",
    "huntline_pipeline_priority_linked_amount", "huntline_deals_closed_total",
    "huntline_pipeline_flow_amount_total", "huntline_protected_seconds_total",
    "huntline_protected_lost_seconds_total", "huntline_interruptions_total",
    "huntline_manager_interruptions_total", "huntline_manager_interruption_seconds_total",
    "huntline_protected_conflicts_upcoming", "huntline_meeting_seconds_total",
    "huntline_leader_meeting_seconds_total"};

/// Compares `got` with an expected exposition family by family; returns the series checked.
int ExpectFamiliesMatch(const std::string& expected_text, const std::string& got) {
  int checked = 0;
  std::string line;
  for (const std::string& name : kComputedFamilies) {
    const std::string family = name + "{";
    std::istringstream expected(expected_text);
    int in_expected = 0;
    while (std::getline(expected, line)) {
      if (line.rfind(family, 0) != 0) continue;
      ++in_expected;
      const size_t space = line.rfind(' ');
      EXPECT_EQ(Series(got, line.substr(0, space)), line.substr(space + 1)) << line;
      ++checked;
    }
    std::istringstream in(got);
    int in_got = 0;
    while (std::getline(in, line)) in_got += line.rfind(family, 0) == 0;
    EXPECT_EQ(in_got, in_expected) << family;
  }
  return checked;
}

TEST_F(ReplayTest, MediumOrgFiguresMatchTheContractExactly) {
  ASSERT_EQ(Replay("--input " + examples_ + "medium-org.jsonl --metrics-out " +
                   (dir_ / "m.prom").string()),
            0);
  const int checked =
      ExpectFamiliesMatch(Read(examples_ + "medium-org.expected.prom"), Read(dir_ / "m.prom"));
  EXPECT_EQ(checked, 626);
}

TEST_F(ReplayTest, SmallOrgFiguresMatchTheContractExactly) {
  ASSERT_EQ(Replay("--input " + examples_ + "small-org.jsonl --metrics-out " +
                   (dir_ / "m.prom").string()),
            0);
  const int checked =
      ExpectFamiliesMatch(Read(examples_ + "small-org.expected.prom"), Read(dir_ / "m.prom"));
  EXPECT_EQ(checked, 25);
}

TEST_F(ReplayTest, MalformedLinesGoToTheDeadLetterFileWithTheirReason) {
  const fs::path input = dir_ / "in.jsonl";
  {
    std::ofstream out(input);
    out << Read(examples_ + "small-org.jsonl");
    out << R"({"specversion":"1.0","id":"bad-1","source":"x","type":"crm.activity.logged","time":"2026-07-07T14:00:00Z","data":{"activity_id":"z","actor_id":"u-rep","account_id":"a-globex","channel":"pigeon","direction":"outbound","outcome":"connected"}})"
        << "\n{not json\n";
  }
  ASSERT_EQ(Replay("--input " + input.string() + " --metrics-out " + (dir_ / "m.prom").string() +
                   " --dead-letters " + (dir_ / "dlq.jsonl").string()),
            0);
  std::istringstream dlq(Read(dir_ / "dlq.jsonl"));
  std::string line;
  std::vector<nlohmann::json> letters;
  while (std::getline(dlq, line)) letters.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0]["reason"], "invalid_value");
  EXPECT_NE(letters[0]["detail"].get<std::string>().find("data.channel: \"pigeon\""),
            std::string::npos);
  EXPECT_EQ(letters[0]["offset"], 13);
  EXPECT_EQ(letters[1]["reason"], "invalid_json");
  EXPECT_EQ(letters[1]["value"], "{not json");
  // The bad activity changed nothing.
  EXPECT_EQ(Series(Read(dir_ / "m.prom"), R"(huntline_activities_total{behaviour="target_prospecting",outcome="connected",role="rep",team="east-hunters"})"),
            "1");
  EXPECT_NE(Read(dir_ / "stderr.txt").find("2 rejected"), std::string::npos);
}

TEST_F(ReplayTest, AsOfIgnoresLaterEvents) {
  ASSERT_EQ(Replay("--input " + examples_ + "small-org.jsonl --as-of 2026-07-07T13:59:59Z" +
                   " --metrics-out " + (dir_ / "m.prom").string()),
            0);
  EXPECT_EQ(Read(dir_ / "m.prom").find("huntline_activities_total{"), std::string::npos);
  EXPECT_NE(Read(dir_ / "stderr.txt").find("engine time 2026-07-07T13:59:59Z"), std::string::npos);
}

TEST_F(ReplayTest, BadArgumentsAreNamed) {
  EXPECT_NE(Replay("--input /nonexistent.jsonl --metrics-out " + (dir_ / "m.prom").string()), 0);
  EXPECT_NE(Read(dir_ / "stderr.txt").find("/nonexistent.jsonl"), std::string::npos);
  EXPECT_NE(Replay("--input x --as-of yesterday --metrics-out y"), 0);
  EXPECT_NE(Read(dir_ / "stderr.txt").find("--as-of"), std::string::npos);
}

}  // namespace

namespace {

TEST_F(ReplayTest, ABadConfigurationNamesTheField) {
  const fs::path config = dir_ / "bad.json";
  std::ofstream(config) << R"({"batch": {"max_events": 0}})";
  EXPECT_NE(Replay("--input " + examples_ + "small-org.jsonl --config " + config.string() +
                   " --metrics-out " + (dir_ / "m.prom").string()),
            0);
  EXPECT_NE(Read(dir_ / "stderr.txt").find("batch.max_events: must be between 1 and 1000000"),
            std::string::npos);
  std::ofstream(config) << R"({"kafka": {"brokerz": "x"}})";
  EXPECT_NE(Replay("--input " + examples_ + "small-org.jsonl --config " + config.string() +
                   " --metrics-out " + (dir_ / "m.prom").string()),
            0);
  EXPECT_NE(Read(dir_ / "stderr.txt").find("kafka.brokerz: unknown field"), std::string::npos);
  // The settings of the prospect and pipeline rules, and how time and keys are read.
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"engine_time": "lunar"})", "engine_time: must be \"wall_clock\" or \"event_time\""},
           {R"({"kafka": {"key_partitioner": "random"}})",
            "kafka.key_partitioner: must be \"murmur2\" or \"crc32\""},
           {R"({"thresholds": {"cold_after_days": 0}})", "thresholds.cold_after_days: must be between"},
           {R"({"thresholds": {"stale_deal_days": "x"}})", "thresholds.stale_deal_days"},
           {R"({"topics": {"history": "huntline.crm"}})", "topics.history: must not be an input topic"},
           // Protected time: lateness, company domains, team policies.
           {R"({"protected_time": {"allowed_lateness_minutes": -5}})",
            "protected_time.allowed_lateness_minutes: must be between 0 and 10080"},
           {R"({"protected_time": {"company_domains": []}})",
            "protected_time.company_domains: must be a non-empty array of strings"},
           {R"({"protected_time": {"policies": [{"teams": ["east"], "rrule": "FREQ=SOMETIMES",)"
            R"( "start": "09:00", "end": "11:00", "since": "2026-01-01"}]}})",
            "protected_time.policies[0].rrule: not an RFC 5545 recurrence rule"},
           {R"({"protected_time": {"policies": [{"teams": ["east"], "rrule": "FREQ=WEEKLY",)"
            R"( "start": "11:00", "end": "09:00", "since": "2026-01-01"}]}})",
            "protected_time.policies[0].end: must be a local time HH:MM after start"},
           {R"({"protected_time": {"policies": [{"rrule": "FREQ=WEEKLY", "start": "09:00",)"
            R"( "end": "11:00", "since": "2026-01-01"}]}})",
            "protected_time.policies[0].teams: is required"},
           {R"({"protected_time": {"policies": [{"teams": ["east"], "rrule": "FREQ=WEEKLY",)"
            R"( "start": "09:00", "end": "11:00", "since": "2026-01-01", "tz": "UTC"}]}})",
            "protected_time.policies[0].tz: unknown field"}}) {
    std::ofstream(config) << text;
    EXPECT_NE(Replay("--input " + examples_ + "small-org.jsonl --config " + config.string() +
                     " --metrics-out " + (dir_ / "m.prom").string()),
              0)
        << text;
    EXPECT_NE(Read(dir_ / "stderr.txt").find(message), std::string::npos) << text;
  }
}

}  // namespace
