#include "reports/report_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "metrics/history.h"
#include "processors/processor.h"
#include "reports/render.h"
#include "storage/kv_store.h"

namespace huntline::reports {
namespace {

namespace fs = std::filesystem;

Status WriteText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return Status::Error("cannot write " + path);
  return Status::Ok();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Status PrintPdf(const std::string& html, const std::string& pdf_path, const std::string& chromium) {
  std::error_code ec;
  char dir_template[] = "/tmp/huntline-report-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) return Status::Error("cannot create a temporary directory");
  const fs::path work(dir);
  const fs::path page = work / "report.html";
  if (Status s = WriteText(page.string(), html); !s.ok()) return s;
  const fs::path target = fs::absolute(pdf_path, ec);
  // No network, no first-run work, a throw-away profile: the page is self-contained.
  const std::string cmd = Quote(chromium) +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update --disable-sync"
                          " --user-data-dir=" + Quote((work / "profile").string()) +
                          " --no-pdf-header-footer --print-to-pdf-no-header"
                          " --print-to-pdf=" + Quote(target.string()) + " " +
                          Quote("file://" + page.string()) + " > " + Quote((work / "chromium.log").string()) +
                          " 2>&1";
  fs::remove(target, ec);
  const int rc = std::system(cmd.c_str());
  const bool written = fs::exists(target) && fs::file_size(target, ec) > 0;
  std::string log;
  if (!written) {
    std::ifstream in(work / "chromium.log");
    log.assign(std::istreambuf_iterator<char>(in), {});
  }
  fs::remove_all(work, ec);
  if (!written) {
    return Status::Error("printing the PDF with " + chromium + " failed (exit " + std::to_string(rc) +
                         ")" + (log.empty() ? "" : ": " + log.substr(0, 400)));
  }
  return Status::Ok();
}

Result<std::string> RunReport(const ReportCommand& command) {
  static const std::set<std::string> kFormats = {"html", "pdf", "json", "csv", "md"};
  if (!kFormats.contains(command.format)) {
    return Status::Error("--format: must be html, pdf, json, csv or md");
  }
  std::map<Day, std::map<std::string, metrics::History::Record>> days;
  if (command.history) {
    days = *command.history;
  } else {
    if (command.history_dir.empty() || !fs::exists(command.history_dir)) {
      return Status::Error("no history at \"" + command.history_dir +
                           "\": give a `huntline run` state directory (--config), its history "
                           "topic (--config --from-kafka) or a `huntline replay --history-dir` "
                           "directory (--history-dir)");
    }
    storage::RocksOptions read_only;
    read_only.read_only = true;
    auto store = storage::OpenRocksDb(command.history_dir, read_only);
    if (!store.ok()) return store.status();
    auto loaded = metrics::LoadHistory(**store);
    if (!loaded.ok()) return loaded.status();
    days = std::move(loaded).value();
  }

  metrics::Catalog catalog;
  processors::ProcessorRegistry registry(catalog);
  processors::RegisterAllProcessors(registry);
  HistoryView history(catalog, std::move(days));

  ReportOptions options;
  options.fiscal = command.fiscal;
  options.privacy = command.privacy;
  if (!command.quarter.empty()) {
    auto q = FiscalCalendar::ParseLabel(command.quarter);
    if (!q) return Status::Error("--quarter: \"" + command.quarter + "\" is not like FY2026-Q3");
    options.quarter = *q;
  } else {
    const Day latest = history.empty() ? DayOf(WallClockNow()) : history.last_day();
    options.quarter = LastCompleteQuarter(latest + 1, command.fiscal);
  }
  const nlohmann::json report = BuildQuarterReport(history, options);

  const std::string ext = command.format;
  const std::string out = command.out.empty()
                              ? "huntline-report-" + FiscalCalendar::Label(options.quarter) + "." + ext
                              : command.out;
  Status written = Status::Ok();
  if (command.format == "json") {
    written = WriteText(out, report.dump(2) + "\n");
  } else if (command.format == "csv") {
    written = WriteText(out, RenderCsv(report));
  } else if (command.format == "md") {
    written = WriteText(out, RenderMarkdown(report));
  } else if (command.format == "html") {
    written = WriteText(out, RenderHtml(report));
  } else {
    if (out == "-") return Status::Error("--out: a PDF needs a file");
    written = PrintPdf(RenderHtml(report), out, command.chromium);
  }
  if (!written.ok()) return written;
  return out;
}

}  // namespace huntline::reports
