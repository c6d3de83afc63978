#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/lru_cache.h"
#include "common/string_map.h"
#include "common/time.h"
#include "ingest/event.h"
#include "storage/kv_store.h"

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
};

/// The global tables of `huntline.org` with their history: for every user, account and contact,
/// each accepted snapshot with the time it takes effect, so a look-up is made as of a time
/// (metrics.md, "As of a time") through an OrgView. A snapshot older than the entity's latest is
/// stale and ignored (events.md); so each entity's versions are in increasing time.
///
/// Every instance holds all of them (the topic is read in full, from the beginning, at each
/// start), so they are not persisted with partition state: the tables clear what their store
/// holds when they open. Users live in memory (an organisation has thousands); accounts and
/// contacts (millions) live in the store, keys `o/a/<id>` and `o/c/<id>`, with at most
/// `cache_entries` of each decoded in memory, used most recently. The change log, the domain
/// index and the ids seen are in the store too. A look-up made before the pruning horizon
/// (Prune), after the entity's first snapshot, gets the version in force at the horizon.
///
/// It also keeps the log of accepted changes by the time they take effect, so that each task
/// hears of a change (Processor::OnOrgChange) when its own time passes it, whenever the change
/// was read. Written by the engine's processing thread only; processors read it.
class OrgTables {
 public:
  static constexpr size_t kDefaultCacheEntries = 50000;

  /// Tables kept in `store` (cleared under `o/` now); null: in a store of their own in memory.
  explicit OrgTables(storage::KvStore* store = nullptr,
                     size_t cache_entries = kDefaultCacheEntries);
  ~OrgTables();
  OrgTables(const OrgTables&) = delete;
  OrgTables& operator=(const OrgTables&) = delete;

  /// Records an org event's (source, id); false when it was recorded before (a duplicate).
  bool MarkSeen(std::string_view source, std::string_view id);

  /// Applies an org.* upsert. A snapshot older than the entity's latest is stale and ignored.
  ApplyOutcome Apply(const ingest::Event& event);
  /// A tombstone of the compacted org topic: the user, account or contact `id` (the topic's
  /// key) is forgotten with all its versions, as a start after compaction would never have seen
  /// it. Logged as a change at the time of its latest version, so tasks look again; returns the
  /// changes (none when nothing had that id).
  std::vector<OrgChange> Forget(const std::string& id);

  /// The tables as of `time` (the snapshots in force then).
  OrgView At(Timestamp time) const;
  /// The tables as they stand with every snapshot read so far, whatever its time.
  OrgView Latest() const;

  /// The accepted changes ordered after `after` that take effect at or before `until`, in the
  /// order they take effect.
  std::vector<OrgChange> ChangesBetween(OrgChangeKey after, Timestamp until) const;
  template <typename F>
  void ForEachChange(OrgChangeKey after, Timestamp until, F visit) const {
    for (const OrgChange& change : ChangesBetween(after, until)) visit(change);
  }
  /// The change applied last (by arrival), if any.
  const OrgChange* last_change() const { return last_change_ ? &*last_change_ : nullptr; }

  /// The earliest time after `time` at which some snapshot takes effect (kNoTime when none).
  Timestamp NextChangeAfter(Timestamp time) const;
  /// The latest snapshot time seen.
  Timestamp latest_time() const { return latest_time_; }

  /// Moves the pruning horizon to `before`: each entity keeps the version in force then and
  /// every later one, changes taking effect before it are forgotten. Users' older versions are
  /// dropped now, an account's or a contact's when it is next written.
  void Prune(Timestamp before);

  /// Changes taking effect before `time` are no longer kept in memory (every task is past it):
  /// a look-up of the log from an earlier time reads the store.
  void KeepPendingFrom(Timestamp time);

  /// The pruning horizon (Prune): the change log before it is gone.
  Timestamp horizon() const { return horizon_; }
  /// Bumped on every applied change; lets derived views know when to recompute.
  uint64_t version() const { return version_; }
  /// Accounts, contacts and domains decoded in memory now.
  size_t cached_entries() const {
    return accounts_.cache.size() + contacts_.cache.size() + domains_.size();
  }

 private:
  friend class OrgView;
  template <typename Row>
  using Shared = std::shared_ptr<const Versions<Row>>;
  template <typename Row>
  struct StoredTable {
    std::string prefix;             // of its keys in the store
    mutable LruCache<Shared<Row>> cache;  // null: known to be absent
  };

  template <typename Row>
  static const Row* RowAsOf(const Versions<Row>& versions, Timestamp time, Timestamp horizon);
  template <typename Row>
  Shared<Row> Load(const StoredTable<Row>& table, std::string_view id) const;
  template <typename Row>
  std::shared_ptr<const Row> Find(const StoredTable<Row>& table, std::string_view id,
                                  Timestamp time) const;
  template <typename Row, typename Data>
  std::shared_ptr<Versions<Row>> Upsert(StoredTable<Row>& table, const std::string& id,
                                        const Data& data, Timestamp time, uint64_t version);
  void Log(ingest::EventType type, const std::string& id, Timestamp time);
  void Write();
  /// Every account that has had the domain (lower case), from the store or the cache.
  std::vector<std::string> AccountsWithDomain(std::string_view domain) const;

  std::unique_ptr<storage::KvStore> own_store_;
  storage::KvStore* store_;
  storage::WriteBatch batch_;  // the writes of the event being applied
  StringMap<Versions<User>> users_;
  StringMap<std::vector<std::string>> users_by_domain_;  // every user that had this domain
  StoredTable<Account> accounts_;
  StoredTable<Contact> contacts_;
  mutable LruCache<std::vector<std::string>> domains_;  // AccountsWithDomain, by domain
  /// The keys of the change log from pending_floor_ on: what tasks at or after that time may
  /// still have to hear of, answered without reading the store.
  std::set<OrgChangeKey> pending_;
  Timestamp pending_floor_ = kNoTime;
  std::optional<OrgChange> last_change_;
  Timestamp horizon_ = kNoTime;
  Timestamp latest_time_ = kNoTime;
  uint64_t version_ = 0;
};

/// The org tables as of one time: what a look-up made then sees. Cheap to copy; valid while its
/// OrgTables lives. A user found stays valid until the next change is applied; an account or a
/// contact found is held by its pointer.
class OrgView {
 public:
  OrgView(const OrgTables& tables, Timestamp time) : tables_(&tables), time_(time) {}

  Timestamp time() const { return time_; }
  /// The same tables as of another time.
  OrgView At(Timestamp time) const { return OrgView(*tables_, time); }
  const OrgTables& tables() const { return *tables_; }

  const User* FindUser(std::string_view user_id) const {
    auto it = tables_->users_.find(user_id);
    if (it == tables_->users_.end()) return nullptr;
    return OrgTables::RowAsOf(it->second, time_, tables_->horizon_);
  }
  std::shared_ptr<const Account> FindAccount(std::string_view account_id) const {
    return tables_->Find(tables_->accounts_, account_id, time_);
  }
  std::shared_ptr<const Contact> FindContact(std::string_view contact_id) const {
    return tables_->Find(tables_->contacts_, contact_id, time_);
  }

  /// Team and role labels of a person: "unknown" when no snapshot of them is in force.
  std::string_view TeamOf(std::string_view user_id) const;
  std::string_view RoleOf(std::string_view user_id) const;

  /// Visits every user (account) known at this time, with the version in force. Accounts are
  /// read from the store in id order, without filling the cache.
  template <typename F>
  void ForEachUser(F visit) const {
    for (const auto& [id, versions] : tables_->users_) {
      if (const User* u = FindUser(id)) visit(id, *u);
    }
  }
  void ForEachAccount(const std::function<void(const std::string&, const Account&)>& visit) const;

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
const Row* OrgTables::RowAsOf(const Versions<Row>& versions, Timestamp time, Timestamp horizon) {
  if (versions.rows.empty() || time < versions.first) return nullptr;
  // Before the horizon the version in force at the horizon stands in for the ones pruned.
  time = std::max(time, horizon);
  const auto& rows = versions.rows;
  // The last version taking effect at or before `time`.
  auto after = std::upper_bound(rows.begin(), rows.end(), time,
                                [](Timestamp t, const Row& row) { return t < row.updated; });
  if (after == rows.begin()) return nullptr;
  return &*(after - 1);
}

template <typename Row>
std::shared_ptr<const Row> OrgTables::Find(const StoredTable<Row>& table, std::string_view id,
                                           Timestamp time) const {
  Shared<Row> versions = Load(table, id);
  if (!versions) return nullptr;
  const Row* row = RowAsOf(*versions, time, horizon_);
  if (!row) return nullptr;
  return std::shared_ptr<const Row>(versions, row);  // shares the versions' ownership
}

inline constexpr std::string_view kUnknown = "unknown";

/// The domain of an email address, lower case; empty when `address` is not an email.
std::string EmailDomain(std::string_view address);

}  // namespace huntline::processors
