// huntline: the command-line entry point. Parses arguments and hands over to engine/.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include <fstream>

#include "connectors/connect.h"
#include "connectors/translate.h"
#include "connectors/webhooks.h"
#include "engine/config.h"
#include "engine/demo.h"
#include "engine/history_topic.h"
#include "generator/generator.h"
#include "engine/kafka_runner.h"
#include "engine/replay.h"
#include "metrics/engine_metrics.h"
#include "metrics/web_config.h"
#include "reports/report_command.h"

namespace {

using huntline::Timestamp;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

int RunLive(const std::string& config_path) {
  auto config = huntline::engine::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "huntline run: " << config.status().message() << "\n";
    return 2;
  }
  // Checked here too so that a bad web configuration is a configuration error (status 2) like
  // any other; RunOnKafka reads it again and applies it.
  bool https = false;
  if (!config->web_config_file.empty()) {
    auto web = huntline::metrics::LoadWebConfig(config->web_config_file);
    if (!web.ok()) {
      std::cerr << "huntline run: " << web.status().message() << "\n";
      return 2;
    }
    https = web->tls.has_value();
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cerr << "huntline run: reading " << config->topics.org << ", " << config->topics.crm
            << " and " << config->topics.people << " at " << config->kafka.brokers
            << "; metrics at " << (https ? "https://" : "http://") << config->listen << "/metrics\n";
  huntline::Status status = huntline::engine::RunOnKafka(*config, g_stop, [] {
    std::cerr << "huntline run: org tables loaded, consuming\n";
  });
  if (!status.ok()) {
    std::cerr << "huntline run: " << status.message() << "\n";
    return 1;
  }
  std::cerr << "huntline run: stopped after a final commit\n";
  return 0;
}

int RunReplay(const huntline::engine::ReplayOptions& options) {
  auto summary = huntline::engine::Replay(options);
  if (!summary.ok()) {
    std::cerr << "huntline replay: " << summary.status().message() << "\n";
    return 1;
  }
  const auto& s = *summary;
  std::fprintf(stderr, "huntline replay: %lld lines in %.2f s", static_cast<long long>(s.lines),
               s.seconds);
  for (size_t r = 0; r < s.by_result.size(); ++r) {
    std::fprintf(stderr, ", %lld %s", static_cast<long long>(s.by_result[r]),
                 std::string(huntline::metrics::kEventResultNames[r]).c_str());
  }
  if (s.after_as_of) {
    std::fprintf(stderr, ", %lld after --as-of", static_cast<long long>(s.after_as_of));
  }
  if (s.series_refused) {
    std::fprintf(stderr, ", %llu series updates refused (limits.max_series_per_family: figures incomplete)",
                 static_cast<unsigned long long>(s.series_refused));
  }
  std::fprintf(stderr, "; engine time %s\n",
               s.engine_time == huntline::kNoTime ? "none"
                                                  : huntline::FormatRfc3339(s.engine_time).c_str());
  return 0;
}

int RunReport(huntline::reports::ReportCommand command, const std::string& config_path,
              std::optional<int> min_group_size, bool per_person, bool from_kafka) {
  if (from_kafka && config_path.empty()) {
    std::cerr << "huntline report: --from-kafka needs --config (brokers and topics)\n";
    return 2;
  }
  if (!config_path.empty()) {
    auto config = huntline::engine::LoadConfig(config_path);
    if (!config.ok()) {
      std::cerr << "huntline report: " << config.status().message() << "\n";
      return 2;
    }
    if (from_kafka) {
      auto properties = config->kafka.properties;
      properties["bootstrap.servers"] = config->kafka.brokers;
      auto days = huntline::engine::ReadHistoryTopic(properties, config->topics.history);
      if (!days.ok()) {
        std::cerr << "huntline report: " << days.status().message() << "\n";
        return 1;
      }
      command.history = std::move(days).value();
    }
    if (command.history_dir.empty()) command.history_dir = config->state_dir;
    command.fiscal = config->settings.fiscal;
    command.privacy.min_group_size = config->privacy.min_group_size;
    command.privacy.per_person = config->privacy.per_person_reports;
    if (!config->privacy.pseudonym_key.empty()) command.privacy.pseudonym_key = config->privacy.pseudonym_key;
    // The history already holds pseudonyms: reports show them as they are.
    command.privacy.history_pseudonymized =
        config->privacy.per_person_metrics == huntline::metrics::PerPerson::kPseudonymized;
  }
  if (min_group_size) command.privacy.min_group_size = *min_group_size;
  if (per_person) command.privacy.per_person = true;
  if (const char* chromium = std::getenv("HUNTLINE_CHROMIUM")) command.chromium = chromium;
  auto written = huntline::reports::RunReport(command);
  if (!written.ok()) {
    std::cerr << "huntline report: " << written.status().message() << "\n";
    return 1;
  }
  if (*written != "-") std::cerr << "huntline report: wrote " << *written << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Huntline: the prospecting culture of a sales organisation, live in Prometheus"};
  app.require_subcommand(1);

  huntline::engine::ReplayOptions replay;
  std::string as_of;
  auto* replay_cmd = app.add_subcommand(
      "replay", "Run the engine over a JSON-lines file of events and write the final metrics");
  replay_cmd->add_option("--input", replay.input, "JSON-lines file of CloudEvents ('-': stdin)")
      ->required();
  replay_cmd->add_option("--as-of", as_of, "Ignore events after this RFC 3339 time; end there");
  replay_cmd->add_option("--metrics-out", replay.metrics_out,
                         "Prometheus text file to write ('-': stdout)")
      ->required();
  replay_cmd->add_option("--dead-letters", replay.dead_letters,
                         "JSON-lines file for refused lines, with their reasons");
  std::string replay_config;
  replay_cmd->add_option("--config", replay_config,
                         "Configuration file: its fiscal year and thresholds apply");
  replay_cmd->add_flag("--include-zero", replay.include_zero, "Also write series whose value is 0");
  replay_cmd->add_option("--history-dir", replay.history_dir,
                         "Keep the daily history for `huntline report` in this RocksDB directory "
                         "(replaced)");
  replay_cmd->add_flag("--engine-metrics", replay.include_engine_metrics,
                       "Also write the engine's own metrics");

  std::string config_path;
  auto* run_cmd = app.add_subcommand(
      "run", "Consume the input topics from Kafka and serve the metrics (until SIGTERM)");
  run_cmd->add_option("--config", config_path, "Configuration file (JSON)")->required();

  huntline::engine::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "No outside services: an in-process Kafka fed by a simulated sales org, the engine, "
              "and /metrics on 127.0.0.1:9464");
  demo_cmd->add_option("--listen", demo.listen, "Address for /metrics and /health");
  demo_cmd->add_option("--web-config", demo.web_config_file,
                       "Prometheus exporter web configuration (YAML: TLS, basic auth) for /metrics");
  demo_cmd->add_option("--state-dir", demo.state_dir,
                       "RocksDB directory, emptied at start (default: ~/.cache/huntline/demo-state)");
  demo_cmd->add_option("--days-per-minute", demo.days_per_minute, "Simulated days per minute")
      ->check(CLI::PositiveNumber);
  demo_cmd->add_option("--teams", demo.teams, "Hunting teams")->check(CLI::Range(1, 500));
  demo_cmd->add_option("--seed", demo.seed, "Random seed");
  demo_cmd->add_option("--duration", demo.duration_s, "Stop after this many seconds (0: never)");

  huntline::generator::Options gen;
  std::string gen_out = "-";
  std::string gen_start = "2026-07-01";
  auto* gen_cmd = app.add_subcommand(
      "generate", "Write a simulated sales organisation's events as JSON lines");
  gen_cmd->add_option("--out", gen_out, "Output file ('-': stdout)");
  gen_cmd->add_option("--events", gen.max_events, "Stop after this many events (any size)");
  gen_cmd->add_option("--days", gen.days, "Simulated days (without --events)");
  gen_cmd->add_option("--start", gen_start, "First simulated day (YYYY-MM-DD)");
  gen_cmd->add_option("--teams", gen.teams, "Hunting teams (default: 3, or sized to --events)");
  gen_cmd->add_option("--seed", gen.seed, "Random seed");
  gen_cmd->add_option("--targets-per-rep", gen.targets_per_rep,
                      "Target accounts per rep (each rep also owns half as many other prospects)")
      ->check(CLI::Range(1, 10000));

  huntline::reports::ReportCommand report;
  std::string report_config;
  std::optional<int> report_min_group;
  bool report_per_person = false;
  auto* report_cmd = app.add_subcommand(
      "report", "Write the quarterly prospecting-culture report from Huntline's daily history");
  report_cmd->add_option("--quarter", report.quarter,
                         "Fiscal quarter, e.g. FY2026-Q3 (default: the last complete one)");
  report_cmd->add_option("--format", report.format, "html, pdf, json, csv or md")
      ->check(CLI::IsMember({"html", "pdf", "json", "csv", "md"}));
  report_cmd->add_option("--out", report.out,
                         "Output file (default huntline-report-<quarter>.<format>; '-': stdout)");
  report_cmd->add_option("--config", report_config,
                         "Configuration of the `huntline run` whose state directory holds the "
                         "history (also fiscal year and privacy settings)");
  report_cmd->add_option("--history-dir", report.history_dir,
                         "History directory (a `huntline replay --history-dir`, or a state directory)");
  report_cmd->add_option("--min-group-size", report_min_group,
                         "Name people only in groups at least this large (default 5)");
  report_cmd->add_flag("--per-person", report_per_person, "Name people in groups of any size");
  bool report_from_kafka = false;
  report_cmd->add_flag("--from-kafka", report_from_kafka,
                       "Read the history from the history topic of --config (complete when several "
                       "instances share the partitions)");

  huntline::connectors::TranslateOptions translate;
  auto* translate_cmd = app.add_subcommand(
      "translate", "Turn a CRM's or a calendar's own payloads into contract events (JSON lines)");
  translate_cmd->add_option("--from", translate.from, "Format of the input")
      ->required()
      ->check(CLI::IsMember(huntline::connectors::Formats()));
  translate_cmd->add_option("--input", translate.input, "A file, or a directory read in name order")
      ->required();
  translate_cmd->add_option("--out", translate.out, "Contract events, one CloudEvent a line")->required();
  translate_cmd->add_option("--config", translate.config,
                            "Mapping configuration (YAML, over connectors/default-mapping.yaml)");
  translate_cmd->add_option("--calendar", translate.calendar,
                            "Whose calendar the input is: a user id, email or native id of the mapping's users");
  translate_cmd->add_option("--state", translate.state_dir,
                            "Keep what partial sources need (record images, series, invitees) in this "
                            "RocksDB directory between runs");
  translate_cmd->add_option("--observed-at", translate.observed_at,
                            "When the input was fetched (RFC 3339): the time of records without one");
  translate_cmd->add_option("--dead-letters", translate.dead_letters,
                            "Where refused records go (default: --out with .dead.jsonl)");

  std::string webhooks_config;
  auto* webhooks_cmd = app.add_subcommand(
      "webhooks", "Receive HubSpot webhooks and Microsoft Graph notifications onto their Kafka topics (until SIGTERM)");
  webhooks_cmd->add_option("--config", webhooks_config, "Receiver configuration (JSON)")->required();

  std::string connect_config;
  auto* connect_cmd = app.add_subcommand(
      "connect", "Translate the records your CRM and calendars put on Kafka onto Huntline's topics (until SIGTERM)");
  connect_cmd->add_option("--config", connect_config, "Connector configuration (JSON)")->required();

  CLI11_PARSE(app, argc, argv);

  if (*connect_cmd) {
    auto config = huntline::connectors::LoadConnectConfig(connect_config);
    if (!config.ok()) {
      std::cerr << "huntline connect: " << config.status().message() << "\n";
      return 2;
    }
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::cerr << "huntline connect: " << config->sources.size() << " sources; metrics at http://" << config->listen
              << "/metrics\n";
    huntline::Status status = huntline::connectors::RunConnect(*config, g_stop);
    if (!status.ok()) {
      std::cerr << "huntline connect: " << status.message() << "\n";
      return 1;
    }
    return 0;
  }

  if (*webhooks_cmd) {
    auto config = huntline::connectors::LoadWebhookConfig(webhooks_config);
    if (!config.ok()) {
      std::cerr << "huntline webhooks: " << config.status().message() << "\n";
      return 2;
    }
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::cerr << "huntline webhooks: listening on " << config->listen << "\n";
    huntline::Status status = huntline::connectors::RunWebhooks(*config, g_stop);
    if (!status.ok()) {
      std::cerr << "huntline webhooks: " << status.message() << "\n";
      return 1;
    }
    return 0;
  }

  if (*translate_cmd) {
    const auto outcome = huntline::connectors::Translate(translate);
    if (outcome.exit_code != 0) {
      std::cerr << "huntline translate: " << outcome.message << "\n";
      return outcome.exit_code;
    }
    std::cerr << "huntline translate: translated " << outcome.translated << ", skipped " << outcome.skipped
              << ", dead-lettered " << outcome.dead_lettered << "\n";
    return 0;
  }

  if (*run_cmd) return RunLive(config_path);
  if (*demo_cmd) {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    huntline::Status status = huntline::engine::RunDemo(demo, g_stop);
    if (!status.ok()) {
      std::cerr << "huntline demo: " << status.message() << "\n";
      return 1;
    }
    return 0;
  }
  if (*gen_cmd) {
    auto start = huntline::ParseDate(gen_start);
    if (!start) {
      std::cerr << "huntline generate: --start: \"" << gen_start << "\" is not a YYYY-MM-DD date\n";
      return 2;
    }
    gen.start = huntline::StartOfDay(*start);
    // Sized to --events: about 6,000 events per team and quarter.
    if (gen.max_events > 0 && gen_cmd->count("--teams") == 0) {
      gen.teams = static_cast<int>(std::clamp<int64_t>(gen.max_events / 6000, 3, 2000));
    }
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (gen_out != "-") {
      file.open(gen_out, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::cerr << "huntline generate: cannot write " << gen_out << "\n";
        return 1;
      }
      out = &file;
    }
    huntline::generator::Generator generator(gen);
    generator.EmitAll([&](const huntline::generator::Generated& g) { *out << g.json << '\n'; });
    out->flush();
    std::cerr << "huntline generate: " << generator.emitted() << " events\n";
    return *out ? 0 : 1;
  }

  if (*report_cmd) {
    return RunReport(report, report_config, report_min_group, report_per_person, report_from_kafka);
  }
  if (*replay_cmd) {
    if (!as_of.empty()) {
      auto t = huntline::ParseRfc3339(as_of);
      if (!t) {
        std::cerr << "huntline replay: --as-of: \"" << as_of
                  << "\" is not an RFC 3339 time (e.g. 2026-09-30T23:59:59Z)\n";
        return 2;
      }
      replay.as_of = *t;
    }
    if (!replay_config.empty()) {
      auto config = huntline::engine::LoadConfig(replay_config);
      if (!config.ok()) {
        std::cerr << "huntline replay: " << config.status().message() << "\n";
        return 2;
      }
      replay.settings = config->settings;
      replay.rewrite = huntline::metrics::PersonRewriter(config->privacy.per_person_metrics,
                                                         config->privacy.pseudonym_key);
    }
    return RunReplay(replay);
  }
  return 0;
}
