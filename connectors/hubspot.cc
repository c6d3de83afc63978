#include "connectors/hubspot.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/json_input.h"
#include "connectors/values.h"

namespace huntline::connectors {
namespace {

/// The properties each object's mapping reads (MAPPING.md, section 3): a read must request them.
const std::map<std::string, std::vector<std::string>>& ReadProperties() {
  static const std::map<std::string, std::vector<std::string>> kRead = {
      {"company", {"name", "domain", "hs_additional_domains", "type", "lifecyclestage", "hubspot_owner_id",
                   "hs_ideal_customer_profile", "hs_is_target_account"}},
      {"contact", {"email", "lifecyclestage", "hs_lead_status", "hs_analytics_source", "hubspot_owner_id",
                   "hs_buying_role"}},
      {"deal", {"dealname", "dealstage", "dealtype", "closedate", "createdate", "hubspot_owner_id",
                "hs_analytics_source", "closed_lost_reason"}},
      {"call", {"hs_timestamp", "hubspot_owner_id", "hs_call_direction", "hs_call_disposition", "hs_call_status",
                "hs_call_duration"}},
      {"meeting", {"hs_timestamp", "hubspot_owner_id", "hs_meeting_outcome", "hs_meeting_start_time",
                   "hs_meeting_end_time", "hs_meeting_source"}},
      {"email", {"hs_timestamp", "hubspot_owner_id", "hs_email_direction"}}};
  return kRead;
}

/// A CRM object's type, from the properties it carries (v3 objects do not name their type).
std::string ObjectType(const Json& properties) {
  auto has = [&](const char* key) { return properties.contains(key); };
  auto has_prefix = [&](const char* prefix) {
    for (auto it = properties.begin(); it != properties.end(); ++it) {
      if (it.key().starts_with(prefix)) return true;
    }
    return false;
  };
  if (has("dealstage") || has("dealname")) return "deal";
  if (has_prefix("hs_call_")) return "call";
  if (has_prefix("hs_meeting_")) return "meeting";
  if (has("email") || has("firstname") || has("lastname") || has("hs_lead_status")) return "contact";
  if (has_prefix("hs_email_")) return "email";
  if (has("name") || has("domain")) return "company";
  return {};
}

/// A number written as HubSpot writes them (a string); an error when it is not one whole.
double Number(const std::string& text, const char* property) {
  auto value = ParseNumber(text);
  if (!value) throw std::invalid_argument(std::string(property) + " \"" + text + "\" is not a number");
  return *value;
}

std::string Prop(const Json& properties, const std::string& key) {
  auto it = properties.find(key);
  if (it == properties.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

/// A HubSpot time: ISO text or epoch ms (as a number or a string of digits).
std::optional<Timestamp> TimeOf(const Json& value) {
  if (value.is_number()) return value.get<Timestamp>();
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) return std::stoll(text);
  return ParseRfc3339(text);
}

class HubSpotTranslator {
 public:
  HubSpotTranslator(const Mapping& mapping, ConnectorState& state, Translation& out)
      : mapping_(mapping), state_(state), out_(out), config_(mapping.node("hubspot")) {
    const YAML::Node portal = config_["portal_id"];
    if (portal && !portal.IsNull()) portal_ = portal.as<std::string>();
  }

  void Value(const Json& value, const std::string& locator) {
    if (value.is_array() && locator == "$") {
      std::vector<std::pair<size_t, const Json*>> batch;
      for (size_t i = 0; i < value.size(); ++i) batch.emplace_back(i, &value[i]);
      // A batch in the order its changes happened.
      auto occurred = [](const Json* item) {
        auto t = item->is_object() && item->contains("occurredAt") ? TimeOf((*item)["occurredAt"]) : std::nullopt;
        return t.value_or(0);
      };
      std::stable_sort(batch.begin(), batch.end(),
                       [&](const auto& a, const auto& b) { return occurred(a.second) < occurred(b.second); });
      for (const auto& [i, item] : batch) Guarded(*item, "$[" + std::to_string(i) + "]");
    } else if (value.is_object() && value.contains("results") && value["results"].is_array()) {
      size_t i = 0;
      for (const Json& item : value["results"]) Guarded(item, locator + ".results[" + std::to_string(i++) + "]");
    } else {
      Guarded(value, locator);
    }
  }

 private:
  void Guarded(const Json& item, const std::string& locator) {
    out_.Record(locator, item.dump(), [&] { One(item, locator); });
  }

  void One(const Json& item, const std::string& locator) {
    const std::string record = item.dump();
    if (item.is_object() && (item.contains("subscriptionType") || item.contains("eventType"))) {
      return Notification(item, locator, record);
    }
    if (item.is_object() && item.contains("properties") && !item.contains("id")) {
      return out_.Refuse(locator, "not_a_record",
                         "a create request (no id, createdAt or updatedAt): translate the object HubSpot returned "
                         "for it", record);
    }
    if (!item.is_object() || !item.contains("id") || !item.contains("properties")) {
      return out_.Refuse(locator, "unrecognized_input",
                         "not a HubSpot webhook batch (an array of notifications), a CRM v3 object ({id, "
                         "properties, updatedAt}) or a response holding results", record);
    }
    const Json& properties = item["properties"];
    const std::string type = ObjectType(properties);
    if (type.empty()) return out_.Refuse(locator, "unmapped_entity", "an object that is no company, contact, deal, call, meeting or email", record);
    std::vector<std::string> missing;
    for (const std::string& key : ReadProperties().at(type)) {
      if (!properties.contains(key)) missing.push_back(key);
    }
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ",") + m;
      return out_.Refuse(locator, "incomplete_record",
                         "the " + type + " lacks properties the mapping reads; read it with properties=" + names +
                             (type == "company" ? "" : "&associations=companies,contacts"),
                         record);
    }
    if (portal_.empty()) {
      return out_.Refuse(locator, "missing_required", "hubspot.portal_id must be set to translate CRM objects", record);
    }
    const std::string id = Str(item, "id").empty() ? item["id"].dump() : Str(item, "id");
    auto updated = TimeOf(item.value("updatedAt", Json()));
    if (!updated) return out_.Refuse(locator, "missing_required", "updatedAt", record);
    Json image = {{"properties", properties}, {"updated", *updated}};
    const Json associations = item.value("associations", Json::object());
    for (const char* kind : {"companies", "contacts"}) {
      Json ids = Json::array();
      for (const Json& a : associations.value(kind, Json::object()).value("results", Json::array())) {
        ids.push_back(Str(a, "id").empty() ? a.value("id", Json()).dump() : Str(a, "id"));
      }
      if (!ids.empty()) image[kind] = std::move(ids);
    }
    const bool activity = type == "call" || type == "meeting" || type == "email";
    if (!activity) {
      auto held = state_.Get("hs/img/" + type + "/" + id);
      if (held && (*held)["updated"].get<int64_t>() > *updated) {  // an older read than what is held
        ++out_.skipped;
        return;
      }
      state_.Put("hs/img/" + type + "/" + id, image);
    }
    const std::string event_id = activity ? type + ":" + id : type + ":" + id + ":" + std::to_string(*updated);
    Map(type, id, image, "hubspot/" + portal_, event_id, *updated, locator, record);
  }

  void Notification(const Json& n, const std::string& locator, const std::string& record) {
    std::string subscription = Str(n, "subscriptionType");
    if (subscription.empty()) subscription = Str(n, "eventType");
    std::string object = subscription.substr(0, subscription.find('.'));
    if (object == "object") {  // generic subscriptions name the object by its type id
      static const std::map<std::string, std::string> kTypes = {{"0-1", "contact"}, {"0-2", "company"}, {"0-3", "deal"}};
      auto type = kTypes.find(Str(n, "objectTypeId"));
      object = type == kTypes.end() ? "object " + Str(n, "objectTypeId") : type->second;
    }
    const std::string what = subscription.substr(subscription.find('.') + 1);
    const std::string id = n.contains("objectId") ? (n["objectId"].is_string() ? n["objectId"].get<std::string>() : n["objectId"].dump()) : "";
    const std::string portal = !n.contains("portalId") ? portal_
                               : n["portalId"].is_string() ? n["portalId"].get<std::string>() : n["portalId"].dump();
    const auto occurred_at = n.contains("occurredAt") ? TimeOf(n["occurredAt"]) : std::nullopt;
    if (!occurred_at) return out_.Refuse(locator, "missing_required", "occurredAt", record);
    const int64_t occurred = *occurred_at;
    const std::string property = Str(n, "propertyName");
    const std::string event_id = subscription + ":" + id + ":" + (property.empty() ? "-" : property) + ":" + std::to_string(occurred);
    const std::string image_key = "hs/img/" + object + "/" + id;
    auto image = state_.Get(image_key);
    if (what == "deletion" || what == "privacyDeletion") {
      return out_.Refuse(locator, "delete_not_expressible", "the contract has no deletion of a " + object + ": the engine keeps its last snapshot", record);
    }
    if (what == "merge") {
      return out_.Refuse(locator, "merge_not_expressible", "the contract has no merge: the merged record's snapshots and activities stay under its id", record);
    }
    if (what == "creation" || what == "restore") {
      if (!image) {
        return out_.Refuse(locator, "needs_fetch", "a " + subscription + " notification carries the id only: read " +
                                                       object + " " + id + " through the CRM API and translate it", record);
      }
      if (what == "creation") {
        ++out_.skipped;
        return;
      }
      return Map(object, id, *image, "hubspot/" + portal, event_id, occurred, locator, record);
    }
    if (what != "propertyChange" && what != "associationChange") {
      return out_.Refuse(locator, "unrecognized_input", "subscription type " + subscription, record);
    }
    const auto& read = ReadProperties();
    const auto fields = read.find(object);
    if (fields == read.end()) return out_.Refuse(locator, "unmapped_entity", "object " + object, record);
    if (what == "propertyChange" && std::find(fields->second.begin(), fields->second.end(), property) == fields->second.end() &&
        property != "associatedcompanyid" && property != config_["deal"]["amount_property"].as<std::string>("amount")) {
      ++out_.skipped;
      return;
    }
    const std::string value = Str(n, "propertyValue");
    if (auto error = CheckValue(object, property, value)) return out_.Refuse(locator, "unmapped_value", *error, record);
    if (!image) {
      return out_.Refuse(locator, "missing_state",
                         "a change of one property of " + object + " " + id + ", of which no full image is held: "
                         "translate a read of it first", record);
    }
    if ((*image)["updated"].get<int64_t>() >= occurred) {  // the image already has it
      ++out_.skipped;
      return;
    }
    if (what == "associationChange") {
      ++out_.skipped;  // the company link arrives with the next read
      return;
    }
    (*image)["properties"][property] = value;
    (*image)["updated"] = occurred;
    state_.Put(image_key, *image);
    Map(object, id, *image, "hubspot/" + portal, event_id, occurred, locator, record);
  }

  /// A value a table must map, when the property has one: the error naming the table.
  std::optional<std::string> CheckValue(const std::string& object, const std::string& property, const std::string& value) const {
    if (value.empty()) return std::nullopt;
    auto check = [&](const YAML::Node& table, const std::string& key) -> std::optional<std::string> {
      if (table[value]) return std::nullopt;
      return property + " \"" + value + "\" is not in hubspot." + key;
    };
    if (object == "deal" && property == "dealstage") return check(config_["deal"]["stages"], "deal.stages");
    if (object == "deal" && property == "dealtype") return check(config_["deal"]["type_by_dealtype"], "deal.type_by_dealtype");
    if (object == "contact" && property == "hs_lead_status") {
      return check(config_["contact"]["status_by_lead_status"], "contact.status_by_lead_status");
    }
    return std::nullopt;
  }

  std::string Owner(const std::string& native) const {
    if (const Person* person = mapping_.FindById(IdSystem::kHubSpot, native)) return person->user_id;
    return "hubspot-owner:" + native;
  }

  static std::optional<std::string> First(const Json& image, const char* kind) {
    if (!image.contains(kind) || image[kind].empty()) return std::nullopt;
    return image[kind][0].get<std::string>();
  }

  void Emit(const std::string& source, const std::string& id, std::string_view type, Timestamp time, const std::string& key,
            Json data, const std::string& written_key) {
    if (!state_.Replace(written_key, data)) {
      ++out_.skipped;
      return;
    }
    out_.events.push_back(MakeEvent(id, source, type, time, key, std::move(data)));
  }

  void Map(const std::string& type, const std::string& id, const Json& image, const std::string& source,
           const std::string& event_id, Timestamp time, const std::string& locator, const std::string& record) {
    auto refuse = [&](const char* reason, std::string detail) { out_.Refuse(locator, reason, std::move(detail), record); };
    const Json& p = image["properties"];
    auto table = [&](const YAML::Node& node, const std::string& value) -> std::optional<std::string> {
      const YAML::Node mapped = node[value];
      if (!mapped || mapped.IsNull()) return std::nullopt;
      return mapped.as<std::string>();
    };
    const std::string owner = Prop(p, "hubspot_owner_id");
    if (type == "company") {
      const YAML::Node config = config_["company"];
      Json data;
      data["account_id"] = id;
      data["name"] = Prop(p, "name");
      Json domains = Json::array();
      std::string all = Prop(p, "domain") + ";" + Prop(p, "hs_additional_domains");
      size_t start = 0;
      while (start <= all.size()) {
        size_t end = all.find(';', start);
        if (end == std::string::npos) end = all.size();
        std::string d = Lower(all.substr(start, end - start));
        d.erase(std::remove(d.begin(), d.end(), ' '), d.end());
        if (!d.empty() && std::find(domains.begin(), domains.end(), d) == domains.end()) domains.push_back(d);
        start = end + 1;
      }
      data["domains"] = std::move(domains);
      auto relationship = table(config["relationship_by_type"], Prop(p, "type"));
      if (!relationship) relationship = table(config["relationship_by_lifecyclestage"], Prop(p, "lifecyclestage"));
      data["relationship"] = relationship.value_or("prospect");
      if (!owner.empty()) data["owner_id"] = Owner(owner);
      data["icp_tier"] = table(config["icp_tier_by_value"], Prop(p, "hs_ideal_customer_profile")).value_or("none");
      Json targets = Json::array();
      if (Prop(p, "hs_is_target_account") == "true" && !owner.empty()) targets.push_back(Owner(owner));
      data["target_of"] = std::move(targets);
      return Emit(source, event_id, "crm.account.upserted", time, id, std::move(data), "hs/out/company/" + id);
    }
    if (type == "contact") return Contact(id, image, source, event_id, time, refuse);
    if (type == "deal") {
      const YAML::Node config = config_["deal"];
      auto company = First(image, "companies");
      if (!company) return refuse("missing_required", "the deal has no associated company: read it with associations=companies");
      if (owner.empty()) return refuse("missing_required", "hubspot_owner_id");
      Json data;
      data["opportunity_id"] = id;
      data["account_id"] = *company;
      data["owner_id"] = Owner(owner);
      auto deal_type = Prop(p, "dealtype").empty() ? std::optional<std::string>("new_business")
                                                   : table(config["type_by_dealtype"], Prop(p, "dealtype"));
      if (!deal_type) return refuse("unmapped_value", "dealtype \"" + Prop(p, "dealtype") + "\" is not in hubspot.deal.type_by_dealtype");
      data["type"] = *deal_type;
      data["origin"] = table(config["origin_by_analytics_source"], Prop(p, "hs_analytics_source")).value_or("seller_sourced");
      auto stage = table(config["stages"], Prop(p, "dealstage"));
      if (!stage) return refuse("unmapped_value", "dealstage \"" + Prop(p, "dealstage") + "\" is not in hubspot.deal.stages");
      data["stage"] = *stage;
      const std::string amount = Prop(p, config["amount_property"].as<std::string>("amount"));
      data["amount"] = Amount(amount.empty() ? 0 : Number(amount, "amount"));
      auto close = TimeOf(p.value("closedate", Json()));
      if (!close) return refuse("missing_required", "closedate");
      data["close_date"] = FormatDate(DayOf(*close));
      auto created = TimeOf(p.value("createdate", Json()));
      if (!created) return refuse("missing_required", "createdate");
      data["created_at"] = FormatRfc3339(*created);
      if (*stage == "closed_lost" && !Prop(p, "closed_lost_reason").empty()) {
        std::string reason = "other";
        for (const auto& entry : config["loss_reason_by_text"]) {
          if (Lower(entry.first.as<std::string>()) == Lower(Prop(p, "closed_lost_reason"))) reason = entry.second.as<std::string>();
        }
        data["loss_reason"] = reason;
      }
      return Emit(source, event_id, "crm.opportunity.upserted", time, *company, std::move(data), "hs/out/deal/" + id);
    }
    Activity(type, id, image, source, event_id, refuse);
  }

  template <typename RefuseFn>
  void Contact(const std::string& id, const Json& image, const std::string& source, const std::string& event_id,
               Timestamp time, RefuseFn refuse) {
    const YAML::Node config = config_["contact"];
    const Json& p = image["properties"];
    std::optional<std::string> company = First(image, "companies");
    if (!Prop(p, "associatedcompanyid").empty()) company = Prop(p, "associatedcompanyid");
    auto in = [&](const char* list, const std::string& value) {
      for (const auto& v : config[list]) {
        if (v.as<std::string>() == value) return true;
      }
      return false;
    };
    const std::string stage = Prop(p, "lifecyclestage");
    const bool was_lead = state_.Get("hs/lead/" + id).has_value();
    const bool lead = in("lead_lifecycle_stages", stage) || (in("converted_lifecycle_stages", stage) && was_lead);
    if (!company && !lead) {
      return refuse("missing_required", "a contact with neither a company nor a lead lifecycle stage has no place in the contract");
    }
    if (company) {
      Json data;
      data["contact_id"] = id;
      data["account_id"] = *company;
      if (!Prop(p, "email").empty()) data["email"] = Lower(Prop(p, "email"));
      std::string role = "unknown";
      static const char* kStrength[] = {"decision_maker", "budget_holder", "champion", "influencer", "user", "gatekeeper"};
      std::vector<std::string> roles;
      std::string all = Prop(p, "hs_buying_role") + ";";
      for (size_t start = 0, end; (end = all.find(';', start)) != std::string::npos; start = end + 1) {
        const YAML::Node mapped = config["buying_role_by_value"][all.substr(start, end - start)];
        if (mapped && !mapped.IsNull()) roles.push_back(mapped.as<std::string>());
      }
      for (const char* strongest : kStrength) {
        if (std::find(roles.begin(), roles.end(), strongest) != roles.end()) {
          role = strongest;
          break;
        }
      }
      data["buying_role"] = role;
      Emit(source, event_id, "crm.contact.upserted", time, id, std::move(data), "hs/out/contact/" + id);
    }
    if (lead) {
      const std::string owner = Prop(p, "hubspot_owner_id");
      if (owner.empty()) return refuse("missing_required", "hubspot_owner_id of a lead");
      Json data;
      data["lead_id"] = id;
      if (company) data["account_id"] = *company;
      data["owner_id"] = Owner(owner);
      const YAML::Node source_value = config["source_by_analytics_source"][Prop(p, "hs_analytics_source")];
      data["source"] = source_value && !source_value.IsNull() ? source_value.as<std::string>() : "outbound";
      std::string status = "open";
      if (in("converted_lifecycle_stages", stage)) {
        status = "converted";
      } else if (!Prop(p, "hs_lead_status").empty()) {
        const YAML::Node mapped = config["status_by_lead_status"][Prop(p, "hs_lead_status")];
        if (!mapped || mapped.IsNull()) {
          return refuse("unmapped_value", "hs_lead_status \"" + Prop(p, "hs_lead_status") + "\" is not in hubspot.contact.status_by_lead_status");
        }
        status = mapped.as<std::string>();
      }
      data["status"] = status;
      state_.Put("hs/lead/" + id, true);
      Emit(source, event_id + (company ? ":lead" : ""), "crm.lead.upserted", time, company ? *company : "lead:" + id,
           std::move(data), "hs/out/lead/" + id);
    }
  }

  template <typename RefuseFn>
  void Activity(const std::string& type, const std::string& id, const Json& image, const std::string& source,
                const std::string& event_id, RefuseFn refuse) {
    const Json& p = image["properties"];
    auto time = TimeOf(p.value("hs_timestamp", Json()));
    if (!time) return refuse("missing_required", "hs_timestamp");
    if (type == "call") {
      const std::string status = Prop(p, "hs_call_status");
      for (const char* unfinished : {"QUEUED", "RINGING", "CONNECTING", "IN_PROGRESS", "CALLING_CRM_USER"}) {
        if (status == unfinished) {
          ++out_.skipped;
          return;
        }
      }
    }
    const std::string owner = Prop(p, "hubspot_owner_id");
    if (owner.empty()) return refuse("missing_required", "hubspot_owner_id");
    Json data;
    data["activity_id"] = id;
    data["actor_id"] = Owner(owner);
    std::optional<std::string> account = First(image, "companies");
    const std::optional<std::string> contact = First(image, "contacts");
    std::optional<std::string> lead;
    if (contact) {
      if (auto held = state_.Get("hs/img/contact/" + *contact)) {
        if (!account) {
          const std::string company = Prop((*held)["properties"], "associatedcompanyid");
          if (!company.empty()) account = company;
          else if (held->contains("companies") && !(*held)["companies"].empty()) account = (*held)["companies"][0].get<std::string>();
        }
      }
      if (state_.Get("hs/lead/" + *contact)) lead = *contact;
    }
    if (!account && !lead) {
      return refuse("missing_state", "the activity names no company, and its contact's company is not held: translate "
                                     "the contact (or read the activity with associations=companies) first");
    }
    if (account) data["account_id"] = *account;
    if (lead) data["lead_id"] = *lead;
    if (contact) data["contact_id"] = *contact;
    data["channel"] = type == "call" ? "call" : type;
    std::string direction = "outbound";
    std::string outcome = "no_response";
    if (type == "call") {
      if (Prop(p, "hs_call_direction") == "INBOUND") direction = "inbound";
      const YAML::Node by_disposition = config_["call"]["outcome_by_disposition"][Prop(p, "hs_call_disposition")];
      const YAML::Node by_status = config_["call"]["outcome_by_status"][Prop(p, "hs_call_status")];
      if (by_disposition && !by_disposition.IsNull()) outcome = by_disposition.as<std::string>();
      else if (by_status && !by_status.IsNull()) outcome = by_status.as<std::string>();
      const std::string ms = Prop(p, "hs_call_duration");
      if (!ms.empty()) data["duration_s"] = static_cast<int64_t>(Number(ms, "hs_call_duration")) / 1000;
    } else if (type == "meeting") {
      if (Prop(p, "hs_meeting_source") == "MEETINGS_PUBLIC") direction = "inbound";
      const YAML::Node mapped = config_["meeting"]["outcome_by_outcome"][Prop(p, "hs_meeting_outcome")];
      outcome = mapped && !mapped.IsNull() ? mapped.as<std::string>() : "meeting_booked";
      auto start = TimeOf(p.value("hs_meeting_start_time", Json()));
      auto end = TimeOf(p.value("hs_meeting_end_time", Json()));
      if (start && end && *end >= *start) data["duration_s"] = (*end - *start) / 1000;
    } else {
      if (Prop(p, "hs_email_direction") == "INCOMING_EMAIL") direction = "inbound";
      outcome = direction == "inbound" ? "connected" : "no_response";
    }
    data["direction"] = direction;
    data["outcome"] = outcome;
    const std::string key = account ? *account : "lead:" + *lead;
    if (state_.Get("hs/logged/" + type + "/" + id)) {  // one engagement is logged once
      ++out_.skipped;
      return;
    }
    state_.Put("hs/logged/" + type + "/" + id, true);
    out_.events.push_back(MakeEvent(event_id, source, "crm.activity.logged", *time, key, std::move(data)));
  }

  const Mapping& mapping_;
  ConnectorState& state_;
  Translation& out_;
  YAML::Node config_;
  std::string portal_;
};

}  // namespace

Translation TranslateHubSpot(std::string_view input, const Mapping& mapping, ConnectorState& state) {
  Translation out;
  HubSpotTranslator translator(mapping, state, out);
  ForEachJsonValue(input, out, [&](const Json& value, const std::string& locator) { translator.Value(value, locator); });
  return out;
}

}  // namespace huntline::connectors
