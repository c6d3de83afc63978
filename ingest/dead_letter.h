#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "ingest/decoder.h"
#include "ingest/message.h"

namespace huntline::ingest {

/// Where refused messages go: unchanged, with the reason, where they came from and when.
/// Called from the processing thread only.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual Status Send(const RawMessage& message, const Rejection& why, Timestamp rejected_at) = 0;
  /// Makes everything sent so far durable (called before input offsets are committed).
  virtual Status Flush() { return Status::Ok(); }
};

/// A JSON-lines file: one object a refused message, `{"reason", "detail", "topic", "partition",
/// "offset", "rejected_at", "key", "value", "headers"}`, the original bytes in `value`.
class FileDeadLetterSink : public DeadLetterSink {
 public:
  static Result<std::unique_ptr<FileDeadLetterSink>> Open(const std::string& path);
  ~FileDeadLetterSink() override;

  Status Send(const RawMessage& message, const Rejection& why, Timestamp rejected_at) override;
  Status Flush() override;

 private:
  explicit FileDeadLetterSink(std::FILE* file) : file_(file) {}
  std::FILE* file_;
};

/// Drops everything (counted by the engine all the same); used when no destination is given.
class DiscardDeadLetterSink : public DeadLetterSink {
 public:
  Status Send(const RawMessage&, const Rejection&, Timestamp) override { return Status::Ok(); }
};

/// The header names a dead letter carries on Kafka (and fields in the file form).
inline constexpr std::string_view kDlqReasonHeader = "huntline.dlq.reason";
inline constexpr std::string_view kDlqDetailHeader = "huntline.dlq.detail";
inline constexpr std::string_view kDlqTopicHeader = "huntline.dlq.topic";
inline constexpr std::string_view kDlqPartitionHeader = "huntline.dlq.partition";
inline constexpr std::string_view kDlqOffsetHeader = "huntline.dlq.offset";
inline constexpr std::string_view kDlqTimeHeader = "huntline.dlq.rejected_at";
/// On a dead letter whose original was too large to carry whole: the original value's size in
/// bytes (the value is then its first bytes, an excerpt).
inline constexpr std::string_view kDlqOriginalSizeHeader = "huntline.dlq.original_size";

/// A refusal's detail is cut to this many bytes (it may repeat the bad value, of any size).
inline constexpr size_t kMaxDetailBytes = 1024;
/// `text` cut to at most `max` bytes on a UTF-8 character boundary, saying how long it was.
std::string Bounded(std::string_view text, size_t max = kMaxDetailBytes);

}  // namespace huntline::ingest
