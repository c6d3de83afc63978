// libFuzzer target: ingest::Decoder on any Kafka message, structured or binary mode.
//
// Input framing (see message_framing.h): the fields of one message separated by 0xFF, a byte that
// never occurs in UTF-8, so a contract line is itself an input (a structured message without
// headers). Contract: Decode() never crashes, never leaks, and either accepts an event that keeps
// the contract's envelope rules or refuses it with a reason of the closed set and a detail that
// names a field, in UTF-8; decoding the same message again gives the same answer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "calendar/recurrence.h"
#include "ingest/decoder.h"
#include "tests/fuzz/message_framing.h"

namespace {

using huntline::ingest::Decoder;
using huntline::ingest::Event;
using huntline::ingest::RawMessage;
using huntline::ingest::Rejection;
using huntline::ingest::kRejectReasonNames;

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckAccepted(const Event& event) {
  Check(!event.id.empty() && CodePoints(event.id) <= 256);
  Check(!event.source.empty() && CodePoints(event.source) <= 256);
  Check(static_cast<size_t>(event.type) < huntline::ingest::kEventTypeNames.size());
  if (const auto* upsert = std::get_if<huntline::ingest::CalendarEventUpserted>(&event.data)) {
    Check(upsert->end >= upsert->start);
    if (upsert->rrule) {
      Check(huntline::calendar::CheckRule(*upsert->rrule).ok());
      Check(upsert->start >= huntline::calendar::kEarliestSeriesStart);
    }
    if (upsert->timezone) Check(huntline::calendar::KnownTimeZone(*upsert->timezone));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Decoder decoder;  // reused between inputs, as the engine reuses one per thread
  const huntline::fuzz::FramedMessage framed(data, size);
  const RawMessage message = framed.message();

  Event first;
  Rejection first_why;
  const bool accepted = decoder.Decode(message, &first, &first_why);
  if (accepted) {
    CheckAccepted(first);
  } else {
    Check(static_cast<size_t>(first_why.reason) < kRejectReasonNames.size());
    Check(!first_why.detail.empty());
    Check(simdjson::validate_utf8(first_why.detail));  // a dead letter's header and JSON line
  }

  Event again;
  Rejection again_why;
  Check(decoder.Decode(message, &again, &again_why) == accepted);
  if (accepted) {
    Check(again.id == first.id && again.source == first.source && again.type == first.type &&
          again.time == first.time && again.data.index() == first.data.index());
  } else {
    Check(again_why.reason == first_why.reason && again_why.detail == first_why.detail);
  }
  return 0;
}
