#include "ingest/decoder.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace huntline::ingest {
namespace {

constexpr std::string_view kActivity =
    R"({"specversion":"1.0","id":"sf-1","source":"salesforce/acme","type":"crm.activity.logged",)"
    R"("time":"2026-10-06T14:05:00Z","data":{"activity_id":"00T1","actor_id":"u-rep-7",)"
    R"("account_id":"a-1042","channel":"call","direction":"outbound","outcome":"connected",)"
    R"("duration_s":420}})";

struct Decoded {
  bool ok;
  Event event;
  Rejection why;
};

Decoded DecodeValue(std::string_view value, const Headers* headers = nullptr) {
  Decoder decoder;
  Decoded d;
  RawMessage m;
  m.value = value;
  m.headers = headers;
  d.ok = decoder.Decode(m, &d.event, &d.why);
  return d;
}

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
  return s;
}

TEST(Decoder, StructuredMode) {
  auto d = DecodeValue(kActivity);
  ASSERT_TRUE(d.ok) << d.why.detail;
  EXPECT_EQ(d.event.id, "sf-1");
  EXPECT_EQ(d.event.source, "salesforce/acme");
  EXPECT_EQ(d.event.type, EventType::kActivityLogged);
  EXPECT_EQ(d.event.time, *ParseRfc3339("2026-10-06T14:05:00Z"));
  const auto& a = d.event.As<ActivityLogged>();
  EXPECT_EQ(a.actor_id, "u-rep-7");
  EXPECT_EQ(a.account_id, "a-1042");
  EXPECT_FALSE(a.lead_id.has_value());
  EXPECT_EQ(a.channel, Channel::kCall);
  EXPECT_EQ(a.direction, Direction::kOutbound);
  EXPECT_EQ(a.outcome, ActivityOutcome::kConnected);
  EXPECT_EQ(a.duration_s, 420);
}

TEST(Decoder, BinaryMode) {
  Headers headers = {{"ce_specversion", "1.0"},
                     {"ce_id", "sf-2"},
                     {"ce_source", "salesforce/acme"},
                     {"ce_type", "crm.opportunity.upserted"},
                     {"ce_time", "2026-07-09T15:00:00Z"},
                     {"content-type", "application/json"}};
  auto d = DecodeValue(
      R"({"opportunity_id":"o-1","account_id":"a-1","owner_id":"u-rep","type":"new_business",)"
      R"("origin":"seller_sourced","stage":"discovery","amount":120000,"close_date":"2026-09-30",)"
      R"("created_at":"2026-07-09T15:00:00Z","customer_priority":true})",
      &headers);
  ASSERT_TRUE(d.ok) << d.why.detail;
  EXPECT_EQ(d.event.id, "sf-2");
  EXPECT_EQ(d.event.type, EventType::kOpportunityUpserted);
  const auto& o = d.event.As<OpportunityUpserted>();
  EXPECT_EQ(o.amount, 120000);
  EXPECT_EQ(o.close_date, *ParseDate("2026-09-30"));
  EXPECT_EQ(o.customer_priority, true);
  EXPECT_FALSE(o.loss_reason.has_value());
}

TEST(Decoder, BinaryModeNamesMissingHeader) {
  Headers headers = {{"ce_specversion", "1.0"}, {"ce_id", "x"}, {"ce_type", "crm.task.assigned"}};
  auto d = DecodeValue("{}", &headers);
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, RejectReason::kMissingField);
  EXPECT_EQ(d.why.detail, "ce_source: required attribute is missing");
}

TEST(Decoder, HeadersWithoutCloudEventsAttributesMeanStructuredMode) {
  Headers headers = {{"traceparent", "00-abc"}};
  EXPECT_TRUE(DecodeValue(kActivity, &headers).ok);
}

TEST(Decoder, NotJson) {
  auto d = DecodeValue("{\"specversion\":\"1.0\",");
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, RejectReason::kInvalidJson);
  EXPECT_NE(d.why.detail.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(DecodeValue("[1,2]").why.reason, RejectReason::kInvalidJson);
}

TEST(Decoder, ValidationMessagesNameTheField) {
  struct Case {
    std::string value;
    RejectReason reason;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {Replace(kActivity, R"("specversion":"1.0")", R"("specversion":"0.3")"),
       RejectReason::kInvalidValue, R"(specversion: must be "1.0", got "0.3")"},
      {Replace(kActivity, R"("id":"sf-1",)", ""), RejectReason::kMissingField,
       "id: required attribute is missing"},
      {Replace(kActivity, R"("id":"sf-1")", R"("id":"")"), RejectReason::kInvalidValue,
       "id: must not be empty"},
      {Replace(kActivity, R"("id":"sf-1")", R"("id":7)"), RejectReason::kWrongType,
       "id: must be a string, got number"},
      {Replace(kActivity, "crm.activity.logged", "crm.call.logged"), RejectReason::kUnknownType,
       R"(type: "crm.call.logged" is not an event type of the contract)"},
      {Replace(kActivity, "2026-10-06T14:05:00Z", "2026-10-06 14:05"), RejectReason::kInvalidValue,
       R"(time: "2026-10-06 14:05" is not an RFC 3339 date-time with offset)"},
      {Replace(kActivity, R"("outcome":"connected")", R"("outcome":"maybe")"),
       RejectReason::kInvalidValue,
       R"(data.outcome: "maybe" is not one of no_response, connected, meeting_booked, )"
       R"(not_interested, disqualified, referral)"},
      {Replace(kActivity, R"("actor_id":"u-rep-7",)", ""), RejectReason::kMissingField,
       "data.actor_id: required field is missing"},
      {Replace(kActivity, R"("duration_s":420)", R"("duration_s":"420")"), RejectReason::kWrongType,
       "data.duration_s: must be a number, got string"},
      {Replace(kActivity, R"("duration_s":420)", R"("duration_s":-1)"),
       RejectReason::kInvalidValue, "data.duration_s: must be >= 0"},
      {Replace(kActivity, R"("duration_s":420)", R"("duration_s":1e308)"),
       RejectReason::kInvalidValue, "data.duration_s: must be at most 1e12"},
      {Replace(kActivity, R"("actor_id":"u-rep-7")", "\"actor_id\":\"evil\\u001fdeal_work\""),
       RejectReason::kInvalidValue, "data.actor_id: contains a control character (U+001F)"},
      {R"({"specversion":"1.0","id":"u-1","source":"hr","type":"org.user.upserted",)"
       R"("time":"2026-07-01T08:00:00Z","data":{"user_id":"u-1","name":"A","email":"a@x.example",)"
       R"("role":"rep","team":"east","timezone":"America/NewYork","active":true}})",
       RejectReason::kInvalidValue, R"(data.timezone: "America/NewYork" is not an IANA time zone)"},
      {Replace(kActivity, R"("account_id":"a-1042",)", ""), RejectReason::kMissingField,
       "data.account_id: at least one of account_id and lead_id is required"},
      {Replace(kActivity, R"("data":{)", R"("data":[],"x":{)"), RejectReason::kWrongType,
       "data: must be an object, got array"},
  };
  for (const auto& c : cases) {
    auto d = DecodeValue(c.value);
    EXPECT_FALSE(d.ok) << c.value;
    EXPECT_EQ(d.why.reason, c.reason) << c.value;
    EXPECT_EQ(d.why.detail, c.detail) << c.value;
  }
}

TEST(Decoder, CalendarSeriesHuntlineCannotExpandAreRefused) {
  const std::string series =
      R"({"specversion":"1.0","id":"c-1","source":"cal","type":"calendar.event.upserted",)"
      R"("time":"2026-08-01T08:00:00Z","data":{"calendar_id":"rep","event_id":"blk",)"
      R"("organizer":"rep","attendees":[],"start":"2026-08-04T13:00:00Z",)"
      R"("end":"2026-08-04T15:00:00Z","show_as":"busy","protected":true,)"
      R"("rrule":"FREQ=WEEKLY;BYDAY=TU","timezone":"America/New_York"}})";
  EXPECT_TRUE(DecodeValue(series).ok);
  EXPECT_TRUE(DecodeValue(Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=DAILY;BYHOUR=9,10,11;BYMINUTE=0,10,20,30,40,50")).ok);
  EXPECT_TRUE(DecodeValue(Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=DAILY;COUNT=10000")).ok);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Replace(series, "FREQ=WEEKLY;BYDAY=TU", "EVERY=TUESDAY"),
       "data.rrule: not an RFC 5545 recurrence rule: EVERY=TUESDAY"},
      {Replace(series, "America/New_York", "America/Atlantis"),
       R"(data.timezone: "America/Atlantis" is not an IANA time zone)"},
      {Replace(series, R"("end":"2026-08-04T15:00:00Z")", R"("end":"2026-08-04T12:00:00Z")"),
       "data.end: must not be before start"},
      {Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=SECONDLY"),
       "data.rrule: FREQ=SECONDLY is not a calendar's: DAILY, WEEKLY, MONTHLY or YEARLY"},
      {Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=MINUTELY;INTERVAL=30"),
       "data.rrule: FREQ=MINUTELY is not a calendar's: DAILY, WEEKLY, MONTHLY or YEARLY"},
      {Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=DAILY;BYHOUR=9,10,11,12;BYMINUTE=0,10,20,30,40,50,55"),
       "data.rrule: BYHOUR, BYMINUTE and BYSECOND make 28 instances a day; at most 24"},
      {Replace(series, "FREQ=WEEKLY;BYDAY=TU", "FREQ=DAILY;COUNT=10001"),
       "data.rrule: COUNT=10001 is over 10000"},
      {Replace(Replace(series, "2026-08-04T13:00:00Z", "1899-12-31T13:00:00Z"),
               "2026-08-04T15:00:00Z", "1899-12-31T15:00:00Z"),
       "data.start: a series (rrule) must start in 1900 or later"},
  };
  for (const auto& [value, detail] : cases) {
    auto d = DecodeValue(value);
    EXPECT_FALSE(d.ok) << value;
    EXPECT_EQ(d.why.reason, RejectReason::kInvalidValue) << value;
    EXPECT_EQ(d.why.detail, detail) << value;
  }
}

TEST(Decoder, IdLengthCountsCharactersNotBytes) {
  std::string id;
  for (int i = 0; i < 256; ++i) id += "é";  // 512 bytes, 256 characters
  EXPECT_TRUE(DecodeValue(Replace(kActivity, R"("id":"sf-1")", "\"id\":\"" + id + "\"")).ok);
  EXPECT_FALSE(DecodeValue(Replace(kActivity, R"("id":"sf-1")", "\"id\":\"" + id + "x\"")).ok);
}

TEST(Decoder, NestedArrayItemsAreValidated) {
  const std::string calendar =
      R"({"specversion":"1.0","id":"c1","source":"gcal","type":"calendar.event.upserted",)"
      R"("time":"2026-07-01T09:00:00Z","data":{"calendar_id":"u-rep","event_id":"blk-1",)"
      R"("organizer":"u-rep","attendees":[{"id_or_email":"u-rep","response":"accepted"},)"
      R"({"id_or_email":"x@y.example","response":"perhaps"}],"start":"2026-07-07T13:00:00Z",)"
      R"("end":"2026-07-07T15:00:00Z","show_as":"busy","protected":true,)"
      R"("rrule":"FREQ=WEEKLY;BYDAY=TU","timezone":"America/New_York"}})";
  auto d = DecodeValue(calendar);
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.why.detail,
            R"(data.attendees[1].response: "perhaps" is not one of accepted, tentative, )"
            R"(declined, needs_action)");
  auto ok = DecodeValue(Replace(calendar, "perhaps", "tentative"));
  ASSERT_TRUE(ok.ok) << ok.why.detail;
  const auto& c = ok.event.As<CalendarEventUpserted>();
  EXPECT_EQ(c.attendees.size(), 2u);
  EXPECT_TRUE(c.is_protected);
  EXPECT_EQ(c.rrule, "FREQ=WEEKLY;BYDAY=TU");
}

TEST(Decoder, UnknownFieldsAndAttributesAreIgnored) {
  auto d = DecodeValue(Replace(kActivity, R"("data":{)", R"("subject":"x","ext1":5,"data":{"extra":[1],)"));
  EXPECT_TRUE(d.ok) << d.why.detail;
}

TEST(Decoder, EveryContractExampleLineDecodes) {
  for (const char* name : {"small-org.jsonl", "medium-org.jsonl"}) {
    FILE* f = std::fopen((std::string(HUNTLINE_SHARED_DIR) + "/contract/examples/" + name).c_str(), "r");
    ASSERT_NE(f, nullptr) << name;
    char* line = nullptr;
    size_t cap = 0;
    ssize_t n;
    Decoder decoder;
    int count = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
      RawMessage m;
      m.value = std::string_view(line, static_cast<size_t>(n));
      Event e;
      Rejection why;
      EXPECT_TRUE(decoder.Decode(m, &e, &why)) << name << ": " << why.detail;
      ++count;
    }
    free(line);
    std::fclose(f);
    EXPECT_GT(count, 10);
  }
}

}  // namespace
}  // namespace huntline::ingest

namespace huntline::ingest {
namespace {

// The decoder implements docs/contract/events.schema.json. docs/contract/ is the contract users
// read; it must stay the shared contract, file for file.
TEST(Contract, RepositoryCopyMatchesTheSharedContract) {
  namespace fs = std::filesystem;
  auto read = [](const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto files = [](const fs::path& root) {
    std::set<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) out.insert(fs::relative(entry.path(), root).string());
    }
    return out;
  };
  const fs::path ours = fs::path(HUNTLINE_SOURCE_DIR) / "docs" / "contract";
  const fs::path theirs = fs::path(HUNTLINE_SHARED_DIR) / "contract";
  ASSERT_TRUE(fs::is_directory(theirs)) << theirs;
  EXPECT_EQ(files(ours), files(theirs));
  for (const auto& name : files(theirs)) {
    EXPECT_EQ(read(ours / name), read(theirs / name)) << "docs/contract/" << name
                                                       << " differs from the shared contract";
  }
  EXPECT_FALSE(read(ours / "events.schema.json").empty());
}

}  // namespace
}  // namespace huntline::ingest

namespace huntline::ingest {
namespace {

// The decoder implements docs/contract/events.schema.json; the copy must stay the contract's.
TEST(Schema, RepositoryCopyMatchesTheContract) {
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const std::string ours = read(std::string(HUNTLINE_SOURCE_DIR) + "/docs/contract/events.schema.json");
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours, read(std::string(HUNTLINE_SHARED_DIR) + "/contract/events.schema.json"));
}


Headers ActivityHeaders() {
  return {{"ce_specversion", "1.0"},          {"ce_id", "sf-3"},
          {"ce_source", "salesforce/acme"},   {"ce_type", "crm.activity.logged"},
          {"ce_time", "2026-10-06T14:05:00Z"}, {"content-type", "application/json"}};
}
constexpr std::string_view kActivityData =
    R"({"activity_id":"00T1","actor_id":"u-rep-7","account_id":"a-1042","channel":"call",)"
    R"("direction":"outbound","outcome":"connected"})";

// Found by tests/fuzz/decoder_fuzzer (tests/fuzz/regressions/decoder_fuzzer/null-value): a
// tombstone's value has no buffer, and parsing it was undefined behaviour (memcpy from null).
TEST(Decoder, AMessageWithoutValueIsRefusedWithoutParsing) {
  auto structured = DecodeValue(std::string_view());
  EXPECT_FALSE(structured.ok);
  EXPECT_EQ(structured.why.reason, RejectReason::kInvalidJson);
  EXPECT_EQ(structured.why.detail,
            "the message has no value: a structured-mode event is a JSON object");
  const Headers headers = ActivityHeaders();
  auto binary = DecodeValue(std::string_view(), &headers);
  EXPECT_FALSE(binary.ok);
  EXPECT_EQ(binary.why.reason, RejectReason::kMissingField);
  EXPECT_EQ(binary.why.detail, "data: required attribute is missing (the message has no value)");
}

TEST(Decoder, AHeaderWithoutValueIsAbsent) {
  Headers headers = ActivityHeaders();
  headers.push_back({"ce_subject", "", false});
  EXPECT_TRUE(DecodeValue(kActivityData, &headers).ok);
  headers[1].has_value = false;  // ce_id
  auto d = DecodeValue(kActivityData, &headers);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.detail, "ce_id: required attribute is missing");
}

TEST(Decoder, HeaderNamesCompareWithoutCase) {
  Headers headers = ActivityHeaders();
  headers[3].key = "CE_TYPE";
  headers[5].key = "Content-Type";
  auto d = DecodeValue(kActivityData, &headers);
  ASSERT_TRUE(d.ok) << d.why.detail;
  EXPECT_EQ(d.event.type, EventType::kActivityLogged);
}

TEST(Decoder, ARepeatedHeaderMustAgree) {
  Headers headers = ActivityHeaders();
  headers.push_back({"ce_id", "sf-3"});
  EXPECT_TRUE(DecodeValue(kActivityData, &headers).ok);
  headers.push_back({"CE_ID", "sf-4"});
  auto d = DecodeValue(kActivityData, &headers);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, RejectReason::kInvalidValue);
  EXPECT_EQ(d.why.detail, "ce_id: the header appears more than once with different values");
}

TEST(Decoder, BinaryHeaderValuesMustBeUtf8) {
  Headers headers = ActivityHeaders();
  headers[2].value = "salesforce/\xff";
  auto d = DecodeValue(kActivityData, &headers);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, RejectReason::kInvalidValue);
  EXPECT_EQ(d.why.detail, "ce_source: the value is not UTF-8");
}

// (source, id) finds a repeated delivery, joined by U+001F: a source or id holding it could make
// two different events one.
TEST(Decoder, EnvelopeIdAndSourceRefuseControlCharacters) {
  auto d = DecodeValue(
      Replace(kActivity, R"("source":"salesforce/acme")", R"("source":"a\u001fb")"));
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, RejectReason::kInvalidValue);
  EXPECT_EQ(d.why.detail, "source: contains a control character (U+001F)");
  Headers headers = ActivityHeaders();
  headers[1].value = "sf\n3";
  EXPECT_EQ(DecodeValue(kActivityData, &headers).why.detail,
            "ce_id: contains a control character (U+000A)");
}

TEST(Decoder, StructuredContentTypeDecidesTheMode) {
  // Copy headers beside a structured value are not a second source of attributes.
  Headers headers = {{"content-type", "application/cloudevents+json; charset=UTF-8"},
                     {"ce_specversion", "1.0"},
                     {"ce_id", "other"}};
  auto d = DecodeValue(kActivity, &headers);
  ASSERT_TRUE(d.ok) << d.why.detail;
  EXPECT_EQ(d.event.id, "sf-1");
  headers[0].value = "application/cloudevents+avro";
  EXPECT_EQ(DecodeValue(kActivity, &headers).why.reason, RejectReason::kInvalidValue);
}

TEST(Decoder, NullAttributesAreUnsetAndExtensionsAreCloudEventsValues) {
  auto d = DecodeValue(Replace(kActivity, R"("id":"sf-1")", R"("id":null)"));
  EXPECT_EQ(d.why.reason, RejectReason::kMissingField);
  EXPECT_EQ(d.why.detail, "id: required attribute is missing");
  EXPECT_TRUE(DecodeValue(Replace(kActivity, R"("time")",
                                  R"("subject":null,"n":-2147483648,"b":false,"time")"))
                  .ok);
  d = DecodeValue(Replace(kActivity, R"("time")", R"("n":2147483648,"time")"));
  EXPECT_EQ(d.why.reason, RejectReason::kInvalidValue);
  EXPECT_EQ(d.why.detail, "n: 2147483648 is not a CloudEvents Integer (signed 32 bits)");
  d = DecodeValue(Replace(kActivity, R"("time")", R"("tags":["a"],"time")"));
  EXPECT_EQ(d.why.reason, RejectReason::kWrongType);
  EXPECT_EQ(d.why.detail,
            "tags: an extension attribute must be a string, boolean or integer, got array");
  d = DecodeValue(Replace(kActivity, R"("time")", R"("subject":7,"time")"));
  EXPECT_EQ(d.why.detail, "subject: must be a string, got number");
}

}  // namespace
}  // namespace huntline::ingest
