#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "common/time.h"
#include "ingest/event.h"

namespace huntline::processors {

/// One accepted snapshot of a person, in force from `updated` until the next one.
struct User {
  ingest::UserUpserted data;
  Timestamp updated = kNoTime;
  uint64_t version = 0;      // OrgTables::version() when it was applied: unique, never 0
  std::string email_domain;  // lower case; empty when the email has none
};

struct Account {
  ingest::AccountUpserted data;
  Timestamp updated = kNoTime;
  uint64_t version = 0;
  std::vector<std::string> email_domains;  // `data.domains`, lower case

  bool IsTargetOf(std::string_view user_id) const {
    for (const auto& id : data.target_of) {
      if (id == user_id) return true;
    }
    return false;
  }
  bool HasDomain(std::string_view domain) const {
    return std::find(email_domains.begin(), email_domains.end(), domain) != email_domains.end();
  }
};

struct Contact {
  ingest::ContactUpserted data;
  Timestamp updated = kNoTime;
  uint64_t version = 0;
};

enum class ApplyOutcome : uint8_t { kApplied, kStale };

/// An org snapshot that was accepted: when it takes effect and what it is about.
struct OrgChange {
  ingest::EventType type;
  std::string id;  // user, account or contact id
  Timestamp time;
  uint64_t seq;  // arrival order, unique
  /// Orders changes as they take effect: by time, then arrival.
  std::pair<Timestamp, uint64_t> key() const { return {time, seq}; }
};
using OrgChangeKey = std::pair<Timestamp, uint64_t>;

class OrgView;

/// An entity's accepted snapshots, in increasing time.
template <typename Row>
struct Versions {
  std::vector<Row> rows;
  Timestamp first = kNoTime;  // the time of the entity's first snapshot: unknown before it
  bool pruned = false;        // older versions were dropped: the first row stands in for them
};

/// The global tables of `huntline.org` with their history: for every user, account and contact,
/// each accepted snapshot with the time it takes effect, so a look-up is made as of a time
/// (metrics.md, "As of a time") through an OrgView. A snapshot older than the entity's latest is
/// stale and ignored (events.md); so each entity's versions are in increasing time.
///
/// Every instance holds all of them (the topic is read in full, from the beginning, at each
/// start), so they are not persisted with partition state. Versions superseded long before any
/// task's time are dropped (Prune): a look-up older than the oldest version kept, but after the
/// entity's first snapshot, gets that version.
///
/// It also keeps the log of accepted changes by the time they take effect, so that each task
/// hears of a change (Processor::OnOrgChange) when its own time passes it, whenever the change
/// was read. Written by the engine's processing thread only; processors read it.
class OrgTables {
 public:
  /// Applies an org.* upsert. A snapshot older than the entity's latest is stale and ignored.
  ApplyOutcome Apply(const ingest::Event& event);

  /// The tables as of `time` (the snapshots in force then).
  OrgView At(Timestamp time) const;
  /// The tables as they stand with every snapshot read so far, whatever its time.
  OrgView Latest() const;

  /// Visits the accepted changes ordered after `after` that take effect at or before `until`, in
  /// the order they take effect.
  template <typename F>
  void ForEachChange(OrgChangeKey after, Timestamp until, F visit) const {
    for (auto it = changes_.upper_bound(after); it != changes_.end() && it->first.first <= until;
         ++it) {
      visit(it->second);
    }
  }
  /// The change applied last (by arrival), if any.
  const OrgChange* last_change() const { return last_change_; }

  /// The earliest time after `time` at which some snapshot takes effect (kNoTime when none).
  Timestamp NextChangeAfter(Timestamp time) const;
  /// The latest snapshot time seen.
  Timestamp latest_time() const { return latest_time_; }

  /// Drops versions (and logged changes) superseded before `before`: each entity keeps the
  /// version in force at `before` and every later one.
  void Prune(Timestamp before);

  /// Bumped on every applied change; lets derived views know when to recompute.
  uint64_t version() const { return version_; }
  size_t version_count() const;

 private:
  friend class OrgView;
  template <typename Row>
  static const Row* AsOf(const StringMap<Versions<Row>>& table, std::string_view id,
                         Timestamp time);
  void Log(ingest::EventType type, const std::string& id, Timestamp time);

  StringMap<Versions<User>> users_;
  StringMap<Versions<Account>> accounts_;
  StringMap<Versions<Contact>> contacts_;
  /// Every account (user) that has ever had a version with this domain, lower case.
  StringMap<std::vector<std::string>> accounts_by_domain_;
  StringMap<std::vector<std::string>> users_by_domain_;
  std::map<OrgChangeKey, OrgChange> changes_;
  const OrgChange* last_change_ = nullptr;
  std::multiset<Timestamp> version_times_;
  Timestamp latest_time_ = kNoTime;
  uint64_t version_ = 0;
};

/// The org tables as of one time: what a look-up made then sees. Cheap to copy; valid while its
/// OrgTables lives and is not pruned past its time.
class OrgView {
 public:
  OrgView(const OrgTables& tables, Timestamp time) : tables_(&tables), time_(time) {}

  Timestamp time() const { return time_; }
  /// The same tables as of another time.
  OrgView At(Timestamp time) const { return OrgView(*tables_, time); }
  const OrgTables& tables() const { return *tables_; }

  const User* FindUser(std::string_view user_id) const {
    return OrgTables::AsOf(tables_->users_, user_id, time_);
  }
  const Account* FindAccount(std::string_view account_id) const {
    return OrgTables::AsOf(tables_->accounts_, account_id, time_);
  }
  const Contact* FindContact(std::string_view contact_id) const {
    return OrgTables::AsOf(tables_->contacts_, contact_id, time_);
  }

  /// Team and role labels of a person: "unknown" when no snapshot of them is in force.
  std::string_view TeamOf(std::string_view user_id) const;
  std::string_view RoleOf(std::string_view user_id) const;

  /// Visits every user (account) known at this time, with the version in force.
  template <typename F>
  void ForEachUser(F visit) const {
    for (const auto& [id, versions] : tables_->users_) {
      if (const User* u = FindUser(id)) visit(id, *u);
    }
  }
  template <typename F>
  void ForEachAccount(F visit) const {
    for (const auto& [id, versions] : tables_->accounts_) {
      if (const Account* a = FindAccount(id)) visit(id, *a);
    }
  }

  /// What an email domain (lower case) belongs to: a customer account's (any account with the
  /// domain being a customer is enough), another known account's, or none.
  enum class DomainKind : uint8_t { kNone, kAccount, kCustomer };
  DomainKind KindOfDomain(std::string_view domain) const;
  /// Whether some user's email has this domain (lower case): the company's own, by default.
  bool IsUserDomain(std::string_view domain) const;

 private:
  const OrgTables* tables_;
  Timestamp time_;
};

inline OrgView OrgTables::At(Timestamp time) const { return OrgView(*this, time); }
inline OrgView OrgTables::Latest() const { return OrgView(*this, INT64_MAX); }

template <typename Row>
const Row* OrgTables::AsOf(const StringMap<Versions<Row>>& table, std::string_view id,
                           Timestamp time) {
  auto it = table.find(id);
  if (it == table.end() || it->second.rows.empty() || time < it->second.first) return nullptr;
  const auto& rows = it->second.rows;
  // The last version taking effect at or before `time`; before the oldest kept (pruned), that one.
  auto after = std::upper_bound(rows.begin(), rows.end(), time,
                                [](Timestamp t, const Row& row) { return t < row.updated; });
  if (after == rows.begin()) return it->second.pruned ? &rows.front() : nullptr;
  return &*(after - 1);
}

inline constexpr std::string_view kUnknown = "unknown";

/// The domain of an email address, lower case; empty when `address` is not an email.
std::string EmailDomain(std::string_view address);

}  // namespace huntline::processors
