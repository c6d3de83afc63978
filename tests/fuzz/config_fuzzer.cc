// libFuzzer target: engine::ParseConfig on arbitrary text.
//
// Contract: any text yields a Config or an error naming the origin (never an exception, a crash
// or a leak), and an accepted Config keeps the invariants start-up relies on: three distinct input
// topics, the history topic not one of them, and every protected-time policy with a rule
// CheckRule accepts and a start before its end.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "calendar/recurrence.h"
#include "engine/config.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto config = huntline::engine::ParseConfig(text, "fuzz.json");
  if (!config.ok()) {
    Check(config.status().message().starts_with("fuzz.json: "));
    return 0;
  }
  const huntline::engine::Topics& topics = config->topics;
  Check(topics.org != topics.crm && topics.org != topics.people && topics.crm != topics.people);
  Check(topics.history != topics.org && topics.history != topics.crm &&
        topics.history != topics.people);
  for (const auto& policy : config->settings.policies) {
    Check(huntline::calendar::CheckRule(policy.rule).ok());
    Check(policy.start_minute < policy.end_minute && policy.end_minute <= 24 * 60);
    Check(!policy.teams.empty());
  }
  return 0;
}
