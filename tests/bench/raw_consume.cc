// The baseline for `huntline run`: a plain librdkafka consumer that reads the same topics and does
// nothing with the messages. Prints messages per second once `--count` messages were read.
//
//   raw_consume BOOTSTRAP GROUP COUNT TOPIC...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: raw_consume BOOTSTRAP GROUP COUNT TOPIC...\n");
    return 2;
  }
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", argv[1], error);
  conf->set("group.id", argv[2], error);
  conf->set("auto.offset.reset", "earliest", error);
  conf->set("enable.auto.commit", "false", error);
  conf->set("partition.assignment.strategy", "cooperative-sticky", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) {
    std::fprintf(stderr, "raw_consume: %s\n", error.c_str());
    return 1;
  }
  const long long want = std::atoll(argv[3]);
  std::vector<std::string> topics(argv + 4, argv + argc);
  consumer->subscribe(topics);
  long long count = 0;
  size_t bytes = 0;
  std::chrono::steady_clock::time_point first;
  while (count < want) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(1000));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    if (count == 0) first = std::chrono::steady_clock::now();
    ++count;
    bytes += m->len();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  std::printf("{\"messages\": %lld, \"seconds\": %.3f, \"per_second\": %.0f, \"bytes\": %zu}\n",
              count, seconds, count / seconds, bytes);
  consumer->close();
  return 0;
}
