#include "connectors/translate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/time.h"
#include "connectors/envelope.h"
#include "connectors/google_calendar.h"
#include "connectors/hubspot.h"
#include "connectors/ics.h"
#include "connectors/mapping.h"
#include "connectors/microsoft_graph.h"
#include "connectors/salesforce_cdc.h"
#include "connectors/state.h"
#include "storage/kv_store.h"

namespace huntline::connectors {
namespace {

constexpr const char* kGoogleCalendar = "google-calendar";
constexpr const char* kMicrosoftGraph = "microsoft-graph";
constexpr const char* kIcs = "ics";
constexpr const char* kSalesforceCdc = "salesforce-cdc";
constexpr const char* kHubSpot = "hubspot";

bool IsCalendarFormat(const std::string& from) {
  return from == kGoogleCalendar || from == kMicrosoftGraph || from == kIcs;
}

TranslateOutcome Fail(int code, std::string message) {
  TranslateOutcome out;
  out.exit_code = code;
  out.message = std::move(message);
  return out;
}

}  // namespace

const std::vector<std::string>& Formats() {
  static const std::vector<std::string> kFormats = {kSalesforceCdc, kHubSpot, kGoogleCalendar, kMicrosoftGraph, kIcs};
  return kFormats;
}

TranslateOutcome Translate(const TranslateOptions& options) {
  if (std::find(Formats().begin(), Formats().end(), options.from) == Formats().end()) {
    return Fail(2, "--from: \"" + options.from + "\" is not a format this build translates");
  }
  Result<Mapping> mapping = options.config.empty() ? Result<Mapping>(Mapping::Defaults()) : Mapping::Load(options.config);
  if (!mapping.ok()) return Fail(2, mapping.status().message());
  std::optional<Timestamp> observed_at;
  if (options.observed_at) {
    observed_at = ParseRfc3339(*options.observed_at);
    if (!observed_at) return Fail(2, "--observed-at: \"" + *options.observed_at + "\" is not an RFC 3339 time");
  }
  const Person* owner = nullptr;
  if (IsCalendarFormat(options.from)) {
    if (options.calendar.empty()) return Fail(2, "--calendar: required for " + options.from);
    owner = mapping->FindCalendar(options.calendar);
    if (!owner) {
      return Fail(2, "--calendar: \"" + options.calendar + "\" is not a user id, email or native id of the "
                     "mapping's users");
    }
  }

  // What partial sources need between records and runs: in --state, else for this run only.
  std::unique_ptr<storage::KvStore> store;
  if (options.state_dir.empty()) {
    store = std::make_unique<storage::MemoryKvStore>();
  } else {
    std::error_code made;
    std::filesystem::create_directories(options.state_dir, made);
    auto opened = storage::OpenRocksDb(options.state_dir);
    if (!opened.ok()) return Fail(1, "--state: " + opened.status().message());
    store = std::move(opened).value();
  }
  ConnectorState state(*store);

  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(options.input, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(options.input, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(options.input);
  }

  std::vector<ContractEvent> events;
  std::vector<std::pair<Refusal, std::string>> refusals;  // with the file they came from
  TranslateOutcome outcome;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Fail(1, "--input: cannot read " + file.string());
    std::stringstream text;
    text << in.rdbuf();
    Translation translation;
    if (options.from == kGoogleCalendar) {
      translation = TranslateGoogleCalendar(text.str(), {*mapping, *owner, observed_at, &state});
    } else if (options.from == kMicrosoftGraph) {
      translation = TranslateMicrosoftGraph(text.str(), {*mapping, *owner, observed_at, &state});
    } else if (options.from == kSalesforceCdc) {
      translation = TranslateSalesforceCdc(text.str(), *mapping, state);
    } else if (options.from == kHubSpot) {
      translation = TranslateHubSpot(text.str(), *mapping, state);
    } else if (options.from == kIcs) {
      translation = TranslateIcs(text.str(), {*mapping, *owner, observed_at, &state});
    }
    for (auto& event : translation.events) events.push_back(std::move(event));
    for (auto& refusal : translation.refusals) refusals.emplace_back(std::move(refusal), file.string());
    outcome.skipped += translation.skipped;
  }
  SortByTime(events);

  std::ofstream out(options.out, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(1, "--out: cannot write " + options.out);
  for (const ContractEvent& event : events) {
    out << event.event.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
  }
  std::string dead_path = options.dead_letters;
  if (dead_path.empty()) {
    dead_path = options.out;
    if (dead_path.ends_with(".jsonl")) dead_path.resize(dead_path.size() - 6);
    dead_path += ".dead.jsonl";
  }
  std::ofstream dead(dead_path, std::ios::binary | std::ios::trunc);
  if (!dead) return Fail(1, "--dead-letters: cannot write " + dead_path);
  for (const auto& [refusal, input] : refusals) dead << DeadLetterLine(refusal, options.from, input) << '\n';
  out.flush();
  dead.flush();
  if (!out || !dead) return Fail(1, "cannot write " + options.out + " or " + dead_path);
  if (Status s = state.Commit(); !s.ok()) return Fail(1, "--state: " + s.message());
  outcome.translated = events.size();
  outcome.dead_lettered = refusals.size();
  return outcome;
}

}  // namespace huntline::connectors
