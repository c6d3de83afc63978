#include "ingest/dead_letter.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace huntline::ingest {
namespace {

TEST(FileDeadLetterSink, KeepsTheMessageUnchangedWithItsReason) {
  const auto path = std::filesystem::temp_directory_path() / "huntline_dlq_test.jsonl";
  std::filesystem::remove(path);
  {
    auto sink = FileDeadLetterSink::Open(path.string());
    ASSERT_TRUE(sink.ok());
    RawMessage m;
    m.topic = "huntline.crm";
    m.partition = 3;
    m.offset = 42;
    m.key = "a-1";
    m.value = "{\"specversion\":\"1.0\", oops";
    Rejection why{RejectReason::kInvalidJson, "not valid JSON: x"};
    ASSERT_TRUE((*sink)->Send(m, why, *ParseRfc3339("2026-07-01T08:00:00Z")).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["value"], "{\"specversion\":\"1.0\", oops");
  EXPECT_EQ(j["reason"], "invalid_json");
  EXPECT_EQ(j["detail"], "not valid JSON: x");
  EXPECT_EQ(j["topic"], "huntline.crm");
  EXPECT_EQ(j["partition"], 3);
  EXPECT_EQ(j["offset"], 42);
  EXPECT_EQ(j["key"], "a-1");
  EXPECT_EQ(j["rejected_at"], "2026-07-01T08:00:00Z");
}

}  // namespace
}  // namespace huntline::ingest

namespace huntline::ingest {
namespace {

TEST(Bounded, KeepsShortTextAndCutsLongTextOnACharacterBoundary) {
  EXPECT_EQ(Bounded("time: \"x\""), "time: \"x\"");
  const std::string long_text = "é" + std::string(3000, 'x');  // 2 + 3000 bytes
  const std::string cut = Bounded(long_text, 40);
  EXPECT_LE(cut.size(), 40u);
  EXPECT_TRUE(cut.ends_with("… (3002 bytes)")) << cut;
  // A cut inside a two-byte character backs off to its start.
  const std::string accents(100, 'a');
  const std::string mixed = "a" + std::string("é") + accents;
  const std::string short_cut = Bounded(mixed, 2 + std::string("… (103 bytes)").size());
  EXPECT_EQ(short_cut, "a… (103 bytes)");
}

}  // namespace
}  // namespace huntline::ingest
