#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace huntline::ingest {

/// Reads a JSON-lines file one line at a time through a large buffer. Lines are returned without
/// their newline; a view stays valid until the next call.
class LineReader {
 public:
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();

  /// False at the end of the file.
  bool Next(std::string_view* line);
  /// 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }

 private:
  explicit LineReader(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  std::string buffer_;
  size_t begin_ = 0;  // start of unread data in buffer_
  std::string line_;
  int64_t line_number_ = 0;
  bool eof_ = false;
};

}  // namespace huntline::ingest
