// The CloudEvents Kafka-binding cases of shared/conformance/cloudevents/ (CASES.md, RULES.md)
// through the decoder, read from cases.jsonl at test time.
//
// Each case's message is built as CASES.md says: everything that makes the case is kept (mode,
// header names and their case, content types, null headers and values, copy headers, key,
// extensions, the attribute under test), and the contract's example stands in for what Huntline's
// contract would refuse regardless (events.md: `crm.activity.logged`, `salesforce/acme`, the
// activity `data`):
// - `type` and `source` are replaced where the case has them, never added (binary-missing-source
//   and binary-missing-type are about their absence); a `ce_*` copy header beside a structured
//   value is replaced only where it copies the value (mode-structured-with-conflicting-headers
//   keeps its conflicting ones);
// - `time` is kept where the case has one (every one is a valid RFC 3339 instant, and
//   binary-time-parsing and json-json-data-with-fractional-time are about it) and the contract's
//   added where it has none: CloudEvents makes `time` optional, the contract requires it;
// - `data` is the contract's example (binary mode: the value, with `content-type:
//   application/json` unless the case sets a content type), except in kDataShapeCases, whose
//   point is the data itself; those keep it and Huntline must refuse them with a precise reason.
//
// Every case of the file must have an expectation below and every expectation a case: a case
// added to or dropped from the file fails the test until it is decided here.

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/decoder.h"

namespace huntline::ingest {
namespace {

using nlohmann::json;

constexpr std::string_view kType = "crm.activity.logged";
constexpr std::string_view kSource = "salesforce/acme";
constexpr std::string_view kTime = "2026-10-06T14:05:00Z";
const json kData = {{"activity_id", "00T8d00000Ab1"}, {"actor_id", "u-rep-7"},
                    {"account_id", "a-1042"},         {"channel", "call"},
                    {"direction", "outbound"},        {"outcome", "connected"},
                    {"duration_s", 420}};

/// Valid CloudEvents whose point is their data's shape (none, XML, text, base64, a string):
/// they keep it, and the contract's `data` (a JSON object) makes Huntline refuse them.
const std::set<std::string> kDataShapeCases = {
    "binary-min-no-value",  "binary-xml-data",      "binary-text-data",
    "json-min",             "json-base64-json-data", "json-base64-xml-data",
    "json-base64-text-data", "json-xml-data",        "json-text-data",
    "json-string-data-not-reparsed"};

/// What Huntline does with a case. `accept`: decoded, with the case's mode, id and time.
/// Otherwise refused with `reason` and exactly `detail`. `why` says why, where the spec leaves
/// room or Huntline's contract decides (the README's "The Kafka message format").
struct Expectation {
  bool accept;
  RejectReason reason = RejectReason::kInvalidJson;
  std::string detail;
  std::string why;
};

Expectation Accept(std::string why = "") { return {true, RejectReason::kInvalidJson, "", std::move(why)}; }
Expectation Refuse(RejectReason reason, std::string detail, std::string why = "") {
  return {false, reason, std::move(detail), std::move(why)};
}

const std::map<std::string, Expectation>& Expectations() {
  static const auto* expectations = new std::map<std::string, Expectation>{
      // Mode selection (R1–R5).
      {"mode-structured-json", Accept()},
      {"mode-structured-json-charset", Accept()},
      {"mode-structured-json-charset-upper", Accept()},
      {"mode-structured-media-type-case", Accept("media types compare without regard to case")},
      {"mode-unknown-cloudevents-format",
       Refuse(RejectReason::kInvalidValue,
              R"(content-type: "application/cloudevents+avro" is not an event format Huntline )"
              R"(reads (application/cloudevents+json))",
              "never parsed as JSON; forwarding as binary (spec MAY) would only dead-letter it "
              "later with a vaguer reason")},
      {"mode-batch-not-supported",
       Refuse(RejectReason::kInvalidValue,
              R"(content-type: "application/cloudevents-batch+json": the Kafka binding has no )"
              R"(batch mode, one event per message)")},
      {"mode-plain-json-no-ce-headers",
       Refuse(RejectReason::kMissingField, "specversion: required attribute is missing",
              "no CloudEvents content type and no ce_ header: the contract's structured mode")},
      {"mode-structured-with-copy-headers", Accept("content-type decides; copies are ignored")},
      {"mode-structured-with-conflicting-headers",
       Accept("content-type decides; the attributes are the value's, not the headers'")},
      {"mode-no-headers-structured-value",
       Accept("either: no headers is the contract's structured mode (replay lines too)")},
      // Binary mode (R6–R9).
      {"binary-conformance", Accept()},
      {"binary-min-no-value",
       Refuse(RejectReason::kMissingField,
              "data: required attribute is missing (the message has no value)",
              "a valid CloudEvent without data; the contract requires data")},
      {"binary-json-data-full", Accept()},
      {"binary-string-extensions", Accept("header extensions are strings; ignored")},
      {"binary-xml-data",
       Refuse(RejectReason::kWrongType,
              R"(data: must be a JSON object, got "application/xml" content (content-type))",
              "a valid CloudEvent; the contract's data is a JSON object")},
      {"binary-text-data",
       Refuse(RejectReason::kWrongType,
              R"(data: must be a JSON object, got "text/plain" content (content-type))",
              "a valid CloudEvent; the contract's data is a JSON object")},
      {"binary-null-header-value", Accept("a header without a value is skipped")},
      {"binary-ce-datacontenttype-header",
       Accept("ce_datacontenttype is read when there is no content-type (Go, Java)")},
      {"binary-header-name-case",
       Accept("either: header names compare without regard to case (Python, Go)")},
      {"binary-time-parsing", Accept()},
      {"binary-unicode-header", Accept()},
      {"binary-key-is-not-an-attribute",
       Accept("the key is transport metadata; the engine checks it against the event's topic")},
      {"binary-partitionkey-extension", Accept("ce_partitionkey is an ordinary extension")},
      // Validity (R12).
      {"binary-missing-id",
       Refuse(RejectReason::kMissingField, "ce_id: required attribute is missing")},
      {"binary-empty-id", Refuse(RejectReason::kInvalidValue, "ce_id: must not be empty")},
      {"binary-missing-source",
       Refuse(RejectReason::kMissingField, "ce_source: required attribute is missing")},
      {"binary-missing-type",
       Refuse(RejectReason::kMissingField, "ce_type: required attribute is missing")},
      {"binary-specversion-03",
       Refuse(RejectReason::kInvalidValue, R"(ce_specversion: must be "1.0", got "0.3")",
              "the contract takes CloudEvents 1.0 only")},
      {"structured-invalid-specversion",
       Refuse(RejectReason::kInvalidValue, R"(specversion: must be "1.0", got "9000.1")")},
      // Structured JSON format (R11, R13).
      {"json-min",
       Refuse(RejectReason::kMissingField, "data: required attribute is missing",
              "a valid CloudEvent without data; the contract requires data")},
      {"json-min-subject-null", Accept("null is unset")},
      {"json-json-data", Accept()},
      {"json-json-data-with-ext", Accept()},
      {"json-json-data-with-fractional-time", Accept()},
      {"json-base64-json-data",
       Refuse(RejectReason::kWrongType, "data: must be a JSON object, got data_base64 (binary data)",
              "the contract's data is a JSON object, never base64")},
      {"json-xml-data",
       Refuse(RejectReason::kWrongType,
              R"(data: must be a JSON object, got "application/xml" content (datacontenttype))")},
      {"json-base64-xml-data",
       Refuse(RejectReason::kWrongType, "data: must be a JSON object, got data_base64 (binary data)")},
      {"json-text-data",
       Refuse(RejectReason::kWrongType,
              R"(data: must be a JSON object, got "text/plain" content (datacontenttype))")},
      {"json-base64-text-data",
       Refuse(RejectReason::kWrongType, "data: must be a JSON object, got data_base64 (binary data)")},
      {"json-fail-numeric-long",
       Refuse(RejectReason::kInvalidValue,
              "long: 4247483647 is not a CloudEvents Integer (signed 32 bits)")},
      {"json-fail-numeric-decimal",
       Refuse(RejectReason::kInvalidValue,
              "decimal: a number with a fraction or exponent is not a CloudEvents Integer")},
      {"json-json-data-with-ext-upper-case",
       Accept("either: extension names are not checked, Huntline ignores extensions")},
      {"json-json-data-with-ext-invalid",
       Accept("either: extension names are not checked, Huntline ignores extensions")},
      {"json-data-and-data-base64",
       Refuse(RejectReason::kInvalidValue, "data_base64: must not be present together with data")},
      {"json-string-data-not-reparsed",
       Refuse(RejectReason::kWrongType, "data: must be an object, got string",
              "a string is never parsed again: the contract's data is a JSON object")},
  };
  return *expectations;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoringCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoringCase(s.substr(0, prefix.size()), prefix);
}

/// A case's message, rewritten as the file's comment says, and what it stands for.
struct CaseMessage {
  Headers headers;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::string id;    // the event id the case gives (from the value or the headers)
  std::string time;  // the event time it carries after rewriting
};

CaseMessage Build(const json& c) {
  const std::string& id = c["id"].get_ref<const std::string&>();
  const json& message = c["message"];
  const bool keep_data = kDataShapeCases.contains(id);
  CaseMessage out;
  if (!message["key"].is_null()) out.key = message["key"].get<std::string>();
  if (!message["value"].is_null()) out.value = message["value"].get<std::string>();
  bool structured_type = false, has_ce_header = false, has_content_type = false;
  for (const json& h : message["headers"]) {
    Header header{h[0].get<std::string>(), h[1].is_null() ? "" : h[1].get<std::string>(),
                  !h[1].is_null()};
    if (EqualsIgnoringCase(header.key, "content-type") && header.has_value) {
      has_content_type = true;
      structured_type = StartsWithIgnoringCase(header.value, "application/cloudevents");
    }
    has_ce_header = has_ce_header || StartsWithIgnoringCase(header.key, "ce_");
    out.headers.push_back(std::move(header));
  }
  auto header = [&](std::string_view name) -> Header* {
    for (Header& h : out.headers) {
      if (h.has_value && EqualsIgnoringCase(h.key, name)) return &h;
    }
    return nullptr;
  };

  if (structured_type || !has_ce_header) {
    // The value is the event: rewrite inside it, and the copy headers that copy it.
    if (!out.value) return out;
    json event = json::parse(*out.value, nullptr, false);
    if (!event.is_object()) return out;
    for (const char* name : {"type", "source"}) {
      if (!event.contains(name)) continue;
      const std::string replacement(name == std::string("type") ? kType : kSource);
      if (Header* copy = header(std::string("ce_") + name); copy && copy->value == event[name]) {
        copy->value = replacement;
      }
      event[name] = replacement;
    }
    if (!event.contains("time") || event["time"].is_null()) event["time"] = kTime;
    if (!keep_data) event["data"] = kData;
    out.id = event.value("id", "");
    out.time = event["time"].get<std::string>();
    out.value = event.dump();
    return out;
  }
  // Binary mode: rewrite the headers; the value is the data.
  if (Header* type = header("ce_type")) type->value = kType;
  if (Header* source = header("ce_source")) source->value = kSource;
  if (!header("ce_time")) out.headers.push_back({"ce_time", std::string(kTime)});
  if (!keep_data) {
    out.value = kData.dump();
    if (!has_content_type && !header("ce_datacontenttype")) {
      out.headers.push_back({"content-type", "application/json"});
    }
  }
  if (const Header* h = header("ce_id")) out.id = h->value;
  out.time = header("ce_time")->value;
  return out;
}

std::vector<json> ReadCases() {
  const std::string path = std::string(HUNTLINE_SHARED_DIR) + "/conformance/cloudevents/cases.jsonl";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<json> cases;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) cases.push_back(json::parse(line));
  }
  return cases;
}

TEST(KafkaBindingConformance, EveryCaseIsDecodedAsHuntlineDocumentsIt) {
  const std::vector<json> cases = ReadCases();
  ASSERT_EQ(cases.size(), 45u) << "CASES.md lists 45 cases";
  std::set<std::string> seen;
  Decoder decoder;
  for (const json& c : cases) {
    const std::string id = c["id"].get<std::string>();
    SCOPED_TRACE(id);
    EXPECT_TRUE(seen.insert(id).second) << "case id repeated";
    auto it = Expectations().find(id);
    if (it == Expectations().end()) {
      ADD_FAILURE() << "no expectation for this case: decide it and document it";
      continue;
    }
    const Expectation& expected = it->second;
    const std::string outcome = c["expect"]["outcome"].get<std::string>();
    // Huntline departs from the file's outcome only where its contract decides: the data-shape
    // cases (valid CloudEvents, refused), and `either`.
    if (outcome == "reject") {
      EXPECT_FALSE(expected.accept);
    } else if (outcome == "event") {
      EXPECT_EQ(expected.accept, !kDataShapeCases.contains(id));
    } else {
      EXPECT_EQ(outcome, "either");
      EXPECT_FALSE(expected.why.empty()) << "an either case says why";
    }

    const CaseMessage built = Build(c);
    RawMessage message;
    message.topic = "huntline.crm";
    message.headers = &built.headers;
    if (built.key) message.key = *built.key;
    if (built.value) message.value = *built.value;

    Event event;
    Rejection why;
    const bool accepted = decoder.Decode(message, &event, &why);
    if (!expected.accept) {
      EXPECT_FALSE(accepted);
      EXPECT_EQ(why.reason, expected.reason) << why.detail;
      EXPECT_EQ(why.detail, expected.detail);
      continue;
    }
    ASSERT_TRUE(accepted) << kRejectReasonNames[static_cast<size_t>(why.reason)] << ": "
                          << why.detail;
    ContentMode mode;
    ASSERT_TRUE(SelectMode(message, &mode, &why));
    const json& expect = c["expect"];
    if (expect.contains("mode") && expect["mode"].is_string()) {
      EXPECT_EQ(mode, expect["mode"] == "binary" ? ContentMode::kBinary : ContentMode::kStructured);
    }
    const std::string expected_id =
        expect.contains("attributes") && expect["attributes"].contains("id")
            ? expect["attributes"]["id"].get<std::string>()
            : built.id;
    EXPECT_EQ(event.id, expected_id);
    EXPECT_EQ(event.source, kSource);
    EXPECT_EQ(event.type, EventType::kActivityLogged);
    EXPECT_EQ(event.time, ParseRfc3339(built.time).value());
    const auto& activity = event.As<ActivityLogged>();
    EXPECT_EQ(activity.activity_id, "00T8d00000Ab1");
    EXPECT_EQ(activity.account_id, "a-1042");
    EXPECT_EQ(activity.duration_s, 420);
  }
  for (const auto& [id, expectation] : Expectations()) {
    EXPECT_TRUE(seen.contains(id)) << id << " is expected but not in cases.jsonl";
  }
  for (const std::string& id : kDataShapeCases) EXPECT_TRUE(seen.contains(id)) << id;
}

TEST(KafkaBindingConformance, JsonContentTypesAreSdkJavas) {
  const std::string path =
      std::string(HUNTLINE_SHARED_DIR) + "/conformance/cloudevents/json-content-types.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  const json types = json::parse(in);
  ASSERT_FALSE(types["json"].empty());
  ASSERT_FALSE(types["not_json"].empty());
  bool absent_is_json = false;
  for (const json& t : types["json"]) {
    if (t.is_null()) {
      absent_is_json = true;
      continue;
    }
    EXPECT_TRUE(IsJsonContentType(t.get<std::string>())) << t;
  }
  for (const json& t : types["not_json"]) EXPECT_FALSE(IsJsonContentType(t.get<std::string>())) << t;

  // No content type at all: the data is taken as JSON.
  ASSERT_TRUE(absent_is_json);
  const Headers headers = {{"ce_specversion", "1.0"}, {"ce_id", "1"},
                           {"ce_source", std::string(kSource)}, {"ce_type", std::string(kType)},
                           {"ce_time", std::string(kTime)}};
  const std::string value = kData.dump();
  RawMessage message;
  message.headers = &headers;
  message.value = value;
  Decoder decoder;
  Event event;
  Rejection why;
  EXPECT_TRUE(decoder.Decode(message, &event, &why)) << why.detail;
}

}  // namespace
}  // namespace huntline::ingest
