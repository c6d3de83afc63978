#include "engine/config.h"

#include <gtest/gtest.h>

namespace huntline::engine {
namespace {

// Found by tests/fuzz/config_fuzzer: nlohmann/json reports a number too large for a double as
// out_of_range, not parse_error, and the exception escaped ParseConfig and ended the program.
TEST(Config, ANumberTooLargeForADoubleIsAnErrorNotACrash) {
  for (const char* text : {"1e999", R"({"batch":{"max_events":1e999}})",
                           R"({"protected_time":{"policies":[{"name":-1E400}]}})"}) {
    auto config = ParseConfig(text, "big.json");
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().message().rfind("big.json: not valid JSON", 0), 0u)
        << config.status().message();
  }
}

}  // namespace
}  // namespace huntline::engine
