#include "ingest/line_reader.h"

#include <cerrno>
#include <cstring>

namespace huntline::ingest {
namespace {
constexpr size_t kChunk = 1 << 20;
}

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  std::FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!file) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  return std::unique_ptr<LineReader>(new LineReader(file));
}

LineReader::~LineReader() {
  if (file_ != stdin) std::fclose(file_);
}

bool LineReader::Next(std::string_view* line) {
  while (true) {
    const size_t newline = buffer_.find('\n', begin_);
    if (newline != std::string::npos) {
      size_t end = newline;
      if (end > begin_ && buffer_[end - 1] == '\r') --end;
      line_.assign(buffer_, begin_, end - begin_);
      begin_ = newline + 1;
      ++line_number_;
      *line = line_;
      return true;
    }
    if (eof_) {
      if (begin_ >= buffer_.size()) return false;
      line_.assign(buffer_, begin_, std::string::npos);
      begin_ = buffer_.size();
      ++line_number_;
      *line = line_;
      return true;
    }
    buffer_.erase(0, begin_);
    begin_ = 0;
    const size_t old = buffer_.size();
    buffer_.resize(old + kChunk);
    const size_t n = std::fread(buffer_.data() + old, 1, kChunk, file_);
    buffer_.resize(old + n);
    if (n < kChunk) eof_ = true;
  }
}

}  // namespace huntline::ingest
