#pragma once

#include <optional>
#include <string>
#include <vector>

namespace huntline::connectors {

/// `huntline translate` (MAPPING.md): native payloads to contract events.
struct TranslateOptions {
  std::string from;        // a format of Formats()
  std::string input;       // a file, or a directory read in name order
  std::string out;         // JSON lines of contract events
  std::string config;      // mapping configuration (YAML); empty: the defaults
  std::string calendar;    // whose calendar the input is (calendar formats)
  std::string state_dir;   // what partial sources need, kept between runs; empty: this run only
  std::string dead_letters;  // empty: `out` with .jsonl replaced by .dead.jsonl
  std::optional<std::string> observed_at;  // RFC 3339
};

struct TranslateOutcome {
  /// 0: the input was read (dead letters are data); 1: it could not be read or written; 2: a
  /// usage or configuration error.
  int exit_code = 0;
  std::string message;  // why, when exit_code is not 0
  size_t translated = 0;
  size_t skipped = 0;
  size_t dead_lettered = 0;
};

/// The formats `--from` accepts.
const std::vector<std::string>& Formats();

TranslateOutcome Translate(const TranslateOptions& options);

}  // namespace huntline::connectors
