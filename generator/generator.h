#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "ingest/event.h"

namespace huntline::generator {

struct Options {
  uint64_t seed = 42;
  /// First simulated day (taken at its UTC midnight).
  Timestamp start = 0;
  /// Simulated days; with `max_events` set, the simulation goes on until that many events.
  int days = 91;
  int teams = 3;          // hunting teams, each with a manager, reps and SDRs
  int reps_per_team = 6;
  int sdrs_per_team = 2;
  int account_managers = 4;
  int targets_per_rep = 15;
  int64_t max_events = 0;  // 0: no limit
  /// The team (index) whose seller-sourced pipeline creation collapses half-way; -1 for none.
  int collapse_team = 1;
};

/// One generated event: which topic it travels on, its contract key, and its JSON line.
struct Generated {
  ingest::TopicKind topic;
  std::string key;
  std::string json;
  Timestamp time;
};

/// Simulates a sales organisation day by day and emits its events in time order: an executive,
/// hunting teams (a manager, reps who hunt their target lists and reps who mostly chase inbound
/// leads, SDRs), account managers on customers; leads, opportunities that advance, slip and close,
/// activities of every behaviour, weekly protected prospecting blocks and the managers who book
/// over them or hand out customer fire-drills during them. Deterministic for a given seed.
/// Not thread-safe.
class Generator {
 public:
  explicit Generator(Options options);
  ~Generator();

  using Sink = std::function<void(const Generated&)>;
  /// The org snapshot (users, accounts, contacts) and each rep's protected-block series,
  /// at the start time (they come out with the first day's events).
  void EmitOrg(const Sink& sink);
  /// One simulated day. Events come out in time order, each once no later day can make an
  /// earlier one (so a day's events leave with the next day's call). False once complete.
  bool EmitDay(const Sink& sink);
  /// EmitOrg, then every day, then what is held back.
  void EmitAll(const Sink& sink);

  int64_t emitted() const { return emitted_; }
  /// Start of the next day to simulate.
  Timestamp clock() const;

 private:
  struct State;
  /// Emits the events held back whose time is before `before`, in time order.
  void Flush(const Sink& sink, Timestamp before);
  Options options_;
  std::unique_ptr<State> state_;
  int64_t emitted_ = 0;
};

}  // namespace huntline::generator
