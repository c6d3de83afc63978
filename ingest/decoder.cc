#include "ingest/decoder.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>

#include "calendar/recurrence.h"

namespace huntline::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr size_t kIdMax = 256;
constexpr double kNumberMax = 1e12;
constexpr size_t kNoMax = std::numeric_limits<size_t>::max();

std::string_view TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "value";
}

// JSON Schema counts string length in characters (code points), not bytes.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

template <size_t N>
std::string OneOf(const std::array<std::string_view, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

/// Reads the fields of one JSON object, recording the first violation with its path. After a
/// failure every read returns a default value, so a decoding function can read all its fields
/// and check `failed()` once.
class Fields {
 public:
  Fields(object obj, std::string path, Rejection* why) : obj_(obj), path_(std::move(path)), why_(why) {}

  bool failed() const { return failed_; }

  std::optional<element> Get(std::string_view key, bool required) {
    if (failed_) return std::nullopt;
    element value;
    if (obj_[key].get(value) != simdjson::SUCCESS) {
      if (required) Fail(RejectReason::kMissingField, key, "required field is missing");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> OptString(std::string_view key, size_t min = 0, size_t max = kNoMax) {
    return ReadString(key, false, min, max);
  }
  std::string String(std::string_view key, size_t min = 0, size_t max = kNoMax) {
    return ReadString(key, true, min, max).value_or(std::string());
  }
  std::string Id(std::string_view key) {
    std::string id = String(key, 1, kIdMax);
    CheckId(key, id);
    return id;
  }
  std::optional<std::string> OptId(std::string_view key) {
    auto id = OptString(key, 1, kIdMax);
    if (id) CheckId(key, *id);
    return id;
  }
  /// Ids become label values and parts of keys: no control characters (U+001F separates the
  /// labels of a series).
  void CheckId(std::string_view key, const std::string& id) {
    for (unsigned char c : id) {
      if (c < 0x20 || c == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", c);
        Fail(RejectReason::kInvalidValue, key, std::string("contains a control character (") + code + ")");
        return;
      }
    }
  }

  void CheckTimeZone(std::string_view key, const std::string& zone) {
    if (!failed_ && !calendar::KnownTimeZone(zone)) {
      Fail(RejectReason::kInvalidValue, key, "\"" + zone + "\" is not an IANA time zone");
    }
  }

  template <typename E, size_t N>
  std::optional<E> OptEnum(std::string_view key, const std::array<std::string_view, N>& names,
                           bool required = false) {
    auto text = ReadString(key, required, 0, kNoMax);
    if (!text) return std::nullopt;
    for (size_t i = 0; i < N; ++i) {
      if (names[i] == *text) return static_cast<E>(i);
    }
    Fail(RejectReason::kInvalidValue, key, "\"" + *text + "\" is not one of " + OneOf(names));
    return std::nullopt;
  }
  template <typename E, size_t N>
  E Enum(std::string_view key, const std::array<std::string_view, N>& names) {
    return OptEnum<E>(key, names, true).value_or(E{});
  }

  std::optional<double> OptNumber(std::string_view key, bool required = false) {
    auto value = Get(key, required);
    if (!value) return std::nullopt;
    double d;
    if (value->get_double().get(d) != simdjson::SUCCESS) {
      WrongType(key, "number", *value);
      return std::nullopt;
    }
    if (d < 0) {
      Fail(RejectReason::kInvalidValue, key, "must be >= 0");
      return std::nullopt;
    }
    // Amounts, quotas and durations: a sum of them stays exact and finite.
    if (!(d <= kNumberMax)) {
      Fail(RejectReason::kInvalidValue, key, "must be at most 1e12");
      return std::nullopt;
    }
    return d;
  }
  double Number(std::string_view key) { return OptNumber(key, true).value_or(0); }

  std::optional<bool> OptBool(std::string_view key, bool required = false) {
    auto value = Get(key, required);
    if (!value) return std::nullopt;
    bool b;
    if (value->get_bool().get(b) != simdjson::SUCCESS) {
      WrongType(key, "boolean", *value);
      return std::nullopt;
    }
    return b;
  }
  bool Bool(std::string_view key) { return OptBool(key, true).value_or(false); }

  std::optional<Timestamp> OptTime(std::string_view key, bool required = false) {
    auto text = ReadString(key, required, 0, kNoMax);
    if (!text) return std::nullopt;
    auto t = ParseRfc3339(*text);
    if (!t) {
      Fail(RejectReason::kInvalidValue, key,
           "\"" + *text + "\" is not an RFC 3339 date-time with offset");
    }
    return t;
  }
  Timestamp Time(std::string_view key) { return OptTime(key, true).value_or(0); }

  std::optional<Day> OptDate(std::string_view key, bool required = false) {
    auto text = ReadString(key, required, 0, kNoMax);
    if (!text) return std::nullopt;
    auto d = ParseDate(*text);
    if (!d) Fail(RejectReason::kInvalidValue, key, "\"" + *text + "\" is not a YYYY-MM-DD date");
    return d;
  }
  Day Date(std::string_view key) { return OptDate(key, true).value_or(0); }

  /// Calls `item(element, index)` for each element of the array at `key`.
  template <typename F>
  void Array(std::string_view key, bool required, F item) {
    auto value = Get(key, required);
    if (!value) return;
    simdjson::dom::array array;
    if (value->get_array().get(array) != simdjson::SUCCESS) {
      WrongType(key, "array", *value);
      return;
    }
    size_t i = 0;
    for (element child : array) {
      if (failed_) return;
      item(child, i++);
    }
  }

  std::vector<std::string> StringArray(std::string_view key, size_t min, size_t max,
                                       bool required) {
    std::vector<std::string> out;
    Array(key, required, [&](element child, size_t i) {
      std::string_view s;
      const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
      if (child.get_string().get(s) != simdjson::SUCCESS) {
        WrongType(item_key, "string", child);
        return;
      }
      if (!CheckLength(item_key, s, min, max)) return;
      out.emplace_back(s);
    });
    return out;
  }

  void Fail(RejectReason reason, std::string_view key, const std::string& message) {
    if (failed_) return;
    failed_ = true;
    why_->reason = reason;
    why_->detail = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    why_->detail += ": " + message;
  }

  const std::string& path() const { return path_; }
  /// Stops reading after a nested reader recorded the violation.
  void Abort() { failed_ = true; }

 private:
  void WrongType(std::string_view key, std::string_view expected, element value) {
    Fail(RejectReason::kWrongType, key,
         "must be a " + std::string(expected) + ", got " + std::string(TypeName(value.type())));
  }

  bool CheckLength(std::string_view key, std::string_view s, size_t min, size_t max) {
    const size_t n = CodePoints(s);
    if (n < min) {
      Fail(RejectReason::kInvalidValue, key,
           min == 1 ? "must not be empty" : "must be at least " + std::to_string(min) + " characters");
      return false;
    }
    if (n > max) {
      Fail(RejectReason::kInvalidValue, key,
           "must be at most " + std::to_string(max) + " characters");
      return false;
    }
    return true;
  }

  std::optional<std::string> ReadString(std::string_view key, bool required, size_t min,
                                        size_t max) {
    auto value = Get(key, required);
    if (!value) return std::nullopt;
    std::string_view s;
    if (value->get_string().get(s) != simdjson::SUCCESS) {
      WrongType(key, "string", *value);
      return std::nullopt;
    }
    if (!CheckLength(key, s, min, max)) return std::nullopt;
    return std::string(s);
  }

  object obj_;
  std::string path_;
  Rejection* why_;
  bool failed_ = false;
};

std::optional<EventType> ParseType(std::string_view name) {
  for (size_t i = 0; i < kEventTypeNames.size(); ++i) {
    if (kEventTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

void DecodeUser(Fields& f, EventData* out) {
  UserUpserted d;
  d.user_id = f.Id("user_id");
  d.name = f.String("name");
  d.email = f.String("email");
  d.role = f.Enum<Role>("role", kRoleNames);
  d.team = f.Id("team");
  d.manager_id = f.OptId("manager_id");
  d.timezone = f.String("timezone", 1);
  d.quarterly_quota = f.OptNumber("quarterly_quota");
  d.active = f.Bool("active");
  // A user's zone places their protected blocks and their days: a misspelt one is refused,
  // never taken as UTC.
  f.CheckTimeZone("timezone", d.timezone);
  *out = std::move(d);
}

void DecodeAccount(Fields& f, EventData* out) {
  AccountUpserted d;
  d.account_id = f.Id("account_id");
  d.name = f.String("name");
  d.domains = f.StringArray("domains", 1, kNoMax, true);
  d.relationship = f.Enum<Relationship>("relationship", kRelationshipNames);
  d.owner_id = f.OptId("owner_id");
  d.icp_tier = f.Enum<IcpTier>("icp_tier", kIcpTierNames);
  d.target_of = f.StringArray("target_of", 1, kIdMax, true);
  *out = std::move(d);
}

void DecodeContact(Fields& f, EventData* out) {
  ContactUpserted d;
  d.contact_id = f.Id("contact_id");
  d.account_id = f.Id("account_id");
  d.email = f.OptString("email");
  d.buying_role = f.Enum<BuyingRole>("buying_role", kBuyingRoleNames);
  *out = std::move(d);
}

void DecodeLead(Fields& f, EventData* out) {
  LeadUpserted d;
  d.lead_id = f.Id("lead_id");
  d.account_id = f.OptId("account_id");
  d.owner_id = f.Id("owner_id");
  d.source = f.Enum<LeadSource>("source", kLeadSourceNames);
  d.status = f.Enum<LeadStatus>("status", kLeadStatusNames);
  d.disqualify_reason = f.OptString("disqualify_reason");
  *out = std::move(d);
}

void DecodeOpportunity(Fields& f, EventData* out) {
  OpportunityUpserted d;
  d.opportunity_id = f.Id("opportunity_id");
  d.account_id = f.Id("account_id");
  d.owner_id = f.Id("owner_id");
  d.type = f.Enum<OpportunityType>("type", kOpportunityTypeNames);
  d.origin = f.Enum<Origin>("origin", kOriginNames);
  d.stage = f.Enum<Stage>("stage", kStageNames);
  d.amount = f.Number("amount");
  d.close_date = f.Date("close_date");
  d.created_at = f.Time("created_at");
  d.loss_reason = f.OptEnum<LossReason>("loss_reason", kLossReasonNames);
  d.customer_priority = f.OptBool("customer_priority");
  d.customer_must_have_date = f.OptDate("customer_must_have_date");
  *out = std::move(d);
}

void DecodeActivity(Fields& f, EventData* out) {
  ActivityLogged d;
  d.activity_id = f.Id("activity_id");
  d.actor_id = f.Id("actor_id");
  d.account_id = f.OptId("account_id");
  d.lead_id = f.OptId("lead_id");
  d.opportunity_id = f.OptId("opportunity_id");
  d.contact_id = f.OptId("contact_id");
  d.channel = f.Enum<Channel>("channel", kChannelNames);
  d.direction = f.Enum<Direction>("direction", kDirectionNames);
  d.outcome = f.Enum<ActivityOutcome>("outcome", kActivityOutcomeNames);
  d.duration_s = f.OptNumber("duration_s");
  if (!f.failed() && !d.account_id && !d.lead_id) {
    f.Fail(RejectReason::kMissingField, "account_id",
           "at least one of account_id and lead_id is required");
  }
  *out = std::move(d);
}

void DecodeCalendarUpsert(Fields& f, Rejection* why, EventData* out) {
  CalendarEventUpserted d;
  d.calendar_id = f.Id("calendar_id");
  d.event_id = f.Id("event_id");
  d.series_id = f.OptId("series_id");
  d.original_start = f.OptTime("original_start");
  d.organizer = f.Id("organizer");
  f.Array("attendees", true, [&](element child, size_t i) {
    const std::string key = "attendees[" + std::to_string(i) + "]";
    object obj;
    if (child.get_object().get(obj) != simdjson::SUCCESS) {
      f.Fail(RejectReason::kWrongType, key,
             "must be an object, got " + std::string(TypeName(child.type())));
      return;
    }
    Fields item(obj, f.path() + "." + key, why);
    Attendee a;
    a.id_or_email = item.Id("id_or_email");
    a.response = item.Enum<Response>("response", kResponseNames);
    if (item.failed()) {
      f.Abort();  // the nested reader already wrote the reason
      return;
    }
    d.attendees.push_back(std::move(a));
  });
  d.start = f.Time("start");
  d.end = f.Time("end");
  d.show_as = f.Enum<ShowAs>("show_as", kShowAsNames);
  d.is_protected = f.Bool("protected");
  d.updated_by = f.OptId("updated_by");
  d.rrule = f.OptString("rrule", 1);
  f.Array("exdates", false, [&](element child, size_t i) {
    const std::string key = "exdates[" + std::to_string(i) + "]";
    std::string_view s;
    if (child.get_string().get(s) != simdjson::SUCCESS) {
      f.Fail(RejectReason::kWrongType, key,
             "must be a string, got " + std::string(TypeName(child.type())));
      return;
    }
    auto t = ParseRfc3339(s);
    if (!t) {
      f.Fail(RejectReason::kInvalidValue, key,
             "\"" + std::string(s) + "\" is not an RFC 3339 date-time with offset");
      return;
    }
    d.exdates.push_back(*t);
  });
  d.timezone = f.OptString("timezone", 1);
  d.title = f.OptString("title");
  // A series Huntline cannot expand would silently lose its blocks: refuse it with the reason.
  if (!f.failed() && d.end < d.start) {
    f.Fail(RejectReason::kInvalidValue, "end", "must not be before start");
  }
  if (!f.failed() && d.rrule) {
    if (Status s = calendar::CheckRule(*d.rrule); !s.ok()) {
      f.Fail(RejectReason::kInvalidValue, "rrule", s.message());
    } else if (d.start < calendar::kEarliestSeriesStart) {
      f.Fail(RejectReason::kInvalidValue, "start", "a series (rrule) must start in 1900 or later");
    }
  }
  if (d.timezone) f.CheckTimeZone("timezone", *d.timezone);
  *out = std::move(d);
}

void DecodeCalendarCancel(Fields& f, EventData* out) {
  CalendarEventCancelled d;
  d.calendar_id = f.Id("calendar_id");
  d.event_id = f.Id("event_id");
  d.cancelled_by = f.OptId("cancelled_by");
  d.original_start = f.OptTime("original_start");
  *out = std::move(d);
}

void DecodeTask(Fields& f, EventData* out) {
  TaskAssigned d;
  d.task_id = f.Id("task_id");
  d.assignee_id = f.Id("assignee_id");
  d.assigned_by = f.Id("assigned_by");
  d.kind = f.Enum<TaskKind>("kind", kTaskKindNames);
  d.account_id = f.OptId("account_id");
  d.effort_minutes = f.OptNumber("effort_minutes");
  *out = std::move(d);
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoringCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoringCase(s.substr(0, prefix.size()), prefix);
}

/// A media type's parameters, if any, start with `;` right after the subtype (`text/json ;` and a
/// trailing space are not JSON for sdk-java, whose vectors we follow).
bool EndsMediaType(std::string_view rest) { return rest.empty() || rest.front() == ';'; }

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*.^_`|~-").find(c) != std::string_view::npos;
}

constexpr std::string_view kCloudEventsMediaType = "application/cloudevents";

/// A header found by name without regard to case: Kafka compares header names as bytes, but
/// producers write `CE_TYPE` and `Content-Type` and mean the attribute. A header without a value
/// counts as absent (sdk-java skips it).
struct HeaderLookup {
  const Header* header = nullptr;  // the first one with a value
  bool conflict = false;           // another one with a different value
};

HeaderLookup FindHeader(const Headers& headers, std::string_view name) {
  HeaderLookup found;
  for (const Header& h : headers) {
    if (!h.has_value || !EqualsIgnoringCase(h.key, name)) continue;
    if (!found.header) {
      found.header = &h;
    } else if (h.value != found.header->value) {
      found.conflict = true;
    }
  }
  return found;
}

/// The standard optional attributes; any other member but `data` and `data_base64` is an
/// extension.
constexpr std::array<std::string_view, 8> kAttributeNames = {
    "specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "subject"};

/// Checks the envelope attributes shared by both modes. `get(name)` returns the attribute's
/// string value, or nullopt when absent.
template <typename Getter>
bool DecodeEnvelope(Getter get, std::string_view prefix, Event* out, Rejection* why) {
  auto fail = [&](RejectReason reason, std::string_view name, const std::string& message) {
    why->reason = reason;
    why->detail = std::string(prefix) + std::string(name) + ": " + message;
    return false;
  };
  auto required = [&](std::string_view name, std::string_view* value) {
    auto v = get(name);
    if (!v) return fail(RejectReason::kMissingField, name, "required attribute is missing");
    *value = *v;
    return true;
  };
  std::string_view specversion, id, source, type, time;
  if (!required("specversion", &specversion)) return false;
  if (specversion != "1.0") {
    return fail(RejectReason::kInvalidValue, "specversion",
                "must be \"1.0\", got \"" + std::string(specversion) + "\"");
  }
  if (!required("id", &id) || !required("source", &source) || !required("type", &type) ||
      !required("time", &time)) {
    return false;
  }
  for (auto [name, value] : {std::pair{"id", id}, std::pair{"source", source}}) {
    const size_t n = CodePoints(value);
    if (n < 1) return fail(RejectReason::kInvalidValue, name, "must not be empty");
    if (n > kIdMax) return fail(RejectReason::kInvalidValue, name, "must be at most 256 characters");
    // (source, id) is the key that finds a repeated delivery, joined by U+001F: no control
    // characters, or two different events could share it.
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", c);
        return fail(RejectReason::kInvalidValue, name,
                    std::string("contains a control character (") + code + ")");
      }
    }
  }
  auto parsed_type = ParseType(type);
  if (!parsed_type) {
    return fail(RejectReason::kUnknownType, "type",
                "\"" + std::string(type) + "\" is not an event type of the contract");
  }
  auto parsed_time = ParseRfc3339(time);
  if (!parsed_time) {
    return fail(RejectReason::kInvalidValue, "time",
                "\"" + std::string(time) + "\" is not an RFC 3339 date-time with offset");
  }
  out->id.assign(id);
  out->source.assign(source);
  out->type = *parsed_type;
  out->time = *parsed_time;
  return true;
}

/// Refuses data that its content type says is not JSON.
bool CheckJsonContent(std::optional<std::string_view> content_type, std::string_view attribute,
                      Rejection* why) {
  if (!content_type || IsJsonContentType(*content_type)) return true;
  why->reason = RejectReason::kWrongType;
  why->detail = "data: must be a JSON object, got \"" + std::string(*content_type) +
                "\" content (" + std::string(attribute) + ")";
  return false;
}

/// An extension attribute in structured mode (R13 of the conformance rules): a String, Boolean or
/// Integer (signed 32 bits), or null (unset). Its name is not checked: Huntline ignores it.
bool CheckExtension(std::string_view name, element value, Rejection* why) {
  auto fail = [&](RejectReason reason, const std::string& message) {
    why->reason = reason;
    why->detail = std::string(name) + ": " + message;
    return false;
  };
  switch (value.type()) {
    case element_type::STRING:
    case element_type::BOOL:
    case element_type::NULL_VALUE:
      return true;
    case element_type::INT64: {
      const int64_t n = value.get_int64().value_unsafe();
      if (n >= std::numeric_limits<int32_t>::min() && n <= std::numeric_limits<int32_t>::max()) {
        return true;
      }
      return fail(RejectReason::kInvalidValue,
                  std::to_string(n) + " is not a CloudEvents Integer (signed 32 bits)");
    }
    case element_type::UINT64:
      return fail(RejectReason::kInvalidValue,
                  std::to_string(value.get_uint64().value_unsafe()) +
                      " is not a CloudEvents Integer (signed 32 bits)");
    case element_type::DOUBLE:
      return fail(RejectReason::kInvalidValue,
                  "a number with a fraction or exponent is not a CloudEvents Integer");
    case element_type::ARRAY:
    case element_type::OBJECT:
      break;
  }
  return fail(RejectReason::kWrongType,
              "an extension attribute must be a string, boolean or integer, got " +
                  std::string(TypeName(value.type())));
}

}  // namespace

bool IsJsonContentType(std::string_view media_type) {
  std::string_view subtype;
  if (StartsWithIgnoringCase(media_type, "application/")) {
    subtype = media_type.substr(12);
  } else if (StartsWithIgnoringCase(media_type, "text/")) {
    subtype = media_type.substr(5);
  } else {
    return false;
  }
  size_t end = 0;
  while (end < subtype.size() && IsTokenChar(subtype[end]) && subtype[end] != '+') ++end;
  if (StartsWithIgnoringCase(subtype.substr(end), "+json")) {
    if (end == 0) return false;  // `application/+json`
    end += 5;
  } else if (!EqualsIgnoringCase(subtype.substr(0, end), "json")) {
    return false;
  }
  return EndsMediaType(subtype.substr(end));
}

bool SelectMode(const RawMessage& message, ContentMode* mode, Rejection* why) {
  *mode = ContentMode::kStructured;
  if (!message.headers) return true;
  const HeaderLookup content_type = FindHeader(*message.headers, "content-type");
  if (content_type.header &&
      StartsWithIgnoringCase(content_type.header->value, kCloudEventsMediaType)) {
    const std::string& value = content_type.header->value;
    const std::string_view format = std::string_view(value).substr(kCloudEventsMediaType.size());
    if (StartsWithIgnoringCase(format, "+json") && EndsMediaType(format.substr(5))) return true;
    why->reason = RejectReason::kInvalidValue;
    const std::string quoted = simdjson::validate_utf8(value) ? "\"" + value + "\"" : "(not UTF-8)";
    why->detail = StartsWithIgnoringCase(format, "-batch")
                      ? "content-type: " + quoted +
                            ": the Kafka binding has no batch mode, one event per message"
                      : "content-type: " + quoted +
                            " is not an event format Huntline reads (application/cloudevents+json)";
    return false;
  }
  for (const Header& h : *message.headers) {
    if (StartsWithIgnoringCase(h.key, "ce_")) {
      *mode = ContentMode::kBinary;
      return true;
    }
  }
  return true;
}

bool Decoder::Decode(const RawMessage& message, Event* out, Rejection* why) {
  ContentMode mode;
  if (!SelectMode(message, &mode, why)) return false;
  if (mode == ContentMode::kBinary) return DecodeBinary(*message.headers, message.value, out, why);
  return DecodeStructured(message.value, out, why);
}

bool Decoder::DecodeStructured(std::string_view value, Event* out, Rejection* why) {
  if (value.empty()) {
    // A tombstone (no value) or an empty one: librdkafka hands over no buffer to parse.
    why->reason = RejectReason::kInvalidJson;
    why->detail = "the message has no value: a structured-mode event is a JSON object";
    return false;
  }
  element doc;
  if (auto error = parser_.parse(value.data(), value.size()).get(doc); error) {
    why->reason = RejectReason::kInvalidJson;
    why->detail = std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  object envelope;
  if (doc.get_object().get(envelope) != simdjson::SUCCESS) {
    why->reason = RejectReason::kInvalidJson;
    why->detail = "the event must be a JSON object, got " + std::string(TypeName(doc.type()));
    return false;
  }
  Rejection wrong_type;
  bool bad_attribute = false;
  // JSON format §2.2: an attribute whose value is null is unset.
  auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    element value;
    if (envelope[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) {
      if (!bad_attribute) {
        bad_attribute = true;
        wrong_type.reason = RejectReason::kWrongType;
        wrong_type.detail = std::string(name) + ": must be a string, got " +
                            std::string(TypeName(value.type()));
      }
      return std::string_view();  // present; the wrong type is reported below
    }
    return s;
  };
  const bool envelope_ok = DecodeEnvelope(get, "", out, why);
  if (bad_attribute) {
    *why = std::move(wrong_type);
    return false;
  }
  if (!envelope_ok) return false;
  const auto content_type = get("datacontenttype");
  get("dataschema");
  get("subject");
  if (bad_attribute) {
    *why = std::move(wrong_type);
    return false;
  }
  element data;
  const bool has_data = envelope["data"].get(data) == simdjson::SUCCESS && !data.is_null();
  element data_base64;
  const bool has_base64 =
      envelope["data_base64"].get(data_base64) == simdjson::SUCCESS && !data_base64.is_null();
  if (has_data && has_base64) {
    why->reason = RejectReason::kInvalidValue;
    why->detail = "data_base64: must not be present together with data";
    return false;
  }
  if (has_base64) {
    why->reason = RejectReason::kWrongType;
    why->detail = "data: must be a JSON object, got data_base64 (binary data)";
    return false;
  }
  if (!has_data) {
    why->reason = RejectReason::kMissingField;
    why->detail = "data: required attribute is missing";
    return false;
  }
  if (!CheckJsonContent(content_type, "datacontenttype", why)) return false;
  if (!DecodeData(data, out->type, out, why)) return false;
  for (auto [name, value] : envelope) {
    if (name == "data" || name == "data_base64" ||
        std::find(kAttributeNames.begin(), kAttributeNames.end(), name) != kAttributeNames.end()) {
      continue;
    }
    if (!CheckExtension(name, value, why)) return false;
  }
  return true;
}

bool Decoder::DecodeBinary(const Headers& headers, std::string_view value, Event* out,
                           Rejection* why) {
  // Kafka binding §3.2.3: header values are UTF-8 strings; a value quoted in a refusal is too.
  for (const Header& h : headers) {
    if ((StartsWithIgnoringCase(h.key, "ce_") || EqualsIgnoringCase(h.key, "content-type")) &&
        !simdjson::validate_utf8(h.value)) {
      why->reason = RejectReason::kInvalidValue;
      why->detail = (simdjson::validate_utf8(h.key) ? h.key : std::string("header")) +
                    ": the value is not UTF-8";
      return false;
    }
  }
  std::string conflicting;
  auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    const HeaderLookup found = FindHeader(headers, "ce_" + std::string(name));
    if (found.conflict && conflicting.empty()) conflicting = "ce_" + std::string(name);
    if (!found.header) return std::nullopt;
    return std::string_view(found.header->value);
  };
  const bool envelope_ok = DecodeEnvelope(get, "ce_", out, why);
  if (!conflicting.empty()) {
    why->reason = RejectReason::kInvalidValue;
    why->detail = conflicting + ": the header appears more than once with different values";
    return false;
  }
  if (!envelope_ok) return false;
  // Kafka binding §3.2.1: `content-type` is the data's content type. sdk-go's vectors send
  // `ce_datacontenttype` instead; it is read when there is no `content-type`.
  const HeaderLookup content_type = FindHeader(headers, "content-type");
  const HeaderLookup ce_content_type = FindHeader(headers, "ce_datacontenttype");
  if (content_type.header) {
    if (!CheckJsonContent(content_type.header->value, "content-type", why)) return false;
  } else if (ce_content_type.header) {
    if (!CheckJsonContent(ce_content_type.header->value, "ce_datacontenttype", why)) return false;
  }
  if (value.empty()) {
    why->reason = RejectReason::kMissingField;
    why->detail = "data: required attribute is missing (the message has no value)";
    return false;
  }
  element data;
  if (auto error = parser_.parse(value.data(), value.size()).get(data); error) {
    why->reason = RejectReason::kInvalidJson;
    why->detail = std::string("data: not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  return DecodeData(data, out->type, out, why);
}

bool Decoder::DecodeData(element data, EventType type, Event* out, Rejection* why) {
  object obj;
  if (data.get_object().get(obj) != simdjson::SUCCESS) {
    why->reason = RejectReason::kWrongType;
    why->detail = "data: must be an object, got " + std::string(TypeName(data.type()));
    return false;
  }
  Fields f(obj, "data", why);
  switch (type) {
    case EventType::kUserUpserted: DecodeUser(f, &out->data); break;
    case EventType::kAccountUpserted: DecodeAccount(f, &out->data); break;
    case EventType::kContactUpserted: DecodeContact(f, &out->data); break;
    case EventType::kLeadUpserted: DecodeLead(f, &out->data); break;
    case EventType::kOpportunityUpserted: DecodeOpportunity(f, &out->data); break;
    case EventType::kActivityLogged: DecodeActivity(f, &out->data); break;
    case EventType::kCalendarEventUpserted: DecodeCalendarUpsert(f, why, &out->data); break;
    case EventType::kCalendarEventCancelled: DecodeCalendarCancel(f, &out->data); break;
    case EventType::kTaskAssigned: DecodeTask(f, &out->data); break;
  }
  return !f.failed();
}

}  // namespace huntline::ingest
