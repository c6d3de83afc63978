#include "connectors/microsoft_graph.h"

#include <optional>
#include <string>
#include <vector>

#include "calendar/recurrence.h"
#include "connectors/json_input.h"
#include "connectors/values.h"
#include "connectors/zones.h"

namespace huntline::connectors {
namespace {

/// RFC 5545 two-letter day names of Graph's `dayOfWeek` values.
std::optional<std::string> DayCode(const std::string& day) {
  static const std::pair<const char*, const char*> kDays[] = {
      {"sunday", "SU"}, {"monday", "MO"}, {"tuesday", "TU"}, {"wednesday", "WE"},
      {"thursday", "TH"}, {"friday", "FR"}, {"saturday", "SA"}};
  for (const auto& [name, code] : kDays) {
    if (day == name) return std::string(code);
  }
  return std::nullopt;
}

class EventTranslator {
 public:
  EventTranslator(const CalendarContext& context, Translation& out) : context_(context), out_(out) {
    source_ = "microsoft-graph/" + context.owner.user_id;
  }

  void Translate(const Json& event, const std::string& locator) {
    const std::string record = event.dump();
    auto refuse = [&](const char* reason, std::string detail) {
      out_.Refuse(locator, reason, std::move(detail), record);
    };
    const std::string& calendar_id = context_.owner.user_id;
    const std::string id = Str(event, "id");
    if (event.contains("@removed")) {
      const std::string reason = Str(event["@removed"], "reason");
      if (reason != "deleted") {  // an instance that left the calendarView window
        ++out_.skipped;
        return;
      }
      if (id.empty()) return refuse("missing_required", "a removal without an id");
      Cancel(id, id + ":cancelled", locator, record);
      return;
    }
    std::vector<std::string> missing;
    for (const char* key : {"id", "start", "end", "lastModifiedDateTime", "showAs", "type", "organizer", "attendees"}) {
      if (!event.contains(key) || event[key].is_null()) missing.push_back(key);
    }
    const std::string type = Str(event, "type");
    if ((type == "occurrence" || type == "exception") && Str(event, "seriesMasterId").empty()) {
      missing.push_back("seriesMasterId");
    }
    if (type == "exception" && !event.contains("originalStart")) missing.push_back("originalStart");
    if (type == "seriesMaster" && !event.contains("recurrence")) missing.push_back("recurrence");
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      return refuse("incomplete_record", "the event lacks " + names +
                                             ": fetch it with Graph's default properties (no $select)");
    }
    std::string version = Str(event, "changeKey");
    if (version.empty()) {
      version = Str(event, "@odata.etag");
      const size_t open = version.find('"');
      const size_t close = version.rfind('"');
      version = open != std::string::npos && close > open ? version.substr(open + 1, close - open - 1) : "";
    }
    if (version.empty()) return refuse("incomplete_record", "the event has neither changeKey nor @odata.etag");
    auto time = ParseRfc3339(Str(event, "lastModifiedDateTime"));
    if (!time) return refuse("invalid_value", "lastModifiedDateTime is not an RFC 3339 time");
    if (event.value("isCancelled", false)) {
      Json data;
      data["calendar_id"] = calendar_id;
      data["event_id"] = id;
      out_.events.push_back(MakeEvent(id + ":" + version, source_, "calendar.event.cancelled", *time, calendar_id,
                                      std::move(data)));
      return;
    }
    if (type != "singleInstance" && type != "seriesMaster" && type != "occurrence" && type != "exception") {
      return refuse("invalid_value", "type \"" + type + "\" is not a Graph event type");
    }
    std::string zone_error;
    auto start = Instant(event["start"], &zone_error);
    auto end = Instant(event["end"], &zone_error);
    if (event.value("isAllDay", false) && start && end) {  // whole days of the calendar's owner
      const std::string zone = context_.owner.timezone.empty() ? "UTC" : context_.owner.timezone;
      start = LocalInstant(Str(event["start"], "dateTime").substr(0, 10), zone);
      end = LocalInstant(Str(event["end"], "dateTime").substr(0, 10), zone);
    }
    if (!zone_error.empty()) return refuse("unknown_timezone", zone_error);
    if (!start || !end) return refuse("invalid_value", "start or end is not a dateTime with a timeZone");

    Json data;
    data["calendar_id"] = calendar_id;
    data["event_id"] = id;
    if (type == "occurrence" || type == "exception") {
      data["series_id"] = Str(event, "seriesMasterId");
      std::optional<Timestamp> original = start;
      if (type == "exception") original = ParseRfc3339(Str(event, "originalStart"));
      if (!original) return refuse("invalid_value", "originalStart is not an RFC 3339 time");
      data["original_start"] = FormatRfc3339(*original);
      // A later `@removed` names only this instance's id.
      if (context_.state) {
        context_.state->Put("graph/inst/" + calendar_id + "/" + id,
                            Json{{"series_id", data["series_id"]}, {"original_start", data["original_start"]}});
      }
    }
    const std::string organizer = Str(event["organizer"].value("emailAddress", Json::object()), "address");
    data["organizer"] = organizer.empty() ? calendar_id : context_.mapping.UserOrEmail(organizer);
    Json attendees = Json::array();
    const YAML::Node responses = context_.mapping.node("graph")["response_by_value"];
    for (const Json& attendee : event["attendees"]) {
      if (Str(attendee, "type") == "resource") continue;
      const std::string address = Str(attendee.value("emailAddress", Json::object()), "address");
      if (address.empty()) continue;
      std::string response = Str(attendee.value("status", Json::object()), "response");
      if (response.empty()) response = "none";
      const YAML::Node mapped = responses[response];
      if (!mapped) return refuse("unmapped_value", "attendee response \"" + response + "\" is not in graph.response_by_value");
      attendees.push_back(Json{{"id_or_email", context_.mapping.UserOrEmail(address)}, {"response", mapped.as<std::string>()}});
    }
    data["attendees"] = std::move(attendees);
    data["start"] = FormatRfc3339(*start);
    data["end"] = FormatRfc3339(*end);
    const std::string show_as = Str(event, "showAs");
    const YAML::Node shown = context_.mapping.node("graph")["show_as_by_value"][show_as];
    if (!shown) return refuse("unmapped_value", "showAs \"" + show_as + "\" is not in graph.show_as_by_value");
    data["show_as"] = shown.as<std::string>();
    const std::string subject = Str(event, "subject");
    bool is_protected = context_.mapping.TitleIsProtected(subject);
    for (const Json& category : event.value("categories", Json::array())) {
      if (category.is_string() && context_.mapping.CategoryIsProtected(category.get<std::string>())) is_protected = true;
    }
    data["protected"] = is_protected;
    if (type == "seriesMaster") {
      std::string zone_name = Str(event["recurrence"].value("range", Json::object()), "recurrenceTimeZone");
      if (zone_name.empty()) zone_name = Str(event, "originalStartTimeZone");
      auto zone = IanaZone(zone_name);
      if (!zone) return refuse("unknown_timezone", "the recurrence's zone \"" + zone_name + "\" is neither IANA nor Windows");
      std::string error;
      auto rule = Rule(event["recurrence"], *zone, &error);
      if (!rule) return refuse("invalid_value", error);
      data["rrule"] = *rule;
      data["timezone"] = *zone;
    }
    const std::string sensitivity = Str(event, "sensitivity");
    if (!subject.empty() && sensitivity != "private" && sensitivity != "confidential") data["title"] = subject;
    out_.events.push_back(MakeEvent(id + ":" + version, source_, "calendar.event.upserted", *time, calendar_id,
                                    std::move(data)));
  }

  /// A deletion: the whole event, at --observed-at.
  void Cancel(const std::string& event_id, const std::string& id, const std::string& locator,
              const std::string& record) {
    if (!context_.observed_at) {
      out_.Refuse(locator, "no_event_time", "a deletion carries no time: pass --observed-at", record);
      return;
    }
    Json data;
    data["calendar_id"] = context_.owner.user_id;
    data["event_id"] = event_id;
    // An instance of a series held in state cancels that occurrence, not an event of its own.
    if (context_.state) {
      if (auto instance = context_.state->Get("graph/inst/" + context_.owner.user_id + "/" + event_id)) {
        data["event_id"] = (*instance)["series_id"];
        data["original_start"] = (*instance)["original_start"];
      }
    }
    out_.events.push_back(MakeEvent(id, source_, "calendar.event.cancelled", *context_.observed_at,
                                    context_.owner.user_id, std::move(data)));
  }

 private:
  /// `{dateTime, timeZone}`: a local time in an IANA or Windows zone.
  static std::optional<Timestamp> Instant(const Json& value, std::string* zone_error) {
    std::string zone_name = Str(value, "timeZone");
    if (zone_name == "tzone://Microsoft/Utc") zone_name = "UTC";
    auto zone = IanaZone(zone_name.empty() ? "UTC" : zone_name);
    if (!zone) {
      *zone_error = "timeZone \"" + zone_name + "\" is neither IANA nor Windows";
      return std::nullopt;
    }
    return LocalInstant(Str(value, "dateTime"), *zone);
  }

  /// `recurrence` {pattern, range} as an RRULE.
  static std::optional<std::string> Rule(const Json& recurrence, const std::string& zone, std::string* error) {
    const Json pattern = recurrence.value("pattern", Json::object());
    const Json range = recurrence.value("range", Json::object());
    const std::string type = Str(pattern, "type");
    std::string freq;
    if (type == "daily") freq = "DAILY";
    else if (type == "weekly") freq = "WEEKLY";
    else if (type == "absoluteMonthly" || type == "relativeMonthly") freq = "MONTHLY";
    else if (type == "absoluteYearly" || type == "relativeYearly") freq = "YEARLY";
    else {
      *error = "recurrence pattern type \"" + type + "\"";
      return std::nullopt;
    }
    std::string rule = "FREQ=" + freq + ";INTERVAL=" + std::to_string(pattern.value("interval", 1));
    if (type == "absoluteYearly" || type == "relativeYearly") rule += ";BYMONTH=" + std::to_string(pattern.value("month", 1));
    if (type == "absoluteMonthly" || type == "absoluteYearly") {
      rule += ";BYMONTHDAY=" + std::to_string(pattern.value("dayOfMonth", 1));
    }
    if (type == "weekly" || type == "relativeMonthly" || type == "relativeYearly") {
      std::string days;
      for (const Json& day : pattern.value("daysOfWeek", Json::array())) {
        auto code = day.is_string() ? DayCode(day.get<std::string>()) : std::nullopt;
        if (!code) {
          *error = "recurrence day \"" + day.dump() + "\"";
          return std::nullopt;
        }
        days += (days.empty() ? "" : ",") + *code;
      }
      if (days.empty()) {
        *error = "a " + type + " recurrence without daysOfWeek";
        return std::nullopt;
      }
      rule += ";BYDAY=" + days;
    }
    if (type == "relativeMonthly" || type == "relativeYearly") {
      static const std::pair<const char*, const char*> kIndex[] = {
          {"first", "1"}, {"second", "2"}, {"third", "3"}, {"fourth", "4"}, {"last", "-1"}};
      const std::string index = pattern.contains("index") ? Str(pattern, "index") : "first";
      std::string pos;
      for (const auto& [name, value] : kIndex) {
        if (index == name) pos = value;
      }
      if (pos.empty()) {
        *error = "recurrence index \"" + index + "\"";
        return std::nullopt;
      }
      rule += ";BYSETPOS=" + pos;
    }
    if (type == "weekly") {
      auto wkst = DayCode(pattern.contains("firstDayOfWeek") ? Str(pattern, "firstDayOfWeek") : "sunday");
      if (wkst) rule += ";WKST=" + *wkst;
    }
    const std::string range_type = Str(range, "type");
    if (range_type == "numbered") {
      const int64_t count = range.value("numberOfOccurrences", int64_t{1});
      if (count < 1) {
        *error = "a numbered recurrence of " + std::to_string(count) + " occurrences";
        return std::nullopt;
      }
      rule += ";COUNT=" + std::to_string(count);
    } else if (range_type == "endDate") {
      const auto date = ParseDate(Str(range, "endDate"));
      if (!date) {
        *error = "recurrence endDate \"" + Str(range, "endDate") + "\" is not a date";
        return std::nullopt;
      }
      const CivilDate civil = CivilFromDays(*date + 1);
      const Timestamp next_day = calendar::AtLocalTime({civil.year, static_cast<int>(civil.month), static_cast<int>(civil.day)}, 0, zone);
      rule += ";UNTIL=" + IcalUtc(next_day - kMillisPerSecond);
    } else if (range_type != "noEnd") {
      *error = "recurrence range type \"" + range_type + "\"";
      return std::nullopt;
    }
    return rule;
  }

  const CalendarContext& context_;
  Translation& out_;
  std::string source_;
};

void TranslateNotification(const Json& notification, const std::string& locator, EventTranslator& events,
                           Translation& out) {
  const std::string record = notification.dump();
  const std::string lifecycle = Str(notification, "lifecycleEvent");
  if (lifecycle == "reauthorizationRequired") {
    ++out.skipped;
    return;
  }
  if (!lifecycle.empty()) {
    out.Refuse(locator, "resync_required",
               "lifecycle event \"" + lifecycle + "\": changes were lost; run a delta sync of the calendar", record);
    return;
  }
  const std::string change = Str(notification, "changeType");
  const std::string resource = Str(notification, "resource");
  if (change == "deleted") {
    const std::string id = resource.substr(resource.rfind('/') + 1);
    events.Cancel(id, id + ":cancelled", locator, record);
    return;
  }
  out.Refuse(locator, "needs_fetch",
             "a \"" + change + "\" notification carries ids only: GET " + resource + " and translate the event",
             record);
}

bool IsNotification(const Json& value) {
  return value.is_object() && (value.contains("lifecycleEvent") ||
                               (value.contains("subscriptionId") && value.contains("changeType")));
}

void OneItem(const Json& item, const std::string& at, EventTranslator& events, Translation& out) {
  if (IsNotification(item)) {
    TranslateNotification(item, at, events, out);
  } else if (item.is_object() && item.contains("id")) {
    events.Translate(item, at);
  } else {
    out.Refuse(at, "unrecognized_input", "not a Graph event, a collection (value), a delta page or a change notification",
               item.dump());
  }
}

}  // namespace

Translation TranslateMicrosoftGraph(std::string_view input, const CalendarContext& context) {
  Translation out;
  // An HTTP request (its request line anywhere among its first lines) with a validationToken.
  const size_t token = input.find("validationToken=");
  if (token != std::string_view::npos) {
    const size_t line = input.rfind('\n', token);
    const std::string_view request = input.substr(line == std::string_view::npos ? 0 : line + 1);
    if (request.starts_with("POST ") || request.starts_with("GET ")) {
      out.Refuse("$", "validation_request",
                 "a subscription's validation request: the receiver answers it (200, text/plain, the decoded "
                 "validationToken); it carries no event",
                 input);
      return out;
    }
  }
  EventTranslator events(context, out);
  ForEachJsonValue(input, out, [&](const Json& value, const std::string& locator) {
    auto one = [&](const Json& item, const std::string& at) {
      out.Record(at, item.dump(), [&] { OneItem(item, at, events, out); });
    };
    if (value.is_object() && value.contains("value") && value["value"].is_array()) {
      size_t i = 0;
      for (const Json& item : value["value"]) one(item, locator + ".value[" + std::to_string(i++) + "]");
    } else if (value.is_array() && locator == "$") {
      size_t i = 0;
      for (const Json& item : value) one(item, "$[" + std::to_string(i++) + "]");
    } else {
      one(value, locator);
    }
  });
  return out;
}

}  // namespace huntline::connectors
