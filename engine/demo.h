#pragma once

#include <atomic>
#include <string>

#include "common/status.h"

namespace huntline::engine {

struct DemoOptions {
  std::string listen = "127.0.0.1:9464";
  std::string state_dir = "./huntline-demo-state";
  /// Simulated days streamed per minute of wall time.
  double days_per_minute = 20;
  /// Days of history streamed at full speed before the paced stream starts.
  int history_days = 30;
  int teams = 3;
  uint64_t seed = 42;
  /// Stop after this many seconds (0: until SIGINT/SIGTERM).
  int duration_s = 0;
};

/// `huntline demo`: no outside services. An in-process Kafka (librdkafka's mock cluster), the
/// generator streaming a simulated sales organisation into it in accelerated time, and the same
/// engine as `huntline run` consuming it and serving /metrics.
Status RunDemo(const DemoOptions& options, const std::atomic<bool>& stop);

}  // namespace huntline::engine
