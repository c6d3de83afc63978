#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace huntline::connectors {

/// `huntline connect --config FILE` (JSON): vendor topics in, contract topics out.
struct ConnectConfig {
  std::string id = "huntline-connect";  // names the transactional producer: one instance per id
  std::string brokers;
  std::map<std::string, std::string> kafka_properties;
  std::string state_dir;  // RocksDB: the translators' state and the input offsets
  std::string mapping_file;  // empty: the default mapping
  std::string listen = "127.0.0.1:9466";
  struct Topics {
    std::string org = "huntline.org";
    std::string crm = "huntline.crm";
    std::string people = "huntline.people";
    std::string dead_letter = "huntline.connect.dead-letter";
  } topics;
  struct Source {
    std::string format;    // a format of Formats()
    std::string topic;     // the vendor records, one payload per message
    std::string calendar;  // calendar formats: whose calendar; empty: the message key says
  };
  std::vector<Source> sources;
  int batch_max_messages = 1000;
  int batch_max_wait_ms = 200;
};

/// Reads the configuration; an error names the file and the field.
Result<ConnectConfig> LoadConnectConfig(const std::string& path);

/// Translates every message of the source topics, from the offsets in the state (the start of
/// each partition the first time), until `stop`. Each batch's events and dead letters are
/// written in one Kafka transaction; then its state changes and next offsets in one RocksDB
/// write. A crash before the transaction commits loses nothing (the batch is read again); a crash
/// between the two writes the batch's events again, with the same ids, which the engine counts as
/// duplicates: no figure changes.
Status RunConnect(const ConnectConfig& config, const std::atomic<bool>& stop);

}  // namespace huntline::connectors
