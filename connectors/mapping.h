#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/status.h"

namespace huntline::connectors {

/// One person of the identity table (`users` in the mapping configuration).
struct Person {
  std::string user_id;
  std::vector<std::string> emails;  // lower case
  std::vector<std::string> salesforce_ids;
  std::vector<std::string> hubspot_owner_ids;
  std::vector<std::string> graph_ids;
  std::string timezone;  // IANA; empty when not given
};

/// The native systems whose user ids the identity table lists.
enum class IdSystem { kSalesforce, kHubSpot, kGraph };

/// The mapping configuration (MAPPING.md, section 8): the built-in defaults
/// (`default-mapping.yaml`) with a user's file merged over them. Read-only once loaded.
class Mapping {
 public:
  /// The defaults alone.
  static Mapping Defaults();
  /// The defaults with the YAML file at `path` merged over them: maps merge (a key set to null
  /// removes a default entry), lists and scalars replace. Errors name the file and the key.
  static Result<Mapping> Load(const std::string& path);
  /// The same from YAML text (tests).
  static Result<Mapping> Parse(std::string_view yaml, std::string_view origin);

  /// The merged configuration, for the settings of one system (`node("google")`).
  YAML::Node node(std::string_view section) const { return root_[std::string(section)]; }

  const std::vector<Person>& people() const { return people_; }
  /// The person with this email (any case), or null.
  const Person* FindByEmail(std::string_view email) const;
  /// The person with this native id (Salesforce ids match on their first 15 characters), or null.
  const Person* FindById(IdSystem system, std::string_view id) const;
  /// The person a `--calendar` argument names: a user id, an email or a native id; or null.
  const Person* FindCalendar(std::string_view name) const;

  /// Where the contract takes "a user id, or an email for someone outside": the person's id, else
  /// the lower-cased email.
  std::string UserOrEmail(std::string_view email) const;

  /// `protected.title_keywords` (case-insensitive substrings) and `protected.categories`.
  bool TitleIsProtected(std::string_view title) const;
  bool CategoryIsProtected(std::string_view category) const;

 private:
  Status Finish(std::string_view origin);

  YAML::Node root_;
  std::vector<Person> people_;
  std::vector<std::string> title_keywords_;  // lower case
  std::vector<std::string> categories_;
};

/// Lower case (ASCII).
std::string Lower(std::string_view text);

}  // namespace huntline::connectors
