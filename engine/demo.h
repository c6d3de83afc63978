#pragma once

#include <atomic>
#include <string>

#include "common/status.h"

namespace huntline::engine {

struct DemoOptions {
  std::string listen = "127.0.0.1:9464";
  /// Non-empty: the web configuration file of /metrics and /health (Config::web_config_file).
  std::string web_config_file;
  /// RocksDB directory, emptied at start; empty: DefaultDemoStateDir().
  std::string state_dir;
  /// Simulated days streamed per minute of wall time.
  double days_per_minute = 20;
  /// Days of history streamed at full speed before the paced stream starts.
  int history_days = 30;
  int teams = 3;
  uint64_t seed = 42;
  /// Stop after this many seconds (0: until SIGINT/SIGTERM).
  int duration_s = 0;
};

/// Where the demo keeps its state unless told: `$XDG_CACHE_HOME/huntline/demo-state`, else
/// `$HOME/.cache/huntline/demo-state`, else the system's temporary directory — never the
/// directory it is started from.
std::string DefaultDemoStateDir();

/// `huntline demo`: no outside services. An in-process Kafka (librdkafka's mock cluster), the
/// generator streaming a simulated sales organisation into it in accelerated time, and the same
/// engine as `huntline run` consuming it and serving /metrics.
Status RunDemo(const DemoOptions& options, const std::atomic<bool>& stop);

}  // namespace huntline::engine
