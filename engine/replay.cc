#include "engine/replay.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "ingest/line_reader.h"
#include "processors/processor.h"

namespace huntline::engine {
namespace {

Status WriteFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Status::Error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::Error("cannot rename to " + path);
  return Status::Ok();
}

}  // namespace

Result<ReplaySummary> Replay(const ReplayOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto reader = ingest::LineReader::Open(options.input);
  if (!reader.ok()) return reader.status();

  std::unique_ptr<ingest::DeadLetterSink> dead_letters;
  if (options.dead_letters) {
    auto file = ingest::FileDeadLetterSink::Open(*options.dead_letters);
    if (!file.ok()) return file.status();
    dead_letters = std::move(file).value();
  } else {
    dead_letters = std::make_unique<ingest::DiscardDeadLetterSink>();
  }

  metrics::Catalog catalog;
  processors::ProcessorRegistry registry(catalog);
  processors::RegisterAllProcessors(registry);
  // A replay never restarts: its state lives in the tasks. Only the history may be kept.
  std::unique_ptr<storage::KvStore> store = std::make_unique<storage::NullKvStore>();
  if (options.history_dir) {
    std::error_code ec;
    std::filesystem::remove_all(*options.history_dir, ec);
    std::filesystem::create_directories(*options.history_dir, ec);
    std::filesystem::permissions(*options.history_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    auto rocks = storage::OpenRocksDb(*options.history_dir);
    if (!rocks.ok()) return rocks.status();
    store = std::move(rocks).value();
  }
  metrics::EngineMetrics engine_metrics(HUNTLINE_VERSION);
  metrics::ExpositionOptions exposition;
  exposition.omit_zero = !options.include_zero;
  exposition.rewrite = options.rewrite;
  metrics::PublishedMetrics published(catalog, exposition);
  Engine::Options engine_options;
  engine_options.settings = options.settings;
  engine_options.durable = false;
  engine_options.history = options.history_dir.has_value();
  engine_options.history_rewrite = options.rewrite;
  Engine engine(registry, catalog, *store, *dead_letters, engine_metrics, published, engine_options);

  ReplaySummary summary;
  const std::string topic = "file:" + options.input;
  std::string_view line;
  int64_t since_commit = 0;
  while ((*reader)->Next(&line)) {
    ++summary.lines;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
    ingest::RawMessage message;
    message.topic = topic;
    message.offset = (*reader)->line_number();
    message.value = line;
    auto result = engine.HandleReplayLine(message, options.as_of);
    if (!result) {
      ++summary.after_as_of;
      continue;
    }
    ++summary.by_result[static_cast<size_t>(*result)];
    // Same batching as a live run; only the final snapshot is published.
    if (++since_commit == 10000) {
      if (Status s = engine.Commit(/*publish=*/false); !s.ok()) return s;
      since_commit = 0;
    }
  }
  if (options.as_of) engine.AdvanceTime(*options.as_of);
  engine.RecordHistoryNow();  // the last day, as far as the input goes
  if (Status s = engine.Commit(); !s.ok()) return s;

  auto families = metrics::ToFamilies(catalog, *published.Current(), exposition);
  if (options.include_engine_metrics) {
    auto more = engine_metrics.registry()->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  if (Status s = WriteFile(options.metrics_out, metrics::ToText(families)); !s.ok()) return s;
  summary.engine_time = engine.now();
  summary.series_refused = engine.series_refused();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace huntline::engine
