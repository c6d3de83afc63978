#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/string_map.h"
#include "common/time.h"
#include "ingest/event.h"

namespace huntline::processors {

struct User {
  ingest::UserUpserted data;
  Timestamp updated = kNoTime;
};

struct Account {
  ingest::AccountUpserted data;
  Timestamp updated = kNoTime;

  bool IsTargetOf(std::string_view user_id) const {
    for (const auto& id : data.target_of) {
      if (id == user_id) return true;
    }
    return false;
  }
};

struct Contact {
  ingest::ContactUpserted data;
  Timestamp updated = kNoTime;
};

enum class ApplyOutcome : uint8_t { kApplied, kStale };

/// The global tables of `huntline.org`: users, accounts and contacts, each the latest snapshot by
/// event time. Every instance holds all of them (the topic is read in full, from the beginning,
/// at each start), so they are not persisted with partition state.
/// Written by the engine's processing thread only; processors read them.
class OrgTables {
 public:
  /// Applies an org.* upsert. A snapshot older than the one held is stale and ignored.
  ApplyOutcome Apply(const ingest::Event& event);

  const User* FindUser(std::string_view user_id) const { return Find(users_, user_id); }
  const Account* FindAccount(std::string_view account_id) const {
    return Find(accounts_, account_id);
  }
  const Contact* FindContact(std::string_view contact_id) const {
    return Find(contacts_, contact_id);
  }

  /// Team and role labels of a person: "unknown" when no snapshot of them is known yet.
  std::string_view TeamOf(std::string_view user_id) const;
  std::string_view RoleOf(std::string_view user_id) const;

  const StringMap<User>& users() const { return users_; }
  const StringMap<Account>& accounts() const { return accounts_; }

  /// What an email domain (lower case) belongs to: a customer account's (any account with the
  /// domain being a customer is enough), another known account's, or none.
  enum class DomainKind : uint8_t { kNone, kAccount, kCustomer };
  DomainKind KindOfDomain(std::string_view domain) const;
  /// Whether some user's email has this domain (lower case): the company's own, by default.
  bool IsUserDomain(std::string_view domain) const;

  /// Bumped on every applied change; lets derived views know when to recompute.
  uint64_t version() const { return version_; }

 private:
  void IndexDomains(const ingest::AccountUpserted& account, int sign);

  template <typename T>
  static const T* Find(const StringMap<T>& map, std::string_view key) {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }

  StringMap<User> users_;
  StringMap<Account> accounts_;
  StringMap<Contact> contacts_;
  struct DomainCount {
    int accounts = 0;
    int customers = 0;
  };
  StringMap<DomainCount> account_domains_;
  StringMap<int> user_domains_;
  uint64_t version_ = 0;
};

inline constexpr std::string_view kUnknown = "unknown";

/// The domain of an email address, lower case; empty when `address` is not an email.
std::string EmailDomain(std::string_view address);

}  // namespace huntline::processors
