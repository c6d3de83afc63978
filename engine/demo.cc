#include "engine/demo.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, which it requires
#include <librdkafka/rdkafkacpp.h>

#include "engine/kafka_runner.h"
#include "generator/generator.h"

namespace huntline::engine {
namespace {


void PrintBanner(const DemoOptions& options) {
  std::fprintf(stderr,
               "\n"
               "Huntline demo: a simulated sales organisation (%d hunting teams, account managers,\n"
               "an executive) streams CRM and calendar events into an in-process Kafka; the engine\n"
               "consumes them as `huntline run` would. %g simulated days pass per minute.\n"
               "\n"
               "  Metrics:  http://%s/metrics     Health: http://%s/health\n"
               "\n"
               "What the figures mean:\n"
               "  huntline_activities_total{team,role,behaviour,outcome}\n"
               "      every logged activity, by the kind of work it was: target_prospecting (hunting\n"
               "      strategic accounts before an opportunity exists), inbound_followup, deal_work,\n"
               "      customer_management, lost_deal_followup, opportunistic_prospecting, other.\n"
               "  huntline_activity_seconds_total   the time those activities took.\n"
               "  huntline_rep_activities_total{team,rep,behaviour}   the same per person: which reps\n"
               "      hunt their target lists and which only chase what comes in.\n"
               "  huntline_protected_seconds_total, huntline_protected_lost_seconds_total{cause},\n"
               "  huntline_manager_interruptions_total{interrupter}   protected prospecting time, what\n"
               "      took it (manager meetings, cancellations, customer fire-drills) and who.\n"
               "  huntline_pipeline_*   the new-business pipeline: coverage, creation by origin, flow.\n"
               "  huntline_leader_meeting_seconds_total{leader,counterpart}   do leaders meet prospects?\n"
               "  huntline_events_total, huntline_dead_letters_total, huntline_consumer_lag_messages,\n"
               "  huntline_processing_latency_seconds   the engine's own health.\n"
               "\n"
               "Try:  curl -s http://%s/metrics | grep '^huntline_activities_total'\n"
               "Stop with Ctrl-C.\n\n",
               options.teams, options.days_per_minute, options.listen.c_str(),
               options.listen.c_str(), options.listen.c_str());
  if (!options.web_config_file.empty()) {
    std::fprintf(stderr, "(/metrics and /health as %s says: https if it has tls_server_config, "
                 "credentials if it has basic_auth_users)\n\n", options.web_config_file.c_str());
  }
}

}  // namespace

std::string DefaultDemoStateDir() {
  namespace fs = std::filesystem;
  fs::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = fs::path(home) / ".cache";
  } else {
    std::error_code ec;
    base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
  }
  return (base / "huntline" / "demo-state").string();
}

Status RunDemo(const DemoOptions& options, const std::atomic<bool>& stop) {
  // The in-process cluster lives as long as the handle that created it.
  std::string error;
  std::unique_ptr<RdKafka::Conf> owner_conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  owner_conf->set("log_level", "3", error);
  std::unique_ptr<RdKafka::Producer> owner(RdKafka::Producer::create(owner_conf.get(), error));
  if (!owner) return Status::Error("mock cluster: " + error);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner->c_ptr(), 1);
  if (!cluster) return Status::Error("mock cluster: cannot create");
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);

  Config config;
  config.kafka.brokers = bootstrap;
  config.kafka.group_id = "huntline-demo";
  config.state_dir = options.state_dir.empty() ? DefaultDemoStateDir() : options.state_dir;
  config.listen = options.listen;
  config.web_config_file = options.web_config_file;
  config.batch_max_wait_ms = 200;
  // One instance on an in-process cluster, its state emptied at each start: there is no other
  // instance to hand state to (and librdkafka's mock cluster does not create topics on request).
  config.kafka.changelog = false;
  // Simulated days pass faster than real ones: engine time follows them, so windows close,
  // deals go stale and quarters turn at the simulation's pace.
  config.event_time = true;
  for (const auto& [topic, partitions] :
       std::vector<std::pair<std::string, int>>{{config.topics.org, 1},
                                                {config.topics.crm, 4},
                                                {config.topics.people, 4},
                                                {config.kafka.dead_letter_topic, 1}}) {
    rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 1);
  }
  std::error_code ec;
  std::filesystem::remove_all(config.state_dir, ec);  // the demo starts from nothing each time
  std::cerr << "huntline demo: state in " << config.state_dir << " (emptied at each start)\n";

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, error);
  conf->set("compression.type", "lz4", error);  // the mock keeps ~5 MiB a partition
  conf->set("linger.ms", "50", error);
  conf->set("partitioner", "murmur2_random", error);  // as Kafka's Java clients key messages
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) return Status::Error("demo producer: " + error);

  generator::Options gen;
  gen.seed = options.seed;
  gen.teams = options.teams;
  gen.days = 1 << 20;  // streams until stopped
  gen.start = WallClockNow() - static_cast<Timestamp>(options.history_days) * kMillisPerDay;
  generator::Generator generator(gen);
  auto produce = [&](const generator::Generated& g) {
    const std::string& topic = g.topic == ingest::TopicKind::kOrg   ? config.topics.org
                               : g.topic == ingest::TopicKind::kCrm ? config.topics.crm
                                                                    : config.topics.people;
    while (producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(g.json.data()), g.json.size(), g.key.data(),
                             g.key.size(), 0, nullptr) == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(50);
    }
  };
  generator.EmitOrg(produce);
  producer->flush(10000);

  std::atomic<bool> engine_stop{false};
  Status engine_status = Status::Ok();
  std::thread engine_thread([&] {
    engine_status = RunOnKafka(config, engine_stop, [&] { PrintBanner(options); });
  });

  const auto started = std::chrono::steady_clock::now();
  const auto pace = std::chrono::duration<double>(60.0 / options.days_per_minute);
  int day = 0;
  while (!stop.load() && !engine_stop.load()) {
    if (options.duration_s > 0 &&
        std::chrono::steady_clock::now() - started > std::chrono::seconds(options.duration_s)) {
      break;
    }
    generator.EmitDay(produce);
    producer->poll(0);
    if (++day > options.history_days) {
      const auto until = std::chrono::steady_clock::now() + pace;
      while (!stop.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        producer->poll(0);
      }
    }
  }
  producer->flush(10000);
  engine_stop.store(true);
  engine_thread.join();
  rd_kafka_mock_cluster_destroy(cluster);
  return engine_status;
}

}  // namespace huntline::engine
