#include "connectors/salesforce_cdc.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "calendar/recurrence.h"
#include "connectors/json_input.h"
#include "connectors/values.h"

namespace huntline::connectors {
namespace {

enum class Shape { kPubSub, kCometD, kKafkaConnect };

/// A change event as read: its header, its fields in the order written, and where it was.
struct Change {
  Shape shape = Shape::kPubSub;
  const Json* payload = nullptr;
  std::string locator;
  std::string entity;
  std::string type;  // changeType
  std::string transaction;
  int64_t sequence = 0;
  Timestamp time = kNoTime;
  std::string commit_user;
  std::vector<std::string> records;
  Json version;  // {n: commitNumber (else commitTimestamp), tx: transactionKey, seq}: the org's order of changes
};

/// Epoch ms, an ISO time (`2024-04-26T17:49:39.000+0000` too), or none.
std::optional<Timestamp> InstantOf(const Json& value) {
  if (value.is_number()) return value.get<Timestamp>();
  if (!value.is_string()) return std::nullopt;
  std::string text = value.get<std::string>();
  if (text.size() > 5 && (text[text.size() - 5] == '+' || text[text.size() - 5] == '-') &&
      text.find(':', text.size() - 5) == std::string::npos) {
    text.insert(text.size() - 2, ":");
  }
  return ParseRfc3339(text);
}

/// A date: epoch ms at midnight UTC, days since 1970 (Kafka Connect), or `YYYY-MM-DD`.
std::optional<Day> DateOf(const Json& value) {
  if (value.is_number()) {
    const int64_t n = value.get<int64_t>();
    if (n > -100000 && n < 100000) return static_cast<Day>(n);  // days (Connect's Date)
    return DayOf(n);
  }
  if (!value.is_string()) return std::nullopt;
  return ParseDate(value.get<std::string>().substr(0, 10));
}

std::string Text(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool Flag(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

/// The bits set in a `0x…` bitmap, least significant first; none when it is not hexadecimal.
std::optional<std::vector<size_t>> Bits(std::string_view hex) {
  std::vector<size_t> out;
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(hex[hex.size() - 1 - i])));
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    const int v = c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;
    for (int b = 0; b < 4; ++b) {
      if (v & (1 << b)) out.push_back(i * 4 + static_cast<size_t>(b));
    }
  }
  return out;
}

class SalesforceTranslator {
 public:
  SalesforceTranslator(const Mapping& mapping, ConnectorState& state, Translation& out)
      : mapping_(mapping), state_(state), out_(out), config_(mapping.node("salesforce")) {
    const YAML::Node org = config_["org"];
    source_ = org && !org.IsNull() ? "salesforce/" + org.as<std::string>() : "salesforce";
    for (const auto& object : config_["objects"]) objects_.insert(object.as<std::string>());
  }

  void Message(const Json& value, const std::string& locator) {
    Change change;
    if (value.is_object() && value.contains("ChangeEventHeader")) {
      change.payload = &value;
      change.locator = locator;
      change.shape = value.contains("_ObjectType") ? Shape::kKafkaConnect : Shape::kPubSub;
    } else if (value.is_object() && value.contains("data") && value["data"].is_object() &&
               value["data"].contains("payload") && value["data"]["payload"].contains("ChangeEventHeader")) {
      change.payload = &value["data"]["payload"];
      change.locator = locator + ".data.payload";
      change.shape = Shape::kCometD;
    } else if (value.is_object() && value.contains("payload") && value["payload"].is_object() &&
               value["payload"].contains("ChangeEventHeader")) {
      change.payload = &value["payload"];
      change.locator = locator + ".payload";
      change.shape = Shape::kKafkaConnect;
    } else {
      out_.Refuse(locator, "unrecognized_input",
                  "not a Salesforce change event: a Pub/Sub API event (ChangeEventHeader and fields), a "
                  "Streaming API message (data.payload) or a Kafka Connect record (payload)",
                  value.dump());
      return;
    }
    const Json& header = (*change.payload)["ChangeEventHeader"];
    change.entity = Str(header, "entityName");
    if (change.entity.empty() && change.payload->contains("_ObjectType")) {
      change.entity = Str(*change.payload, "_ObjectType");
      if (change.entity.ends_with("ChangeEvent")) change.entity.resize(change.entity.size() - 11);
    }
    change.type = Str(header, "changeType");
    change.transaction = Str(header, "transactionKey");
    change.sequence = header.value("sequenceNumber", int64_t{0});
    change.commit_user = Str(header, "commitUser");
    change.version = {{"n", header.contains("commitNumber") ? header["commitNumber"] : header.value("commitTimestamp", Json(0))},
                      {"tx", change.transaction},
                      {"seq", change.sequence}};
    for (const Json& id : header.value("recordIds", Json::array())) {
      if (id.is_string()) change.records.push_back(id.get<std::string>());
    }
    const std::string record = change.payload->dump();
    auto time = InstantOf(header.value("commitTimestamp", Json()));
    if (!time) return out_.Refuse(change.locator, "missing_required", "ChangeEventHeader.commitTimestamp", record);
    change.time = *time;
    if (!objects_.contains(change.entity)) {
      return out_.Refuse(change.locator, "unmapped_entity",
                         "entity " + change.entity + " is not in salesforce.objects: map it or stop subscribing "
                         "to its change events", record);
    }
    if (change.type == "GAP_OVERFLOW") {
      return out_.Refuse(change.locator, "resync_required",
                         "GAP_OVERFLOW: more changes of " + change.entity + " than Salesforce could send; re-read "
                         "every " + change.entity + " record and translate the reads", record);
    }
    if (change.records.empty()) {
      return out_.Refuse(change.locator, "missing_required", "ChangeEventHeader.recordIds is empty", record);
    }
    for (const std::string& id : change.records) Record(change, id, record);
  }

 private:
  void Refuse(const Change& change, const std::string& id, const char* reason, std::string detail,
              const std::string& record) {
    out_.Refuse(change.locator + "/" + id, reason, std::move(detail), record);
  }

  /// One record of a change event.
  void Record(const Change& change, const std::string& id, const std::string& record) {
    const std::string image_key = "sf/img/" + change.entity + "/" + id;
    if (change.type.starts_with("GAP_")) {
      return Refuse(change, id, "resync_required",
                    change.type + ": the change was not captured; re-read " + change.entity + " " + id +
                        " and translate the read", record);
    }
    if (change.type == "DELETE") return Delete(change, id, record);
    Json image;
    auto held = state_.Get(image_key);
    if (held && held->contains("_version") && !Newer(change.version, (*held)["_version"])) {
      ++out_.skipped;  // a redelivery, or a change the image already has
      return;
    }
    if (change.type == "CREATE" || change.type == "UNDELETE") {
      image = Fields(*change.payload);
    } else if (change.type == "UPDATE") {
      std::string error;
      Json changes = Changed(change, &error);
      if (!error.empty()) return Refuse(change, id, "bitmap_unresolvable", error, record);
      if (!held) {
        if (!MapsAny(change.entity, changes)) {
          ++out_.skipped;
          return;
        }
        return Refuse(change, id, "missing_state",
                      "an UPDATE carries only what changed, and no full image of " + change.entity + " " + id +
                          " is held: translate a full read of it (or its CREATE) first", record);
      }
      image = *held;
      Merge(image, changes);
    } else {
      return Refuse(change, id, "invalid_value", "changeType \"" + change.type + "\"", record);
    }
    image["_version"] = change.version;
    state_.Put(image_key, image);
    Map(change, id, image, record);
  }

  /// Whether change version `a` comes after `b`: a later commit, or a later change of the same
  /// transaction (another transaction at the same point is applied too).
  static bool Newer(const Json& a, const Json& b) {
    if (!a.is_object() || !b.is_object()) return true;
    const Json& an = a["n"];
    const Json& bn = b["n"];
    if (an != bn) {
      if (an.is_number_unsigned() && bn.is_number_unsigned()) return an.get<uint64_t>() > bn.get<uint64_t>();
      return an.is_number() && bn.is_number() ? an.get<double>() > bn.get<double>() : true;
    }
    if (a["tx"] != b["tx"]) return true;
    return a.value("seq", int64_t{0}) > b.value("seq", int64_t{0});
  }

  /// The fields of a payload (the header left out).
  static Json Fields(const Json& payload) {
    Json fields = Json::object();
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      if (it.key() != "ChangeEventHeader") fields[it.key()] = it.value();
    }
    return fields;
  }

  /// What an UPDATE changed: field → its new value (null: cleared), compound fields by sub-field.
  Json Changed(const Change& change, std::string* error) const {
    const Json& header = (*change.payload)["ChangeEventHeader"];
    const Json& payload = *change.payload;
    Json out = Json::object();
    std::vector<std::string> keys;
    for (auto it = payload.begin(); it != payload.end(); ++it) keys.push_back(it.key());
    auto apply = [&](const char* list, bool nulled) {
      for (const Json& entry : header.value(list, Json::array())) {
        if (!entry.is_string()) continue;
        const std::string text = entry.get<std::string>();
        const bool bitmap = text.starts_with("0x") || (text.find("-0x") != std::string::npos && std::isdigit(text[0]));
        if (!bitmap) {  // a field name (CometD, Kafka Connect); `Compound.Sub` for a sub-field
          const size_t dot = text.find('.');
          if (dot != std::string::npos) {
            const std::string parent = text.substr(0, dot), sub = text.substr(dot + 1);
            const Json& whole = payload.contains(parent) ? payload[parent] : Json();
            const Json value = nulled || !whole.is_object() ? Json() : whole.value(sub, Json());
            out[parent][sub] = value;
          } else {
            out[text] = nulled ? Json() : payload.value(text, Json());
          }
          continue;
        }
        if (change.shape != Shape::kPubSub) {
          *error = std::string(list) + " holds a bitmap, whose fields are known only in the Avro schema's order";
          return;
        }
        const auto unresolvable = [&] {
          *error = std::string(list) + " entry \"" + text + "\" names fields the payload does not have";
        };
        const size_t dash = text.find("-0x");
        if (dash == std::string::npos) {
          auto bits = Bits(text);
          if (!bits) return unresolvable();
          for (size_t bit : *bits) {
            if (bit >= keys.size()) return unresolvable();
            if (keys[bit] != "ChangeEventHeader") out[keys[bit]] = nulled ? Json() : payload[keys[bit]];
          }
        } else {
          const std::string index = text.substr(0, dash);
          if (index.empty() || index.size() > 6 || !std::all_of(index.begin(), index.end(), ::isdigit)) return unresolvable();
          const size_t field = std::stoul(index);
          if (field >= keys.size()) return unresolvable();
          const Json& compound = payload[keys[field]];
          if (!compound.is_object()) {  // the compound field itself was set or cleared whole
            out[keys[field]] = nulled ? Json() : compound;
            continue;
          }
          std::vector<std::string> subs;
          for (auto it = compound.begin(); it != compound.end(); ++it) subs.push_back(it.key());
          auto bits = Bits(text.substr(dash + 1));
          if (!bits) return unresolvable();
          for (size_t bit : *bits) {
            if (bit >= subs.size()) return unresolvable();
            out[keys[field]][subs[bit]] = nulled ? Json() : compound[subs[bit]];
          }
        }
      }
    };
    const bool has_names = header.contains("changedFields") && !header["changedFields"].empty();
    if (has_names || change.shape == Shape::kPubSub) {
      apply("changedFields", false);
    } else {  // CometD without changedFields: the payload holds only what changed
      for (auto it = payload.begin(); it != payload.end(); ++it) {
        if (it.key() != "ChangeEventHeader") out[it.key()] = it.value();
      }
    }
    if (error->empty()) apply("nulledFields", true);
    return out;
  }

  static void Merge(Json& image, const Json& changes) {
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      if (it.value().is_object() && image.contains(it.key()) && image[it.key()].is_object()) {
        for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) image[it.key()][sub.key()] = sub.value();
      } else {
        image[it.key()] = it.value();
      }
    }
  }

  /// Whether a change touches a field the entity's mapping reads.
  bool MapsAny(const std::string& entity, const Json& changes) const {
    static const std::map<std::string, std::vector<std::string>> kRead = {
        {"Account", {"Name", "Website", "Type", "OwnerId"}},
        {"Contact", {"AccountId", "Email"}},
        {"Lead", {"ConvertedAccountId", "OwnerId", "LeadSource", "Status", "IsConverted"}},
        {"Opportunity", {"AccountId", "OwnerId", "Type", "LeadSource", "StageName", "Amount", "CloseDate", "CreatedDate"}},
        {"Task", {"Status", "IsClosed", "OwnerId", "AccountId", "WhoId", "WhatId", "TaskSubtype", "CallType",
                  "CallDisposition", "CallDurationInSeconds", "CompletedDateTime"}},
        {"Event", {"Subject", "ActivityDateTime", "DurationInMinutes", "StartDateTime", "EndDateTime", "ActivityDate",
                   "IsAllDayEvent", "ShowAs", "OwnerId", "Type", "Recurrence2PatternText", "RecurrenceTimeZoneSidKey"}},
        {"EventRelation", {"Status", "IsInvitee", "RelationId", "EventId"}}};
    std::vector<std::string> fields;
    if (auto it = kRead.find(entity); it != kRead.end()) fields = it->second;
    for (const char* custom : {"domains_field", "icp_tier_field", "target_of_field", "buying_role_field", "account_field",
                               "disqualify_reason_field", "loss_reason_field", "customer_priority_field",
                               "customer_must_have_date_field", "effort_minutes_field"}) {
      for (const char* section : {"account", "contact", "lead", "opportunity", "task"}) {
        const YAML::Node field = config_[section][custom];
        if (field && !field.IsNull()) fields.push_back(field.as<std::string>());
      }
    }
    return std::any_of(fields.begin(), fields.end(), [&](const std::string& f) { return changes.contains(f); });
  }

  std::string User(const std::string& native) const {
    if (const Person* person = mapping_.FindById(IdSystem::kSalesforce, native)) return person->user_id;
    return "salesforce:" + native;
  }

  /// A picklist value through `table` (a config node); `when_empty` for an empty one.
  std::optional<std::string> Picklist(const YAML::Node& table, const std::string& value, const YAML::Node& when_empty) {
    if (value.empty()) return when_empty && !when_empty.IsNull() ? std::optional(when_empty.as<std::string>()) : std::nullopt;
    const YAML::Node mapped = table[value];
    if (!mapped || mapped.IsNull()) return std::nullopt;
    return mapped.as<std::string>();
  }

  std::string EventId(const Change& change, const std::string& id) const {
    return change.transaction + ":" + std::to_string(change.sequence) + ":" + id;
  }

  /// Writes the event unless its data equals the last written for the same record.
  void Emit(const Change& change, const std::string& id, std::string_view type, const std::string& key, Json data,
            const std::string& suffix = "") {
    const std::string written_key = "sf/out/" + std::string(type) + "/" + id + suffix;
    if (!state_.Replace(written_key, data)) {
      ++out_.skipped;
      return;
    }
    out_.events.push_back(MakeEvent(EventId(change, id) + suffix, source_, type, change.time, key, std::move(data)));
  }

  void Map(const Change& change, const std::string& id, const Json& image, const std::string& record) {
    auto refuse = [&](const char* reason, std::string detail) { Refuse(change, id, reason, std::move(detail), record); };
    const std::string& entity = change.entity;
    if (entity == "Account") {
      const YAML::Node config = config_["account"];
      Json data;
      data["account_id"] = id;
      data["name"] = Text(image, "Name");
      data["domains"] = Domains(image, config);
      auto relationship = Picklist(config["relationship_by_type"], Text(image, "Type"), config["relationship_when_empty"]);
      if (!relationship) return refuse("unmapped_value", "Account.Type \"" + Text(image, "Type") + "\": add it to salesforce.account.relationship_by_type");
      data["relationship"] = *relationship;
      if (!Text(image, "OwnerId").empty()) data["owner_id"] = User(Text(image, "OwnerId"));
      data["icp_tier"] = "none";
      if (const YAML::Node field = config["icp_tier_field"]; field && !field.IsNull()) {
        const YAML::Node tier = config["icp_tier_by_value"][Text(image, field.as<std::string>().c_str())];
        if (tier && !tier.IsNull()) data["icp_tier"] = tier.as<std::string>();
      }
      Json targets = Json::array();
      if (const YAML::Node field = config["target_of_field"]; field && !field.IsNull()) {
        for (const std::string& who : Split(Text(image, field.as<std::string>().c_str()), ";")) {
          const Person* person = mapping_.FindCalendar(who);
          targets.push_back(person ? person->user_id : User(who));
        }
      }
      data["target_of"] = std::move(targets);
      return Emit(change, id, "crm.account.upserted", id, std::move(data));
    }
    if (entity == "Contact") {
      const YAML::Node config = config_["contact"];
      const std::string account = Text(image, "AccountId");
      if (account.empty()) return refuse("missing_required", "Contact.AccountId is empty: a contact without an account has no place in the contract");
      Json data;
      data["contact_id"] = id;
      data["account_id"] = account;
      if (!Text(image, "Email").empty()) data["email"] = Lower(Text(image, "Email"));
      std::string role = "unknown";
      if (const YAML::Node field = config["buying_role_field"]; field && !field.IsNull()) {
        const YAML::Node mapped = config["buying_role_by_value"][Text(image, field.as<std::string>().c_str())];
        if (mapped && !mapped.IsNull()) role = mapped.as<std::string>();
      }
      data["buying_role"] = role;
      return Emit(change, id, "crm.contact.upserted", id, std::move(data));
    }
    if (entity == "Lead") {
      const YAML::Node config = config_["lead"];
      Json data;
      data["lead_id"] = id;
      const std::string account_field = config["account_field"] ? config["account_field"].as<std::string>() : "ConvertedAccountId";
      const std::string account = Text(image, account_field.c_str());
      if (!account.empty()) data["account_id"] = account;
      if (Text(image, "OwnerId").empty()) return refuse("missing_required", "Lead.OwnerId");
      data["owner_id"] = User(Text(image, "OwnerId"));
      auto source = Picklist(config["source_by_value"], Text(image, "LeadSource"), config["source_when_empty"]);
      if (!source) return refuse("unmapped_value", "Lead.LeadSource \"" + Text(image, "LeadSource") + "\": add it to salesforce.lead.source_by_value");
      data["source"] = *source;
      std::optional<std::string> status = Flag(image, "IsConverted") ? std::optional<std::string>("converted")
                                                                       : Picklist(config["status_by_value"], Text(image, "Status"), YAML::Node());
      if (!status) return refuse("unmapped_value", "Lead.Status \"" + Text(image, "Status") + "\": add it to salesforce.lead.status_by_value");
      data["status"] = *status;
      if (const YAML::Node field = config["disqualify_reason_field"]; field && !field.IsNull()) {
        const std::string reason = Text(image, field.as<std::string>().c_str());
        if (!reason.empty()) data["disqualify_reason"] = reason;
      }
      return Emit(change, id, "crm.lead.upserted", account.empty() ? "lead:" + id : account, std::move(data));
    }
    if (entity == "Opportunity") return Opportunity(change, id, image, refuse);
    if (entity == "Task") return Task(change, id, image, refuse);
    if (entity == "Event") return Event(change, id, image, refuse);
    if (entity == "EventRelation") return Relation(change, id, image, refuse);
    ++out_.skipped;
  }

  template <typename RefuseFn>
  void Opportunity(const Change& change, const std::string& id, const Json& image, RefuseFn refuse) {
    const YAML::Node config = config_["opportunity"];
    const std::string account = Text(image, "AccountId");
    if (account.empty()) return refuse("missing_required", "Opportunity.AccountId");
    Json data;
    data["opportunity_id"] = id;
    data["account_id"] = account;
    if (Text(image, "OwnerId").empty()) return refuse("missing_required", "Opportunity.OwnerId");
    data["owner_id"] = User(Text(image, "OwnerId"));
    auto type = Picklist(config["type_by_value"], Text(image, "Type"), config["type_when_empty"]);
    if (!type) return refuse("unmapped_value", "Opportunity.Type \"" + Text(image, "Type") + "\": add it to salesforce.opportunity.type_by_value");
    data["type"] = *type;
    auto origin = Picklist(config["origin_by_lead_source"], Text(image, "LeadSource"), config["origin_when_empty"]);
    if (!origin) return refuse("unmapped_value", "Opportunity.LeadSource \"" + Text(image, "LeadSource") + "\": add it to salesforce.opportunity.origin_by_lead_source");
    data["origin"] = *origin;
    auto stage = Picklist(config["stage_by_name"], Text(image, "StageName"), YAML::Node());
    if (!stage) return refuse("unmapped_value", "Opportunity.StageName \"" + Text(image, "StageName") + "\": add it to salesforce.opportunity.stage_by_name");
    data["stage"] = *stage;
    const Json amount = image.value("Amount", Json());
    double value = 0;
    if (amount.is_number()) value = amount.get<double>();
    if (amount.is_string() && !amount.get<std::string>().empty()) {
      auto parsed = ParseNumber(amount.get<std::string>());
      if (!parsed) return refuse("invalid_value", "Amount \"" + amount.get<std::string>() + "\" is not a number");
      value = *parsed;
    }
    data["amount"] = Amount(value);
    auto close = DateOf(image.value("CloseDate", Json()));
    if (!close) return refuse("missing_required", "Opportunity.CloseDate");
    data["close_date"] = FormatDate(*close);
    auto created = InstantOf(image.value("CreatedDate", Json()));
    if (!created) return refuse("missing_required", "Opportunity.CreatedDate");
    data["created_at"] = FormatRfc3339(*created);
    if (*stage == "closed_lost") {
      if (const YAML::Node field = config["loss_reason_field"]; field && !field.IsNull()) {
        const std::string reason = Text(image, field.as<std::string>().c_str());
        if (!reason.empty()) {
          const YAML::Node mapped = config["loss_reason_by_value"][reason];
          data["loss_reason"] = mapped && !mapped.IsNull() ? mapped.as<std::string>() : "other";
        }
      }
    }
    if (const YAML::Node field = config["customer_priority_field"]; field && !field.IsNull()) {
      data["customer_priority"] = Flag(image, field.as<std::string>().c_str());
    }
    if (const YAML::Node field = config["customer_must_have_date_field"]; field && !field.IsNull()) {
      if (auto day = DateOf(image.value(field.as<std::string>(), Json()))) data["customer_must_have_date"] = FormatDate(*day);
    }
    Emit(change, id, "crm.opportunity.upserted", account, std::move(data));
  }

  template <typename RefuseFn>
  void Task(const Change& change, const std::string& id, const Json& image, RefuseFn refuse) {
    const YAML::Node config = config_["task"];
    bool completed = Flag(image, "IsClosed");
    for (const auto& status : config["completed_statuses"]) {
      if (status.as<std::string>() == Text(image, "Status")) completed = true;
    }
    const std::string owner = Text(image, "OwnerId");
    const std::string who = Text(image, "WhoId");
    const std::string account = Text(image, "AccountId");
    if (change.type == "CREATE" && !completed && !owner.empty() && owner != Text(image, "CreatedById")) {
      Json data;
      data["task_id"] = id;
      data["assignee_id"] = User(owner);
      data["assigned_by"] = User(Text(image, "CreatedById"));
      const YAML::Node kind = config["kind_by_type"][Text(image, "Type")];
      data["kind"] = kind && !kind.IsNull() ? kind.as<std::string>() : "other";
      if (!account.empty()) data["account_id"] = account;
      if (const YAML::Node field = config["effort_minutes_field"]; field && !field.IsNull()) {
        const Json minutes = image.value(field.as<std::string>(), Json());
        if (minutes.is_number()) data["effort_minutes"] = minutes.get<int64_t>();
      }
      const std::string assignee = data["assignee_id"];
      Emit(change, id, "crm.task.assigned", assignee, std::move(data), ":assigned");
    }
    if (!completed) {
      if (change.type != "CREATE") ++out_.skipped;
      return;
    }
    if (state_.Get("sf/logged/" + id)) {  // a log entry is written once
      ++out_.skipped;
      return;
    }
    const std::string direction_value = Text(image, "CallType");
    const YAML::Node direction = config["direction_by_call_type"][direction_value];
    if (!direction_value.empty() && (!direction || direction.IsNull())) {  // Internal
      ++out_.skipped;
      return;
    }
    Json data;
    data["activity_id"] = id;
    if (owner.empty()) return refuse("missing_required", "Task.OwnerId");
    data["actor_id"] = User(owner);
    if (!account.empty()) data["account_id"] = account;
    if (who.starts_with("00Q")) data["lead_id"] = who;
    if (who.starts_with("003")) data["contact_id"] = who;
    if (Text(image, "WhatId").starts_with("006")) data["opportunity_id"] = Text(image, "WhatId");
    if (account.empty() && !who.starts_with("00Q")) {
      return refuse("missing_required", "a completed Task names neither an account nor a lead");
    }
    const YAML::Node channel = config["channel_by_subtype"][Text(image, "TaskSubtype")];
    data["channel"] = channel && !channel.IsNull() ? channel.as<std::string>() : "other";
    data["direction"] = direction_value.empty() ? "outbound" : direction.as<std::string>();
    const Json seconds = image.value("CallDurationInSeconds", Json());
    std::string outcome = seconds.is_number() && seconds.get<int64_t>() > 0 ? "connected" : "no_response";
    const std::string disposition = Lower(Text(image, "CallDisposition"));
    for (const auto& entry : config["outcome_by_call_result"]) {
      if (Lower(entry.first.as<std::string>()) == disposition) outcome = entry.second.as<std::string>();
    }
    data["outcome"] = outcome;
    if (seconds.is_number()) data["duration_s"] = seconds.get<int64_t>();
    state_.Put("sf/logged/" + id, true);
    Change at = change;
    if (auto completed_at = InstantOf(image.value("CompletedDateTime", Json()))) at.time = *completed_at;
    const std::string key = account.empty() ? "lead:" + who : account;
    out_.events.push_back(MakeEvent(EventId(change, id), source_, "crm.activity.logged", at.time, key, std::move(data)));
  }

  /// The calendar entry an Event record gives, without its attendees; none when it gives none.
  template <typename RefuseFn>
  std::optional<Json> EventData(const std::string& id, const Json& image, const std::string& commit_user, RefuseFn refuse) {
    const YAML::Node config = config_["event"];
    const std::string owner = Text(image, "OwnerId");
    if (owner.empty()) {
      refuse("missing_required", "Event.OwnerId");
      return std::nullopt;
    }
    Json data;
    data["calendar_id"] = User(owner);
    data["event_id"] = id;
    data["organizer"] = User(owner);
    data["attendees"] = Json::array();
    std::optional<Timestamp> start = InstantOf(image.value("StartDateTime", Json()));
    if (!start) start = InstantOf(image.value("ActivityDateTime", Json()));
    std::optional<Timestamp> end = InstantOf(image.value("EndDateTime", Json()));
    if (Flag(image, "IsAllDayEvent")) {  // whole days of the owner, in the owner's zone
      auto day = DateOf(image.value("ActivityDate", Json()));
      if (!day) {
        refuse("missing_required", "Event.ActivityDate of an all-day event");
        return std::nullopt;
      }
      const Person* person = mapping_.FindById(IdSystem::kSalesforce, owner);
      const std::string zone = person && !person->timezone.empty() ? person->timezone : "UTC";
      const Json minutes = image.value("DurationInMinutes", Json());
      const int64_t days = std::max<int64_t>(1, (minutes.is_number() ? minutes.get<int64_t>() : 1440) / 1440);
      auto midnight = [&](Day d) {
        const CivilDate c = CivilFromDays(d);
        return calendar::AtLocalTime({c.year, static_cast<int>(c.month), static_cast<int>(c.day)}, 0, zone);
      };
      start = midnight(*day);
      end = midnight(*day + static_cast<Day>(days));
    }
    if (!start) {
      refuse("missing_required", "Event.ActivityDateTime");
      return std::nullopt;
    }
    if (!end) {
      const Json minutes = image.value("DurationInMinutes", Json());
      end = *start + (minutes.is_number() ? minutes.get<int64_t>() : 0) * kMillisPerMinute;
    }
    data["start"] = FormatRfc3339(*start);
    data["end"] = FormatRfc3339(*end);
    auto show_as = Picklist(config["show_as_by_value"], Text(image, "ShowAs"), YAML::Node());
    data["show_as"] = show_as ? *show_as : "busy";
    const std::string title = Text(image, "Subject");
    bool is_protected = mapping_.TitleIsProtected(title);
    for (const auto& type : config["protected_types"]) {
      if (type.as<std::string>() == Text(image, "Type")) is_protected = true;
    }
    data["protected"] = is_protected;
    if (!commit_user.empty()) data["updated_by"] = User(commit_user);
    if (Text(image, "GroupEventType") == "3" && !Text(image, "Recurrence2PatternText").empty()) {
      std::string rule = Text(image, "Recurrence2PatternText");
      if (rule.starts_with("RRULE:")) rule = rule.substr(6);
      data["rrule"] = rule;
      if (!Text(image, "RecurrenceTimeZoneSidKey").empty()) data["timezone"] = Text(image, "RecurrenceTimeZoneSidKey");
    }
    if (!title.empty() && !Flag(image, "IsPrivate")) data["title"] = title;
    return data;
  }

  template <typename RefuseFn>
  void Event(const Change& change, const std::string& id, const Json& image, RefuseFn refuse) {
    if (Flag(image, "IsChild")) {  // an invitee's copy: written from the parent and its relation
      ++out_.skipped;
      return;
    }
    const std::string recurrence = Text(image, "ActivityRecurrence2Id");
    const bool series = Text(image, "GroupEventType") == "3";
    if (series && !recurrence.empty()) state_.Put("sf/series/" + recurrence, id);
    auto data = EventData(id, image, change.commit_user, refuse);
    if (!data) return;
    if (!series && !recurrence.empty()) {  // an occurrence of a series
      auto original = state_.Get("sf/occ/" + id);
      if (!original) {
        state_.Put("sf/occ/" + id, (*data)["start"]);
        if (change.type == "CREATE" && Text(image, "ActivityRecurrence2ExceptionId").empty()) {
          ++out_.skipped;  // unmodified: the series' rule makes it
          return;
        }
        original = (*data)["start"];
      }
      auto series_id = state_.Get("sf/series/" + recurrence);
      if (!series_id) {
        return refuse("missing_state", "an occurrence of recurrence " + recurrence + ", whose series record is not held: "
                                       "translate the series' Event first");
      }
      if (*original == (*data)["start"] && change.type == "CREATE") {
        ++out_.skipped;
        return;
      }
      Json moved;
      for (auto it = data->begin(); it != data->end(); ++it) {
        moved[it.key()] = it.value();
        if (it.key() == "event_id") {
          moved["series_id"] = *series_id;
          moved["original_start"] = *original;
        }
      }
      data = std::move(moved);
    }
    WriteMeeting(change, id, *data);
  }

  /// Writes an Event's entry on its owner's calendar and, for each invitee who is a user, on
  /// theirs, with the attendees its relations give.
  void WriteMeeting(const Change& change, const std::string& record_id, Json data) {
    const std::string event_id = data["event_id"];
    const Json relations = state_.Get("sf/rel/" + event_id).value_or(Json::object());
    Json attendees = Json::array();
    std::vector<std::string> invitees;
    for (auto it = relations.begin(); it != relations.end(); ++it) {
      const Json& r = it.value();
      const std::string person = Text(r, "RelationId");
      const YAML::Node status = config_["event"]["invitee_status"][Text(r, "Status")];
      if (!status || status.IsNull()) continue;  // Uninvited
      std::string who;
      if (person.starts_with("005")) {
        who = User(person);
        invitees.push_back(who);
      } else if (auto contact = state_.Get((person.starts_with("00Q") ? "sf/img/Lead/" : "sf/img/Contact/") + person)) {
        who = Lower(Text(*contact, "Email"));
      }
      if (!who.empty()) attendees.push_back(Json{{"id_or_email", who}, {"response", status.as<std::string>()}});
    }
    data["attendees"] = std::move(attendees);
    state_.Put("sf/meeting/" + event_id, data);
    const std::string owner = data["calendar_id"];
    // One record on several calendars: each event's id names its calendar.
    Emit(change, record_id, "calendar.event.upserted", owner, data, invitees.empty() ? "" : ":" + owner);
    for (const std::string& invitee : invitees) {
      Json copy = data;
      copy["calendar_id"] = invitee;
      Emit(change, record_id, "calendar.event.upserted", invitee, std::move(copy), ":" + invitee);
    }
  }

  template <typename RefuseFn>
  void Relation(const Change& change, const std::string& id, const Json& image, RefuseFn refuse) {
    if (Flag(image, "IsWhat") || !Flag(image, "IsInvitee")) {  // a related record, not a person
      ++out_.skipped;
      return;
    }
    const std::string event_id = Text(image, "EventId");
    auto meeting = state_.Get("sf/meeting/" + event_id);
    if (!meeting) {
      return refuse("missing_state", "an invitee of Event " + event_id + ", whose full image is not held: translate "
                                     "the Event's change (or a read of it) first");
    }
    Json relations = state_.Get("sf/rel/" + event_id).value_or(Json::object());
    relations[id] = Json{{"RelationId", Text(image, "RelationId")}, {"Status", Text(image, "Status")}};
    state_.Put("sf/rel/" + event_id, relations);
    Json data = *meeting;
    if (!change.commit_user.empty()) data["updated_by"] = User(change.commit_user);
    WriteMeeting(change, id, std::move(data));
    const std::string person = Text(image, "RelationId");
    const YAML::Node status = config_["event"]["invitee_status"][Text(image, "Status")];
    if ((!status || status.IsNull()) && person.starts_with("005")) {  // uninvited: their copy goes
      Json cancelled;
      cancelled["calendar_id"] = User(person);
      cancelled["event_id"] = event_id;
      if (!change.commit_user.empty()) cancelled["cancelled_by"] = User(change.commit_user);
      const std::string calendar = cancelled["calendar_id"];
      out_.events.push_back(MakeEvent(EventId(change, id) + ":" + calendar + ":cancelled", source_,
                                      "calendar.event.cancelled", change.time, calendar, std::move(cancelled)));
    }
  }

  void Delete(const Change& change, const std::string& id, const std::string& record) {
    if (change.entity == "Event") {
      if (auto image = state_.Get("sf/img/Event/" + id); image && Flag(*image, "IsChild")) {
        ++out_.skipped;  // an invitee's copy goes with its relation or its parent
        return;
      }
      auto meeting = state_.Get("sf/meeting/" + id);
      if (!meeting) {
        return Refuse(change, id, "missing_state", "a deleted Event whose calendar is not known: no image is held", record);
      }
      // Cancelled on the owner's calendar and on each invitee's.
      std::vector<std::string> calendars = {(*meeting)["calendar_id"].get<std::string>()};
      const Json relations = state_.Get("sf/rel/" + id).value_or(Json::object());
      for (auto it = relations.begin(); it != relations.end(); ++it) {
        const std::string person = Text(it.value(), "RelationId");
        const YAML::Node status = config_["event"]["invitee_status"][Text(it.value(), "Status")];
        if (!status || status.IsNull() || !person.starts_with("005")) continue;  // uninvited, or no calendar here
        if (std::find(calendars.begin(), calendars.end(), User(person)) == calendars.end()) calendars.push_back(User(person));
      }
      for (const std::string& calendar : calendars) {
        Json data;
        data["calendar_id"] = calendar;
        if (meeting->contains("series_id")) {
          data["event_id"] = (*meeting)["series_id"];
          data["original_start"] = (*meeting)["original_start"];
        } else {
          data["event_id"] = id;
        }
        if (!change.commit_user.empty()) data["cancelled_by"] = User(change.commit_user);
        const std::string suffix = calendars.size() > 1 ? ":" + calendar : "";
        out_.events.push_back(MakeEvent(EventId(change, id) + suffix, source_, "calendar.event.cancelled", change.time,
                                        calendar, std::move(data)));
      }
      return;
    }
    if (change.entity == "EventRelation") {  // the invitee leaves the meeting
      auto image = state_.Get("sf/img/EventRelation/" + id);
      if (!image) return Refuse(change, id, "missing_state", "a deleted EventRelation never read", record);
      const std::string event_id = Text(*image, "EventId");
      Json relations = state_.Get("sf/rel/" + event_id).value_or(Json::object());
      relations.erase(id);
      state_.Put("sf/rel/" + event_id, relations);
      Json uninvited = *image;
      uninvited["Status"] = "Uninvited";
      uninvited["IsInvitee"] = true;
      auto refuse = [&](const char* reason, std::string detail) { Refuse(change, id, reason, std::move(detail), record); };
      return Relation(change, id, uninvited, refuse);
    }
    Refuse(change, id, "delete_not_expressible",
           "the contract has no deletion of a " + change.entity + ": the engine keeps its last snapshot", record);
  }

  static std::vector<std::string> Split(const std::string& text, const char* separators) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
      if (std::strchr(separators, c)) {
        if (!current.empty()) out.push_back(current);
        current.clear();
      } else if (c != ' ') {
        current += c;
      }
    }
    if (!current.empty()) out.push_back(current);
    return out;
  }

  static Json Domains(const Json& image, const YAML::Node& config) {
    Json domains = Json::array();
    auto add = [&](std::string host) {
      host = Lower(host);
      if (const size_t scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
      host = host.substr(0, host.find_first_of("/?#:"));
      if (host.starts_with("www.")) host = host.substr(4);
      if (!host.empty() && std::find(domains.begin(), domains.end(), host) == domains.end()) domains.push_back(host);
    };
    if (!Text(image, "Website").empty()) add(Text(image, "Website"));
    if (const YAML::Node field = config["domains_field"]; field && !field.IsNull()) {
      for (const std::string& d : Split(Text(image, field.as<std::string>().c_str()), ",; ")) add(d);
    }
    return domains;
  }

  const Mapping& mapping_;
  ConnectorState& state_;
  Translation& out_;
  YAML::Node config_;
  std::string source_;
  std::set<std::string> objects_;
};

}  // namespace

Translation TranslateSalesforceCdc(std::string_view input, const Mapping& mapping, ConnectorState& state) {
  Translation out;
  SalesforceTranslator translator(mapping, state, out);
  ForEachJsonValue(input, out, [&](const Json& value, const std::string& locator) {
    if (value.is_array() && locator == "$") {
      size_t i = 0;
      for (const Json& element : value) {
        const std::string at = "$[" + std::to_string(i++) + "]";
        out.Record(at, element.dump(), [&] { translator.Message(element, at); });
      }
    } else {
      out.Record(locator, value.dump(), [&] { translator.Message(value, locator); });
    }
  });
  return out;
}

}  // namespace huntline::connectors
