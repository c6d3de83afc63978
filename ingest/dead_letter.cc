#include "ingest/dead_letter.h"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace huntline::ingest {

Result<std::unique_ptr<FileDeadLetterSink>> FileDeadLetterSink::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (!file) {
    return Status::Error("cannot open dead-letter file " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<FileDeadLetterSink>(new FileDeadLetterSink(file));
}

FileDeadLetterSink::~FileDeadLetterSink() { std::fclose(file_); }

std::string Bounded(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  const std::string more = "… (" + std::to_string(text.size()) + " bytes)";
  size_t cut = max > more.size() ? max - more.size() : 0;
  // Back to the start of a character: continuation bytes are 10xxxxxx.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + more;
}

Status FileDeadLetterSink::Send(const RawMessage& message, const Rejection& why,
                                Timestamp rejected_at) {
  nlohmann::json line = {
      {"reason", kRejectReasonNames[static_cast<size_t>(why.reason)]},
      {"detail", Bounded(why.detail)},
      {"topic", message.topic},
      {"partition", message.partition},
      {"offset", message.offset},
      {"rejected_at", FormatRfc3339(rejected_at)},
      {"key", message.key},
      {"value", message.value},
  };
  if (message.headers) {
    nlohmann::json headers = nlohmann::json::object();
    for (const Header& h : *message.headers) {
      headers[h.key] = h.has_value ? nlohmann::json(h.value) : nlohmann::json(nullptr);
    }
    line["headers"] = std::move(headers);
  }
  // Bytes that are not UTF-8 are replaced in the file form; the Kafka form keeps them exactly.
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
    return Status::Error(std::string("cannot write dead-letter file: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status FileDeadLetterSink::Flush() {
  if (std::fflush(file_) != 0) {
    return Status::Error(std::string("cannot flush dead-letter file: ") + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace huntline::ingest
