#include "connectors/mapping.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "calendar/recurrence.h"
#include "connectors/default_mapping.h"

namespace huntline::connectors {
namespace {

/// `over` merged into `base`: maps key by key (null removes the key), anything else replaces.
YAML::Node Merge(const YAML::Node& base, const YAML::Node& over) {
  if (!over.IsMap() || !base.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& entry : over) {
    const std::string key = entry.first.as<std::string>();
    if (entry.second.IsNull()) {
      out.remove(key);
    } else if (out[key]) {
      out[key] = Merge(out[key], entry.second);
    } else {
      out[key] = YAML::Clone(entry.second);
    }
  }
  return out;
}

Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& field) {
  std::vector<std::string> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence()) return Status::Error(field + ": expected a list");
  for (const auto& item : node) {
    if (!item.IsScalar()) return Status::Error(field + ": expected a list of strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

/// The contract's values a value table may map to, by the table's name.
const std::vector<std::string>* ContractValues(const std::string& table) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kTables = {
      {"show_as_by", {"busy", "tentative", "free"}},
      {"response_by_value", {"accepted", "tentative", "declined", "needs_action"}},
      {"invitee_status", {"accepted", "tentative", "declined", "needs_action"}},
      {"stage_by_name", {"prospecting", "discovery", "solution", "proposal", "negotiation", "closed_won", "closed_lost"}},
      {"stages", {"prospecting", "discovery", "solution", "proposal", "negotiation", "closed_won", "closed_lost"}},
      {"relationship_by", {"prospect", "customer", "former_customer", "partner"}},
      {"type_by", {"new_business", "expansion", "renewal"}},
      {"origin_by", {"seller_sourced", "inbound", "rfp", "partner"}},
      {"status_by", {"open", "working", "nurture", "qualified", "disqualified", "converted"}},
      {"source_by", {"outbound", "inbound", "referral", "event", "partner", "rfp"}},
      {"buying_role_by", {"decision_maker", "budget_holder", "champion", "influencer", "user", "gatekeeper", "unknown"}},
      {"outcome_by", {"no_response", "connected", "meeting_booked", "not_interested", "disqualified", "referral"}},
      {"channel_by", {"call", "email", "meeting", "social", "video", "event", "other"}},
      {"direction_by", {"outbound", "inbound"}},
      {"icp_tier_by", {"A", "B", "C", "none"}},
      {"loss_reason_by", {"competitor", "no_decision", "price", "timing", "other"}},
      {"kind_by", {"customer_issue", "admin", "report", "deal_review", "other"}},
  };
  for (const auto& [prefix, values] : kTables) {
    if (table.starts_with(prefix)) return &values;
  }
  return nullptr;
}

/// Every value table under `node` maps to values of the contract (or null: not mapped here).
Status CheckTables(const YAML::Node& node, const std::string& at) {
  if (!node.IsMap()) return Status::Ok();
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = at.empty() ? key : at + "." + key;
    if (const auto* values = ContractValues(key); values && entry.second.IsMap()) {
      for (const auto& row : entry.second) {
        const std::string from = row.first.as<std::string>();
        if (row.second.IsNull()) continue;
        if (!row.second.IsScalar() ||
            std::find(values->begin(), values->end(), row.second.as<std::string>()) == values->end()) {
          std::string allowed;
          for (const auto& v : *values) allowed += (allowed.empty() ? "" : ", ") + v;
          return Status::Error(path + "." + from + ": must be one of " + allowed + " (or null)");
        }
      }
    } else if (Status s = CheckTables(entry.second, path); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Mapping Mapping::Defaults() {
  auto mapping = Parse("{}", "defaults");
  return std::move(mapping).value();
}

Result<Mapping> Mapping::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read the mapping configuration");
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

Result<Mapping> Mapping::Parse(std::string_view yaml, std::string_view origin) {
  Mapping mapping;
  try {
    const YAML::Node defaults = YAML::Load(std::string(kDefaultMapping));
    const YAML::Node over = YAML::Load(std::string(yaml));
    if (over && !over.IsNull() && !over.IsMap()) {
      return Status::Error(std::string(origin) + ": expected a map of settings");
    }
    mapping.root_ = over && over.IsMap() ? Merge(defaults, over) : defaults;
  } catch (const YAML::Exception& e) {
    return Status::Error(std::string(origin) + ": " + e.what());
  }
  if (Status s = mapping.Finish(origin); !s.ok()) return s;
  return mapping;
}

Status Mapping::Finish(std::string_view origin) {
  auto fail = [&](const std::string& message) { return Status::Error(std::string(origin) + ": " + message); };
  try {
    const YAML::Node users = root_["users"];
    if (users && !users.IsNull() && !users.IsSequence()) return fail("users: expected a list");
    size_t i = 0;
    for (const auto& entry : users) {
      const std::string at = "users[" + std::to_string(i++) + "]";
      if (!entry.IsMap() || !entry["user_id"] || !entry["user_id"].IsScalar()) {
        return fail(at + ".user_id: required");
      }
      Person person;
      person.user_id = entry["user_id"].as<std::string>();
      for (auto [field, list] : {std::pair{"emails", &person.emails},
                                 std::pair{"salesforce_ids", &person.salesforce_ids},
                                 std::pair{"hubspot_owner_ids", &person.hubspot_owner_ids},
                                 std::pair{"graph_ids", &person.graph_ids}}) {
        auto values = Strings(entry[field], at + "." + field);
        if (!values.ok()) return fail(values.status().message());
        *list = std::move(values).value();
      }
      for (auto& email : person.emails) email = Lower(email);
      for (auto& id : person.graph_ids) id = Lower(id);
      if (entry["timezone"]) {
        person.timezone = entry["timezone"].as<std::string>();
        if (!calendar::KnownTimeZone(person.timezone)) {
          return fail(at + ".timezone: " + person.timezone + " is not an IANA time zone");
        }
      }
      people_.push_back(std::move(person));
    }
    for (const char* system : {"salesforce", "hubspot", "google", "graph"}) {
      if (Status s = CheckTables(root_[system], system); !s.ok()) return fail(s.message());
    }
    auto keywords = Strings(root_["protected"]["title_keywords"], "protected.title_keywords");
    if (!keywords.ok()) return fail(keywords.status().message());
    for (const auto& k : *keywords) title_keywords_.push_back(Lower(k));
    auto categories = Strings(root_["protected"]["categories"], "protected.categories");
    if (!categories.ok()) return fail(categories.status().message());
    categories_ = std::move(categories).value();
  } catch (const YAML::Exception& e) {
    return fail(e.what());
  }
  return Status::Ok();
}

const Person* Mapping::FindByEmail(std::string_view email) const {
  const std::string lower = Lower(email);
  for (const Person& person : people_) {
    if (std::find(person.emails.begin(), person.emails.end(), lower) != person.emails.end()) return &person;
  }
  return nullptr;
}

const Person* Mapping::FindById(IdSystem system, std::string_view id) const {
  for (const Person& person : people_) {
    switch (system) {
      case IdSystem::kSalesforce:
        for (const std::string& known : person.salesforce_ids) {
          if (known.substr(0, 15) == id.substr(0, 15)) return &person;
        }
        break;
      case IdSystem::kHubSpot:
        for (const std::string& known : person.hubspot_owner_ids) {
          if (known == id) return &person;
        }
        break;
      case IdSystem::kGraph:
        for (const std::string& known : person.graph_ids) {
          if (known == Lower(id)) return &person;
        }
        break;
    }
  }
  return nullptr;
}

const Person* Mapping::FindCalendar(std::string_view name) const {
  for (const Person& person : people_) {
    if (person.user_id == name) return &person;
  }
  if (const Person* person = FindByEmail(name)) return person;
  for (IdSystem system : {IdSystem::kGraph, IdSystem::kSalesforce, IdSystem::kHubSpot}) {
    if (const Person* person = FindById(system, name)) return person;
  }
  return nullptr;
}

std::string Mapping::UserOrEmail(std::string_view email) const {
  const Person* person = FindByEmail(email);
  return person ? person->user_id : Lower(email);
}

bool Mapping::TitleIsProtected(std::string_view title) const {
  const std::string lower = Lower(title);
  return std::any_of(title_keywords_.begin(), title_keywords_.end(),
                     [&](const std::string& k) { return !k.empty() && lower.find(k) != std::string::npos; });
}

bool Mapping::CategoryIsProtected(std::string_view category) const {
  return std::find(categories_.begin(), categories_.end(), category) != categories_.end();
}

}  // namespace huntline::connectors
