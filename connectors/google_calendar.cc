#include "connectors/google_calendar.h"

#include <optional>
#include <string>
#include <vector>

#include "calendar/recurrence.h"
#include "connectors/json_input.h"
#include "connectors/values.h"
#include "connectors/zones.h"

namespace huntline::connectors {
namespace {

/// One item of a page (or a bare event): what it gives.
class ItemTranslator {
 public:
  ItemTranslator(const CalendarContext& context, const Json* page, Translation& out)
      : context_(context), page_(page), out_(out) {
    source_ = "google-calendar/" + context.owner.user_id;
    page_zone_ = page ? Str(*page, "timeZone") : "";
  }

  void Translate(const Json& item, const std::string& locator) {
    const std::string record = item.dump();
    auto refuse = [&](const char* reason, std::string detail) {
      out_.Refuse(locator, reason, std::move(detail), record);
    };
    const std::string event_type = Str(item, "eventType");
    for (const auto& skip : context_.mapping.node("google")["skip_event_types"]) {
      if (skip.as<std::string>() == event_type) {
        ++out_.skipped;
        return;
      }
    }
    const std::string id = Str(item, "id");
    if (id.empty()) return refuse("missing_required", "the event has no id");
    std::string etag = Str(item, "etag");
    std::erase(etag, '"');
    if (etag.empty()) return refuse("missing_required", "the event has no etag: its version is unknown");
    // Every zone the item or its page names must be one the times can be read in.
    std::vector<std::string> zones = {page_zone_};
    for (const char* key : {"start", "end", "originalStartTime"}) {
      if (item.contains(key)) zones.push_back(Str(item[key], "timeZone"));
    }
    for (const std::string& zone : zones) {
      if (!zone.empty() && !IanaZone(zone)) return refuse("unknown_timezone", "timeZone \"" + zone + "\" is not an IANA zone");
    }
    std::optional<Timestamp> time = ParseRfc3339(Str(item, "updated"));
    if (!time && page_) time = ParseRfc3339(Str(*page_, "updated"));
    if (!time) time = context_.observed_at;
    if (!time) {
      return refuse("no_event_time", "neither the event nor its page has `updated`: pass --observed-at");
    }
    const std::string status = item.contains("status") ? Str(item, "status") : "confirmed";
    const std::string& calendar_id = context_.owner.user_id;
    if (status == "cancelled") {
      Json data;
      data["calendar_id"] = calendar_id;
      const std::string series = Str(item, "recurringEventId");
      if (!series.empty()) {
        auto original = Instant(item, "originalStartTime");
        if (!original) return refuse("missing_required", "a cancelled instance without originalStartTime");
        data["event_id"] = series;
        data["original_start"] = FormatRfc3339(*original);
      } else {
        data["event_id"] = id;
      }
      out_.events.push_back(MakeEvent(id + ":" + etag + ":cancelled", source_, "calendar.event.cancelled", *time,
                                      calendar_id, std::move(data)));
      return;
    }
    if (status != "confirmed" && status != "tentative") {
      return refuse("invalid_value", "status \"" + status + "\" is not a Google Calendar status "
                                     "(confirmed, tentative, cancelled)");
    }
    auto start = Instant(item, "start");
    auto end = Instant(item, "end");
    if (!start || !end) return refuse("missing_required", "start and end must be a dateTime or a date");

    Json data;
    data["calendar_id"] = calendar_id;
    data["event_id"] = id;
    const std::string series = Str(item, "recurringEventId");
    if (!series.empty()) {
      auto original = Instant(item, "originalStartTime");
      if (!original) return refuse("missing_required", "an instance without originalStartTime");
      data["series_id"] = series;
      data["original_start"] = FormatRfc3339(*original);
    }
    const Json organizer = item.value("organizer", Json::object());
    const std::string organizer_email = Str(organizer, "email");
    data["organizer"] = organizer_email.empty() ? calendar_id : context_.mapping.UserOrEmail(organizer_email);
    Json attendees = Json::array();
    bool self_tentative = false;
    for (const Json& attendee : item.value("attendees", Json::array())) {
      if (attendee.value("resource", false)) continue;
      const std::string email = Str(attendee, "email");
      if (email.empty()) continue;
      const std::string response = Response(Str(attendee, "responseStatus"));
      if (attendee.value("self", false) && response == "tentative") self_tentative = true;
      attendees.push_back(Json{{"id_or_email", context_.mapping.UserOrEmail(email)}, {"response", response}});
    }
    data["attendees"] = std::move(attendees);
    data["start"] = FormatRfc3339(*start);
    data["end"] = FormatRfc3339(*end);
    std::string transparency = Str(item, "transparency");
    if (transparency.empty()) transparency = "opaque";
    const YAML::Node show_as = context_.mapping.node("google")["show_as_by_transparency"][transparency];
    if (!show_as) {
      return refuse("unmapped_value", "transparency \"" + transparency +
                                          "\" is not in google.show_as_by_transparency");
    }
    data["show_as"] = status == "tentative" || self_tentative ? "tentative" : show_as.as<std::string>();
    const std::string title = Str(item, "summary");
    const bool focus_time = event_type == "focusTime" &&
                            context_.mapping.node("google")["focus_time_is_protected"].as<bool>(true);
    data["protected"] = focus_time || context_.mapping.TitleIsProtected(title);

    std::string rrule;
    std::vector<std::string> exdates;
    const std::string zone = SeriesZone(item);
    for (const Json& line : item.value("recurrence", Json::array())) {
      if (!line.is_string()) continue;
      const std::string text = line.get<std::string>();
      if (text.rfind("RRULE:", 0) == 0) {
        rrule = text.substr(6);
      } else if (text.rfind("EXDATE", 0) == 0) {
        const size_t tzid = text.find("TZID=");
        if (tzid != std::string::npos && tzid < text.find(':')) {
          const std::string name = text.substr(tzid + 5, text.find_first_of(";:", tzid) - tzid - 5);
          if (!IanaZone(name)) return refuse("unknown_timezone", "EXDATE zone \"" + name + "\" is not an IANA zone");
        }
        if (!ExDates(text, zone, exdates)) return refuse("invalid_value", "recurrence line \"" + text + "\"");
      } else {
        return refuse("not_expressible", "recurrence line \"" + text +
                                             "\": only RRULE and EXDATE are read from a Google series");
      }
    }
    if (!rrule.empty()) {
      data["rrule"] = rrule;
      if (!exdates.empty()) data["exdates"] = exdates;
      data["timezone"] = zone;
    }
    const std::string visibility = Str(item, "visibility");
    if (!title.empty() && visibility != "private" && visibility != "confidential") data["title"] = title;
    out_.events.push_back(MakeEvent(id + ":" + etag, source_, "calendar.event.upserted", *time, calendar_id,
                                    std::move(data)));
  }

 private:
  /// A `start`/`end`/`originalStartTime` object: `dateTime` (its offset fixes the instant; without
  /// one, its `timeZone`), or an all-day `date` at 00:00 in the calendar's zone.
  std::optional<Timestamp> Instant(const Json& item, const char* key) const {
    auto it = item.find(key);
    if (it == item.end() || !it->is_object()) return std::nullopt;
    const std::string date_time = Str(*it, "dateTime");
    if (!date_time.empty()) {
      if (auto t = ParseRfc3339(date_time)) return t;
      const std::string zone = Str(*it, "timeZone");
      return LocalInstant(date_time, zone.empty() ? CalendarZone() : zone);
    }
    const std::string date = Str(*it, "date");
    auto day = ParseDate(date);
    if (!day) return std::nullopt;
    const CivilDate civil = CivilFromDays(*day);
    return calendar::AtLocalTime({civil.year, static_cast<int>(civil.month), static_cast<int>(civil.day)}, 0,
                                 CalendarZone());
  }

  /// The calendar's zone: the page's `timeZone`, else the owner's, else UTC.
  std::string CalendarZone() const {
    if (!page_zone_.empty()) return page_zone_;
    return context_.owner.timezone.empty() ? "UTC" : context_.owner.timezone;
  }

  /// A series' zone: its start's `timeZone`, else the calendar's.
  std::string SeriesZone(const Json& item) const {
    const std::string zone = Str(item.value("start", Json::object()), "timeZone");
    return zone.empty() ? CalendarZone() : zone;
  }

  static std::string Response(const std::string& status) {
    if (status == "accepted" || status == "declined" || status == "tentative") return status;
    return "needs_action";
  }

  /// `EXDATE;TZID=Zone:20250325T073000,…`, `EXDATE:…Z`, `EXDATE;VALUE=DATE:20250325`.
  static bool ExDates(const std::string& line, const std::string& series_zone, std::vector<std::string>& out) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return false;
    std::string zone = series_zone;
    const std::string params = line.substr(0, colon);
    if (const size_t tzid = params.find("TZID="); tzid != std::string::npos) {
      zone = params.substr(tzid + 5, params.find(';', tzid) - tzid - 5);
    }
    std::string_view values(line);
    values.remove_prefix(colon + 1);
    while (!values.empty()) {
      const size_t comma = values.find(',');
      auto t = IcalInstant(values.substr(0, comma), zone);
      if (!t) return false;
      out.push_back(FormatRfc3339(*t));
      if (comma == std::string_view::npos) break;
      values.remove_prefix(comma + 1);
    }
    return true;
  }

  const CalendarContext& context_;
  const Json* page_;
  Translation& out_;
  std::string source_;
  std::string page_zone_;
};

bool IsPage(const Json& value) {
  return value.is_object() && Str(value, "kind") == "calendar#events" && value.contains("items") &&
         value["items"].is_array();
}
bool IsEvent(const Json& value) {
  return value.is_object() && (Str(value, "kind") == "calendar#event" ||
                               (!value.contains("kind") && value.contains("id") && value.contains("etag")));
}

void TranslateValue(const Json& value, const std::string& locator, const CalendarContext& context,
                    Translation& out) {
  if (IsPage(value)) {
    ItemTranslator items(context, &value, out);
    size_t i = 0;
    for (const Json& item : value["items"]) {
      const std::string at = locator + ".items[" + std::to_string(i++) + "]";
      out.Record(at, item.dump(), [&] { items.Translate(item, at); });
    }
  } else if (IsEvent(value)) {
    out.Record(locator, value.dump(), [&] { ItemTranslator(context, nullptr, out).Translate(value, locator); });
  } else {
    out.Refuse(locator, "unrecognized_input",
               "not a Google Calendar events.list page (kind calendar#events), an event (kind "
               "calendar#event) or an array of them",
               value.dump());
  }
}

}  // namespace

Translation TranslateGoogleCalendar(std::string_view input, const CalendarContext& context) {
  Translation out;
  ForEachJsonValue(input, out, [&](const Json& value, const std::string& locator) {
    if (value.is_array() && locator == "$") {
      size_t i = 0;
      for (const Json& element : value) TranslateValue(element, "$[" + std::to_string(i++) + "]", context, out);
    } else {
      TranslateValue(value, locator, context, out);
    }
  });
  return out;
}

}  // namespace huntline::connectors
