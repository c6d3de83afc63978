#include "connectors/ics.h"

#include <libical/ical.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calendar/recurrence.h"
#include "connectors/values.h"
#include "connectors/zones.h"

namespace huntline::connectors {
namespace {

// ---- Reading: content lines into components ----

struct Property {
  std::string name;                           // upper case
  std::map<std::string, std::string> params;  // names upper case, values unquoted
  std::string value;
  std::string Param(const char* key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

struct Component {
  std::string name;
  std::vector<Property> properties;
  std::vector<std::unique_ptr<Component>> children;
  std::string text;  // the component as written, for dead letters

  const Property* Find(const char* name_wanted) const {
    for (const Property& p : properties) {
      if (p.name == name_wanted) return &p;
    }
    return nullptr;
  }
  std::string Value(const char* name_wanted) const {
    const Property* p = Find(name_wanted);
    return p ? p->value : std::string();
  }
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// `NAME;P=V;P="V":VALUE`; false when the line has no value.
bool ParseLine(std::string_view line, Property* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != ';' && line[i] != ':') ++i;
  if (i == line.size()) return false;
  out->name = Upper(line.substr(0, i));
  while (i < line.size() && line[i] == ';') {
    const size_t eq = line.find('=', i + 1);
    if (eq == std::string_view::npos) return false;
    const std::string key = Upper(line.substr(i + 1, eq - i - 1));
    std::string value;
    size_t j = eq + 1;
    while (j < line.size() && line[j] != ';' && line[j] != ':') {
      if (line[j] == '"') {
        const size_t close = line.find('"', j + 1);
        if (close == std::string_view::npos) return false;
        value.append(line.substr(j + 1, close - j - 1));
        j = close + 1;
      } else {
        value += line[j++];
      }
    }
    out->params[key] = value;
    i = j;
  }
  if (i >= line.size() || line[i] != ':') return false;
  out->value = std::string(line.substr(i + 1));
  return true;
}

/// The components of `input` (unfolded: a line break followed by one blank joins the lines).
std::vector<std::unique_ptr<Component>> Parse(std::string_view input) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) {
      lines.back().append(line.substr(1));
    } else {
      lines.emplace_back(line);
    }
    pos = end + 1;
  }
  std::vector<std::unique_ptr<Component>> roots;
  std::vector<Component*> open;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    Property p;
    if (!ParseLine(line, &p)) continue;
    for (Component* c : open) c->text += line + "\n";
    if (p.name == "BEGIN") {
      // A component left open (its END lost) ends where one that cannot be inside it begins.
      const std::string name = Upper(p.value);
      auto top_level = [](const std::string& n) {
        return n == "VEVENT" || n == "VTODO" || n == "VJOURNAL" || n == "VFREEBUSY" || n == "VTIMEZONE";
      };
      if (name == "VCALENDAR") {
        open.clear();
      } else if (top_level(name)) {
        while (!open.empty() && open.back()->name != "VCALENDAR") open.pop_back();
      }
      auto component = std::make_unique<Component>();
      component->name = Upper(p.value);
      component->text = line + "\n";
      Component* raw = component.get();
      if (open.empty()) {
        roots.push_back(std::move(component));
      } else {
        open.back()->children.push_back(std::move(component));
      }
      open.push_back(raw);
    } else if (p.name == "END") {
      if (!open.empty()) open.pop_back();
    } else if (!open.empty()) {
      open.back()->properties.push_back(std::move(p));
    }
  }
  return roots;
}

/// RFC 5545 TEXT: `\,` `\;` `\\` `\n`.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out += next == 'n' || next == 'N' ? '\n' : next;
    } else {
      out += text[i];
    }
  }
  const size_t first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

/// An RFC 5545 DURATION (`P1D`, `PT1H30M`, `-P1W`), in milliseconds.
std::optional<Timestamp> ParseDuration(std::string_view text) {
  Timestamp sign = 1;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (text[0] == '-') sign = -1;
    text.remove_prefix(1);
  }
  if (text.empty() || text[0] != 'P') return std::nullopt;
  Timestamp total = 0;
  int64_t number = -1;
  for (char c : text.substr(1)) {
    if (c >= '0' && c <= '9') {
      number = (number < 0 ? 0 : number) * 10 + (c - '0');
      continue;
    }
    if (c == 'T') continue;
    if (number < 0) return std::nullopt;
    switch (c) {
      case 'W': total += number * 7 * kMillisPerDay; break;
      case 'D': total += number * kMillisPerDay; break;
      case 'H': total += number * kMillisPerHour; break;
      case 'M': total += number * kMillisPerMinute; break;
      case 'S': total += number * kMillisPerSecond; break;
      default: return std::nullopt;
    }
    number = -1;
  }
  return sign * total;
}

// ---- Translating ----

/// A DTSTART-like value: its instant, and how it was written.
struct When {
  Timestamp instant = 0;
  bool all_day = false;
  std::string zone;  // IANA: the TZID's, UTC for Z, the owner's for floating and dates; "" for a
                     // zone only the file's VTIMEZONE defines
  bool utc = false;
};

/// The zones a calendar defines itself (VTIMEZONE), for TZIDs that are neither IANA nor Windows
/// names: libical reads their rules.
class DefinedZones {
 public:
  DefinedZones() = default;
  DefinedZones(const DefinedZones&) = delete;
  DefinedZones& operator=(const DefinedZones&) = delete;
  ~DefinedZones() {
    for (auto& [id, zone] : zones_) icaltimezone_free(zone, 1);
  }
  void Add(const std::string& tzid, const std::string& text) {
    if (tzid.empty() || zones_.contains(tzid)) return;
    icalcomponent* component = icalcomponent_new_from_string(("BEGIN:VTIMEZONE\n" + text.substr(text.find('\n') + 1)).c_str());
    if (!component) return;
    icaltimezone* zone = icaltimezone_new();
    if (!icaltimezone_set_component(zone, component)) {
      icaltimezone_free(zone, 1);
      icalcomponent_free(component);
      return;
    }
    zones_[tzid] = zone;
  }
  /// A local date-time (`20250325T073000`) in the zone `tzid` defines; none when it defines none.
  std::optional<Timestamp> Instant(const std::string& tzid, std::string_view local) const {
    auto it = zones_.find(tzid);
    if (it == zones_.end() || local.size() != 15 || local[8] != 'T') return std::nullopt;
    auto utc = IcalInstant(std::string(local) + "Z", "UTC");  // validates the digits
    if (!utc) return std::nullopt;
    icaltimetype t = icaltime_from_string(std::string(local).c_str());
    if (icaltime_is_null_time(t)) return std::nullopt;
    return static_cast<Timestamp>(icaltime_as_timet_with_zone(t, it->second)) * kMillisPerSecond;
  }

 private:
  std::map<std::string, icaltimezone*> zones_;
};

class IcsTranslator {
 public:
  IcsTranslator(const CalendarContext& context, Translation& out)
      : context_(context), out_(out), state_(context.state ? *context.state : own_state_) {
    source_ = "ics/" + context.owner.user_id;
    owner_zone_ = context.owner.timezone.empty() ? "UTC" : context.owner.timezone;
  }

  void Calendar(const Component& vcalendar, size_t index) {
    DefinedZones zones;
    for (const auto& child : vcalendar.children) {
      if (child->name == "VTIMEZONE") zones.Add(child->Value("TZID"), child->text);
    }
    zones_ = &zones;
    const std::string method = Upper(vcalendar.Value("METHOD"));
    const std::string at = "VCALENDAR[" + std::to_string(index) + "]/";
    std::map<std::string, size_t> counts;  // component name → how many seen
    std::vector<std::string> uids;         // in order of first appearance
    std::map<std::string, std::vector<std::pair<const Component*, std::string>>> by_uid;
    for (const auto& child : vcalendar.children) {
      const std::string locator = at + child->name + "[" + std::to_string(counts[child->name]++) + "]";
      if (child->name == "VFREEBUSY" || child->name == "VTODO" || child->name == "VJOURNAL") {
        out_.Refuse(locator, "not_expressible", child->name + ": free/busy data, to-dos and journal entries are not "
                                                "agreed events", child->text);
        continue;
      }
      if (child->name != "VEVENT") continue;  // VTIMEZONE, X- components
      if (method == "COUNTER" || method == "DECLINECOUNTER" || method == "REFRESH") {
        out_.Refuse(locator, "not_expressible", "METHOD:" + method + " is a proposal or a request, not an agreed event",
                    child->text);
        continue;
      }
      const std::string uid = child->Value("UID");
      if (uid.empty()) {
        out_.Refuse(locator, "missing_required", "a VEVENT without UID", child->text);
        continue;
      }
      if (!by_uid.contains(uid)) uids.push_back(uid);
      by_uid[uid].emplace_back(child.get(), locator);
    }
    for (const std::string& uid : uids) {
      const auto& components = by_uid[uid];
      out_.Record(components.front().second, components.front().first->text,
                  [&] { Series(uid, components, method); });
    }
    zones_ = nullptr;
  }

 private:
  using Located = std::pair<const Component*, std::string>;

  /// One UID's components: the master, its RDATE occurrences by start, then its overrides.
  void Series(const std::string& uid, const std::vector<Located>& components, const std::string& method) {
    if (method == "REPLY") {
      for (const auto& [event, locator] : components) Reply(uid, *event, locator);
      return;
    }
    std::vector<const Located*> masters;  // versions of the event, in file order
    std::vector<std::pair<Timestamp, Located>> overrides;
    for (const Located& c : components) {
      const Property* rid = c.first->Find("RECURRENCE-ID");
      if (!rid) {
        masters.push_back(&c);
        continue;
      }
      if (Upper(rid->Param("RANGE")) == "THISANDFUTURE") {
        Refuse(c, "not_expressible", "RECURRENCE-ID;RANGE=THISANDFUTURE changes every later occurrence: the contract "
                                     "replaces one occurrence at a time (re-export the series as it now stands)");
        continue;
      }
      auto when = Read(*rid, nullptr);
      if (!when) {
        Refuse(c, "invalid_value", "RECURRENCE-ID \"" + rid->value + "\"");
        continue;
      }
      overrides.push_back({when->instant, c});
    }
    std::stable_sort(overrides.begin(), overrides.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Timestamp> rdates;
    for (const Located* master : masters) {
      Event(uid, *master->first, master->second, method, std::nullopt, &rdates, overrides);
    }
    if (!masters.empty()) {
      state_.Put(Key("rdate", uid), Json(rdates));
    } else if (auto held = state_.Get(Key("rdate", uid))) {  // the master came in an earlier input
      for (const Json& t : *held) rdates.push_back(t.get<Timestamp>());
    }
    for (const auto& [rid, c] : overrides) {
      const bool of_rdate = std::find(rdates.begin(), rdates.end(), rid) != rdates.end();
      Event(uid, *c.first, c.second, method, rid, nullptr, {}, of_rdate);
    }
  }

  void Refuse(const Located& c, const char* reason, std::string detail) {
    out_.Refuse(c.second, reason, std::move(detail), c.first->text);
  }

  /// A DTSTART, DTEND, RECURRENCE-ID, EXDATE or RDATE value (one of a list: `value`).
  std::optional<When> Read(const Property& p, std::string* error, std::string_view value = {}) {
    if (value.empty()) value = p.value;
    When when;
    const std::string tzid = p.Param("TZID");
    if (!tzid.empty()) {
      auto zone = IanaZone(tzid);
      if (!zone) {
        auto defined = zones_ ? zones_->Instant(tzid, value) : std::nullopt;
        if (!defined) {
          if (error) *error = "TZID \"" + tzid + "\" is neither IANA, a Windows zone name, nor defined by the file's VTIMEZONE";
          return std::nullopt;
        }
        when.instant = *defined;
        when.zone = "";
        return when;
      }
      when.zone = *zone;
    } else if (value.ends_with('Z')) {
      when.zone = "UTC";
      when.utc = true;
    } else {
      when.zone = owner_zone_;
    }
    when.all_day = Upper(p.Param("VALUE")) == "DATE" || value.size() == 8;
    if (when.all_day) when.zone = owner_zone_;
    auto instant = IcalInstant(value, when.zone);
    if (!instant) {
      if (error) *error = p.name + " \"" + std::string(value) + "\" is not an RFC 5545 date or date-time";
      return std::nullopt;
    }
    when.instant = *instant;
    return when;
  }

  /// The person a CAL-ADDRESS names (`mailto:` in any case), or "" when it is not an address.
  std::string Address(const std::string& value) const {
    if (Upper(value.substr(0, 7)) != "MAILTO:") return {};
    return context_.mapping.UserOrEmail(value.substr(7));
  }

  /// The stamp of a component's version and its time: LAST-MODIFIED, DTSTAMP, --observed-at.
  std::optional<Timestamp> Stamp(const Component& event) const {
    for (const char* name : {"LAST-MODIFIED", "DTSTAMP"}) {
      const std::string value = event.Value(name);
      if (value.empty()) continue;
      if (auto t = IcalInstant(value, "UTC")) return t;
    }
    return context_.observed_at;
  }

  static std::string Compact(Timestamp t) { return IcalUtc(t); }

  /// Writes one VEVENT: a master (gathering its RDATEs into `rdates`), an override (`rid`), or a
  /// cancellation.
  void Event(const std::string& uid, const Component& event, const std::string& locator, const std::string& method,
             std::optional<Timestamp> rid, std::vector<Timestamp>* rdates,
             const std::vector<std::pair<Timestamp, Located>>& overrides, bool of_rdate = false) {
    const Located located{&event, locator};
    auto stamp = Stamp(event);
    if (!stamp) return Refuse(located, "no_event_time", "no LAST-MODIFIED or DTSTAMP: pass --observed-at");
    const std::string sequence = event.Value("SEQUENCE").empty() ? "0" : event.Value("SEQUENCE");
    const std::string native = rid ? uid + "_" + Compact(*rid) : uid;
    const std::string version = native + ":" + sequence + ":" + Compact(*stamp);
    const std::string& calendar_id = context_.owner.user_id;
    const std::string organizer = event.Find("ORGANIZER") ? Address(event.Value("ORGANIZER")) : "";
    const bool by_organizer = method == "REQUEST" || method == "ADD" || method == "CANCEL";

    if (Upper(event.Value("STATUS")) == "CANCELLED" || method == "CANCEL") {
      Json data;
      data["calendar_id"] = calendar_id;
      data["event_id"] = uid;
      if (rid) data["original_start"] = FormatRfc3339(*rid);
      if (by_organizer && !organizer.empty()) data["cancelled_by"] = organizer;
      out_.events.push_back(MakeEvent(version + ":cancelled", source_, "calendar.event.cancelled", *stamp,
                                      calendar_id, std::move(data)));
      if (!rid) state_.Erase(Key("img", uid));
      return;
    }
    std::string error;
    const Property* dtstart = event.Find("DTSTART");
    if (!dtstart) return Refuse(located, "missing_required", "a VEVENT without DTSTART");
    auto start = Read(*dtstart, &error);
    if (!start) return Refuse(located, error.starts_with("TZID") ? "unknown_timezone" : "invalid_value", error);
    std::optional<Timestamp> end;
    if (const Property* dtend = event.Find("DTEND")) {
      auto when = Read(*dtend, &error);
      if (!when) return Refuse(located, error.starts_with("TZID") ? "unknown_timezone" : "invalid_value", error);
      end = when->instant;
    } else if (const Property* duration = event.Find("DURATION")) {
      auto length = ParseDuration(duration->value);
      if (!length) return Refuse(located, "invalid_value", "DURATION \"" + duration->value + "\"");
      end = start->instant + *length;
    } else {
      end = start->all_day ? NextDay(start->instant) : start->instant;
    }

    Json data;
    data["calendar_id"] = calendar_id;
    data["event_id"] = native;
    if (rid && !of_rdate) {
      data["series_id"] = uid;
      data["original_start"] = FormatRfc3339(*rid);
    }
    data["organizer"] = organizer.empty() ? calendar_id : organizer;
    Json attendees = Json::array();
    std::string owner_response;
    for (const Property& p : event.properties) {
      if (p.name != "ATTENDEE") continue;
      const std::string cutype = Upper(p.Param("CUTYPE"));
      if (cutype == "ROOM" || cutype == "RESOURCE" || Upper(p.Param("ROLE")) == "NON-PARTICIPANT") continue;
      const std::string who = Address(p.value);
      if (who.empty()) continue;
      const std::string response = Response(Upper(p.Param("PARTSTAT")));
      if (who == calendar_id) owner_response = response;
      attendees.push_back(Json{{"id_or_email", who}, {"response", response}});
    }
    data["attendees"] = std::move(attendees);
    data["start"] = FormatRfc3339(start->instant);
    data["end"] = FormatRfc3339(*end);
    const std::string busy = Upper(event.Value("X-MICROSOFT-CDO-BUSYSTATUS"));
    std::string show_as = "busy";
    if (Upper(event.Value("TRANSP")) == "TRANSPARENT" || busy == "FREE" || busy == "WORKINGELSEWHERE") {
      show_as = "free";
    } else if (busy == "TENTATIVE" || (busy.empty() && owner_response == "tentative")) {
      show_as = "tentative";
    }
    data["show_as"] = show_as;
    const std::string title = Unescape(event.Value("SUMMARY"));
    bool is_protected = context_.mapping.TitleIsProtected(title);
    for (const Property& p : event.properties) {
      if (p.name != "CATEGORIES") continue;
      for (const std::string& category : SplitCommas(p.value)) {
        if (context_.mapping.CategoryIsProtected(Unescape(category))) is_protected = true;
      }
    }
    data["protected"] = is_protected;
    const std::string rrule = event.Value("RRULE");
    if (!rid && !rrule.empty()) {
      if (start->zone.empty()) {
        return Refuse(located, "unknown_timezone",
                      "a series in zone \"" + dtstart->Param("TZID") + "\", which only the file's VTIMEZONE defines: the "
                      "contract names a series' zone by its IANA name");
      }
      data["rrule"] = rrule;
      std::vector<Timestamp> exdates;
      for (const Property& p : event.properties) {
        if (p.name != "EXDATE") continue;
        for (const std::string& value : SplitCommas(p.value)) {
          auto when = Read(p, &error, value);
          if (!when) return Refuse(located, error.starts_with("TZID") ? "unknown_timezone" : "invalid_value", error);
          exdates.push_back(ExdateOf(*when, *start));
        }
      }
      std::sort(exdates.begin(), exdates.end());
      if (!exdates.empty()) {
        Json list = Json::array();
        for (Timestamp t : exdates) list.push_back(FormatRfc3339(t));
        data["exdates"] = std::move(list);
      }
      data["timezone"] = start->zone;
    }
    if (by_organizer && !organizer.empty()) data["updated_by"] = organizer;
    if (!title.empty()) data["title"] = title;
    if (!rid) state_.Put(Key("img", uid), Json{{"data", data}, {"seq", sequence}});

    // RDATE occurrences: single events of their own, the master's fields and duration.
    std::vector<std::pair<Timestamp, Timestamp>> occurrences;
    for (const Property& p : event.properties) {
      if (rid || p.name != "RDATE") continue;
      for (const std::string& value : SplitCommas(p.value)) {
        const size_t slash = value.find('/');
        auto when = Read(p, &error, value.substr(0, slash));
        if (!when) return Refuse(located, error.starts_with("TZID") ? "unknown_timezone" : "invalid_value", error);
        Timestamp occurrence_end = when->instant + (*end - start->instant);
        if (slash != std::string::npos) {
          const std::string tail = value.substr(slash + 1);
          if (auto length = ParseDuration(tail)) {
            occurrence_end = when->instant + *length;
          } else if (auto until = Read(p, &error, tail)) {
            occurrence_end = until->instant;
          } else {
            return Refuse(located, "invalid_value", "RDATE period \"" + value + "\"");
          }
        }
        occurrences.emplace_back(when->instant, occurrence_end);
      }
    }
    std::sort(occurrences.begin(), occurrences.end());
    out_.events.push_back(MakeEvent(version, source_, "calendar.event.upserted", *stamp, calendar_id, data));
    for (const auto& occurrence : occurrences) {
      const Timestamp at = occurrence.first;
      const Timestamp until = occurrence.second;
      if (rdates) rdates->push_back(at);
      const bool overridden = std::any_of(overrides.begin(), overrides.end(),
                                          [&](const auto& o) { return o.first == at; });
      if (overridden) continue;  // the override is this occurrence's event
      Json single = data;
      single.erase("rrule");
      single.erase("exdates");
      single.erase("timezone");
      const std::string single_id = uid + "_" + Compact(at);
      single["event_id"] = single_id;
      single["start"] = FormatRfc3339(at);
      single["end"] = FormatRfc3339(until);
      out_.events.push_back(MakeEvent(single_id + ":" + sequence + ":" + Compact(*stamp), source_,
                                      "calendar.event.upserted", *stamp, calendar_id, std::move(single)));
    }
  }

  /// An iTIP REPLY: one attendee's answer, merged into the event written earlier in this input.
  void Reply(const std::string& uid, const Component& event, const std::string& locator) {
    const Located located{&event, locator};
    auto image = state_.Get(Key("img", uid));
    if (!image || event.Find("RECURRENCE-ID")) {
      return Refuse(located, "missing_state", "a REPLY to event " + uid + ", of which no full version is held: "
                                              "translate the organizer's REQUEST or the calendar's export first");
    }
    auto stamp = Stamp(event);
    if (!stamp) return Refuse(located, "no_event_time", "no DTSTAMP: pass --observed-at");
    Json data = (*image)["data"];
    std::string repliers;
    for (const Property& p : event.properties) {
      if (p.name != "ATTENDEE") continue;
      const std::string who = Address(p.value);
      const std::string response = Response(Upper(p.Param("PARTSTAT")));
      repliers += ":" + who;
      for (Json& attendee : data["attendees"]) {
        if (attendee["id_or_email"] == who) attendee["response"] = response;
      }
    }
    data.erase("updated_by");
    (*image)["data"] = data;
    state_.Put(Key("img", uid), *image);
    // Two replies stamped alike are told apart by who replied.
    out_.events.push_back(MakeEvent(uid + ":" + (*image)["seq"].get<std::string>() + ":" + Compact(*stamp) + ":reply" +
                                        repliers, source_, "calendar.event.upserted", *stamp, context_.owner.user_id,
                                    std::move(data)));
  }

  /// The occurrence an EXDATE removes: a date removes the one on that local date, at the
  /// series' time of day; a date-time on an all-day series, the one on its local date.
  Timestamp ExdateOf(const When& exdate, const When& start) const {
    if (exdate.all_day == start.all_day) return exdate.instant;
    const calendar::LocalDate date =
        exdate.all_day ? calendar::LocalDateOf(exdate.instant, owner_zone_) : calendar::LocalDateOf(exdate.instant, exdate.zone);
    int minutes = 0;
    if (!start.all_day) {
      const calendar::LocalDate first = calendar::LocalDateOf(start.instant, start.zone);
      minutes = static_cast<int>((start.instant - calendar::AtLocalTime(first, 0, start.zone)) / kMillisPerMinute);
    }
    return calendar::AtLocalTime(date, minutes, start.zone);
  }

  Timestamp NextDay(Timestamp midnight) const {
    calendar::LocalDate date = calendar::LocalDateOf(midnight, owner_zone_);
    const CivilDate next = CivilFromDays(DaysFromCivil(date.year, static_cast<unsigned>(date.month),
                                                       static_cast<unsigned>(date.day)) + 1);
    return calendar::AtLocalTime({next.year, static_cast<int>(next.month), static_cast<int>(next.day)}, 0, owner_zone_);
  }

  static std::string Response(const std::string& partstat) {
    if (partstat == "ACCEPTED") return "accepted";
    if (partstat == "TENTATIVE") return "tentative";
    if (partstat == "DECLINED" || partstat == "DELEGATED") return "declined";
    return "needs_action";
  }

  const CalendarContext& context_;
  Translation& out_;
  std::string source_;
  std::string owner_zone_;
  const DefinedZones* zones_ = nullptr;  // of the VCALENDAR being read
  storage::MemoryKvStore own_store_;    // the state when the caller keeps none
  ConnectorState own_state_{own_store_};
  ConnectorState& state_;  // `ics/img/<calendar>/<UID>`: the last data written and its SEQUENCE;
                           // `ics/rdate/<calendar>/<UID>`: a master's RDATE instants
  std::string Key(const char* kind, const std::string& uid) const {
    return std::string("ics/") + kind + "/" + context_.owner.user_id + "/" + uid;
  }
};

}  // namespace

Translation TranslateIcs(std::string_view input, const CalendarContext& context) {
  Translation out;
  auto roots = Parse(input);
  IcsTranslator translator(context, out);
  size_t calendars = 0;
  // Components written without their VCALENDAR (a bare VEVENT) are read as one calendar's.
  Component loose;
  loose.name = "VCALENDAR";
  for (auto& root : roots) {
    if (root->name == "VCALENDAR") {
      translator.Calendar(*root, calendars++);
    } else {
      loose.children.push_back(std::move(root));
    }
  }
  if (!loose.children.empty()) translator.Calendar(loose, calendars++);
  if (roots.empty()) out.Refuse("$", "unrecognized_input", "no BEGIN:VCALENDAR or BEGIN:VEVENT", input);
  return out;
}

}  // namespace huntline::connectors
