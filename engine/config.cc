#include "engine/config.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "calendar/recurrence.h"

namespace huntline::engine {
namespace {

using nlohmann::json;

/// Reads one JSON object's fields into a Config, recording the first problem with its path.
class Reader {
 public:
  Reader(const json& object, std::string path, std::string* error)
      : object_(object), path_(std::move(path)), error_(error) {}

  /// Refuses fields this object does not define.
  void Only(std::initializer_list<const char*> known) {
    if (!error_->empty()) return;
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& [key, value] : object_.items()) {
      if (!names.contains(key)) {
        Fail(key, "unknown field (known: " + Join(known) + ")");
        return;
      }
    }
  }

  void String(const char* key, std::string* out, bool allow_empty = false) {
    if (const json* v = Find(key)) {
      if (!v->is_string()) return Fail(key, "must be a string");
      if (!allow_empty && v->get<std::string>().empty()) return Fail(key, "must not be empty");
      *out = v->get<std::string>();
    }
  }
  void Int(const char* key, int* out, int min, int max) {
    if (const json* v = Find(key)) {
      if (!v->is_number_integer()) return Fail(key, "must be a whole number");
      const auto n = v->get<int64_t>();
      if (n < min || n > max) {
        return Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      }
      *out = static_cast<int>(n);
    }
  }
  void Bool(const char* key, bool* out) {
    if (const json* v = Find(key)) {
      if (!v->is_boolean()) return Fail(key, "must be true or false");
      *out = v->get<bool>();
    }
  }
  void StringMap(const char* key, std::map<std::string, std::string>* out) {
    if (const json* v = Find(key)) {
      if (!v->is_object()) return Fail(key, "must be an object of string values");
      for (const auto& [k, value] : v->items()) {
        if (value.is_string()) {
          (*out)[k] = value.get<std::string>();
        } else if (value.is_number() || value.is_boolean()) {
          (*out)[k] = value.dump();
        } else {
          return Fail(std::string(key) + "." + k, "must be a string, number or boolean");
        }
      }
    }
  }
  /// A non-empty array of non-empty strings.
  void Strings(const char* key, std::vector<std::string>* out) {
    if (const json* v = Find(key)) {
      if (!v->is_array() || v->empty()) return Fail(key, "must be a non-empty array of strings");
      for (const auto& item : *v) {
        if (!item.is_string() || item.get<std::string>().empty()) {
          return Fail(key, "must be a non-empty array of strings");
        }
        out->push_back(item.get<std::string>());
      }
    }
  }
  /// A nested array, or nullptr when absent (or after an error).
  const json* Array(const char* key) {
    const json* v = Find(key);
    if (v && !v->is_array()) {
      Fail(key, "must be an array");
      return nullptr;
    }
    return v;
  }
  bool failed() const { return !error_->empty(); }
  void FailField(const std::string& key, const std::string& message) { Fail(key, message); }
  /// A nested object, or nullptr when absent (or after an error).
  const json* Object(const char* key) {
    const json* v = Find(key);
    if (v && !v->is_object()) {
      Fail(key, "must be an object");
      return nullptr;
    }
    return v;
  }
  std::string Path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  const json* Find(const char* key) {
    if (!error_->empty()) return nullptr;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  void Fail(const std::string& key, const std::string& message) {
    if (error_->empty()) *error_ = (path_.empty() ? key : path_ + "." + key) + ": " + message;
  }
  static std::string Join(std::initializer_list<const char*> names) {
    std::string out;
    for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }

  const json& object_;
  std::string path_;
  std::string* error_;
};

/// `HH:MM` as minutes after midnight (24:00 allowed, for an end).
std::optional<int> ParseClock(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const int h = std::stoi(text.substr(0, 2)), m = std::stoi(text.substr(3, 2));
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

void ReadProtectedTime(const json& object, processors::Settings* settings, std::string* error) {
  Reader r(object, "protected_time", error);
  r.Only({"allowed_lateness_minutes", "upcoming_conflict_days", "company_domains", "policies"});
  int lateness = 60;
  r.Int("allowed_lateness_minutes", &lateness, 0, 7 * 24 * 60);
  settings->allowed_lateness = static_cast<Timestamp>(lateness) * kMillisPerMinute;
  r.Int("upcoming_conflict_days", &settings->upcoming_conflict_days, 1, 365);
  std::vector<std::string> domains;
  r.Strings("company_domains", &domains);
  for (std::string& d : domains) {
    for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    settings->company_domains.push_back(d);
  }
  const json* policies = r.Array("policies");
  if (!policies) return;
  for (size_t i = 0; i < policies->size() && error->empty(); ++i) {
    const std::string path = "protected_time.policies[" + std::to_string(i) + "]";
    if (!(*policies)[i].is_object()) {
      *error = path + ": must be an object";
      return;
    }
    Reader p((*policies)[i], path, error);
    p.Only({"name", "teams", "rrule", "start", "end", "since"});
    processors::ProtectedTimePolicy policy;
    policy.name = "policy-" + std::to_string(i + 1);
    p.String("name", &policy.name);
    p.Strings("teams", &policy.teams);
    p.String("rrule", &policy.rule);
    std::string start, end, since;
    p.String("start", &start);
    p.String("end", &end);
    p.String("since", &since);
    if (p.failed()) return;
    if (policy.teams.empty()) return p.FailField("teams", "is required");
    if (policy.rule.empty()) return p.FailField("rrule", "is required");
    if (Status s = calendar::CheckRule(policy.rule); !s.ok()) return p.FailField("rrule", s.message());
    const auto start_minute = ParseClock(start), end_minute = ParseClock(end);
    if (!start_minute) return p.FailField("start", "must be a local time HH:MM");
    if (!end_minute || *end_minute <= *start_minute) {
      return p.FailField("end", "must be a local time HH:MM after start");
    }
    policy.start_minute = *start_minute;
    policy.end_minute = *end_minute;
    if (since.empty()) return p.FailField("since", "is required (YYYY-MM-DD, the first day)");
    const auto day = ParseDate(since);
    if (!day) return p.FailField("since", "must be a date YYYY-MM-DD");
    policy.since = *day;
    for (const auto& other : settings->policies) {
      if (other.name == policy.name) return p.FailField("name", "\"" + policy.name + "\" is used twice");
    }
    settings->policies.push_back(std::move(policy));
  }
}

}  // namespace

Result<Config> ParseConfig(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // A syntax error, and also a number too large for a double (`1e999`: out_of_range).
    return Status::Error(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) return Status::Error(origin + ": must be a JSON object");
  Config c;
  std::string error;
  Reader root(doc, "", &error);
  root.Only({"kafka", "topics", "state_dir", "listen", "web_config_file", "batch", "freshness_ms",
             "publish_interval_ms", "order_wait_ms",
             "fiscal_year_start_month", "thresholds", "engine_time", "protected_time", "privacy", "limits", "rocksdb"});
  if (const json* kafka = root.Object("kafka")) {
    Reader r(*kafka, "kafka", &error);
    r.Only({"brokers", "group_id", "dead_letter_topic", "properties", "rebuild_from_earliest",
            "key_partitioner", "changelog", "changelog_replication_factor", "num_standby_replicas"});
    r.String("brokers", &c.kafka.brokers);
    r.String("group_id", &c.kafka.group_id);
    r.String("dead_letter_topic", &c.kafka.dead_letter_topic);
    r.StringMap("properties", &c.kafka.properties);
    r.Bool("rebuild_from_earliest", &c.kafka.rebuild_from_earliest);
    r.Bool("changelog", &c.kafka.changelog);
    r.Int("changelog_replication_factor", &c.kafka.changelog_replication_factor, -1, 32);
    if (c.kafka.changelog_replication_factor == 0 && error.empty()) {
      error = "kafka.changelog_replication_factor: must be -1 (the brokers' default) or 1 to 32";
    }
    r.Int("num_standby_replicas", &c.kafka.num_standby_replicas, 0, 32);
    if (c.kafka.num_standby_replicas > 0 && !c.kafka.changelog && error.empty()) {
      error = "kafka.num_standby_replicas: standby copies follow the changelogs; kafka.changelog is false";
    }
    std::string partitioner = "murmur2";
    r.String("key_partitioner", &partitioner);
    if (partitioner == "crc32") {
      c.kafka.key_partitioner = KeyPartitioner::kCrc32;
    } else if (partitioner != "murmur2" && error.empty()) {
      error = "kafka.key_partitioner: must be \"murmur2\" or \"crc32\"";
    }
  }
  if (const json* topics = root.Object("topics")) {
    Reader r(*topics, "topics", &error);
    r.Only({"org", "crm", "people", "history"});
    r.String("org", &c.topics.org);
    r.String("crm", &c.topics.crm);
    r.String("people", &c.topics.people);
    r.String("history", &c.topics.history);
  }
  root.String("state_dir", &c.state_dir);
  root.String("listen", &c.listen);
  root.String("web_config_file", &c.web_config_file);
  if (const json* batch = root.Object("batch")) {
    Reader r(*batch, "batch", &error);
    r.Only({"max_events", "max_wait_ms"});
    r.Int("max_events", &c.batch_max_events, 1, 1000000);
    r.Int("max_wait_ms", &c.batch_max_wait_ms, 1, 60000);
  }
  root.Int("publish_interval_ms", &c.publish_interval_ms, 0, 60000);
  root.Int("freshness_ms", &c.freshness_ms, 4, 60000);
  root.Int("order_wait_ms", &c.order_wait_ms, 0, 60000);
  std::string engine_time = "wall_clock";
  root.String("engine_time", &engine_time);
  if (engine_time == "event_time") {
    c.event_time = true;
  } else if (engine_time != "wall_clock" && error.empty()) {
    error = "engine_time: must be \"wall_clock\" or \"event_time\"";
  }
  int start_month = 1;
  root.Int("fiscal_year_start_month", &start_month, 1, 12);
  c.settings.fiscal = FiscalCalendar(start_month);
  if (const json* thresholds = root.Object("thresholds")) {
    Reader r(*thresholds, "thresholds", &error);
    r.Only({"lost_deal_followup_days", "cold_after_days", "not_interested_days",
            "target_touched_days", "target_engaged_days", "stale_deal_days", "org_history_days",
            "max_time_jump_days", "dedup_window_days"});
    r.Int("lost_deal_followup_days", &c.settings.lost_deal_followup_days, 1, 36500);
    r.Int("cold_after_days", &c.settings.cold_after_days, 1, 36500);
    r.Int("not_interested_days", &c.settings.not_interested_days, 1, 36500);
    r.Int("target_touched_days", &c.settings.target_touched_days, 1, 36500);
    r.Int("target_engaged_days", &c.settings.target_engaged_days, 1, 36500);
    r.Int("stale_deal_days", &c.settings.stale_deal_days, 1, 36500);
    r.Int("org_history_days", &c.settings.org_history_days, 1, 36500);
    r.Int("max_time_jump_days", &c.settings.max_time_jump_days, 1, 36500);
    r.Int("dedup_window_days", &c.settings.dedup_window_days, 0, 36500);
  }
  if (const json* rocksdb = root.Object("rocksdb")) {
    Reader r(*rocksdb, "rocksdb", &error);
    r.Only({"block_cache_mb", "write_buffer_mb"});
    r.Int("block_cache_mb", &c.rocksdb_block_cache_mb, 1, 1 << 20);
    r.Int("write_buffer_mb", &c.rocksdb_write_buffer_mb, 2, 1 << 20);
  }
  if (const json* limits = root.Object("limits")) {
    Reader r(*limits, "limits", &error);
    r.Only({"max_series_per_family", "org_cache_entries", "state_cache_entries", "read_ahead_messages"});
    r.Int("read_ahead_messages", &c.read_ahead_messages, 100, 10000000);
    r.Int("max_series_per_family", &c.settings.max_series_per_family, 1, 100000000);
    r.Int("org_cache_entries", &c.org_cache_entries, 1, 100000000);
    r.Int("state_cache_entries", &c.state_cache_entries, 1, 100000000);
  }
  if (const json* privacy = root.Object("privacy")) {
    Reader r(*privacy, "privacy", &error);
    r.Only({"min_group_size", "per_person_reports", "pseudonym_key", "per_person_metrics"});
    r.Int("min_group_size", &c.privacy.min_group_size, 1, 1000);
    r.Bool("per_person_reports", &c.privacy.per_person_reports);
    r.String("pseudonym_key", &c.privacy.pseudonym_key);
    std::string per_person = "on";
    r.String("per_person_metrics", &per_person);
    if (per_person == "pseudonymized") {
      c.privacy.per_person_metrics = metrics::PerPerson::kPseudonymized;
      if (c.privacy.pseudonym_key.empty() && error.empty()) {
        error = "privacy.pseudonym_key: required when privacy.per_person_metrics is \"pseudonymized\"";
      }
    } else if (per_person == "off") {
      c.privacy.per_person_metrics = metrics::PerPerson::kOff;
    } else if (per_person != "on" && error.empty()) {
      error = "privacy.per_person_metrics: must be \"on\", \"pseudonymized\" or \"off\"";
    }
  }
  if (const json* protected_time = root.Object("protected_time")) {
    ReadProtectedTime(*protected_time, &c.settings, &error);
  }
  if (error.empty() && (c.topics.org == c.topics.crm || c.topics.org == c.topics.people ||
                        c.topics.crm == c.topics.people)) {
    error = "topics: org, crm and people must be three different topics";
  }
  if (error.empty() && (c.topics.history == c.topics.org || c.topics.history == c.topics.crm ||
                        c.topics.history == c.topics.people)) {
    error = "topics.history: must not be an input topic";
  }
  if (!error.empty()) return Status::Error(origin + ": " + error);
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read configuration file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace huntline::engine
