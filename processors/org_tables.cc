#include "processors/org_tables.h"

#include <cctype>
#include <stdexcept>

#include "storage/codec.h"

namespace huntline::processors {
namespace {

constexpr std::string_view kPrefix = "o/";
constexpr std::string_view kAccounts = "o/a/";
constexpr std::string_view kContacts = "o/c/";
constexpr std::string_view kDomains = "o/d/";  // o/d/<domain>␟<account id>: every account that had it
constexpr std::string_view kLog = "o/l/";      // o/l/<time><seq>, big-endian: the change log
constexpr std::string_view kSeen = "o/s/";     // o/s/<source>␟<id>
constexpr uint8_t kFormat = 1;

void AppendBigEndian(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
uint64_t ReadBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

/// Log keys sort as the changes take effect: by time (sign bit flipped), then arrival.
std::string LogKey(OrgChangeKey key) {
  std::string out(kLog);
  AppendBigEndian(out, static_cast<uint64_t>(key.first) ^ (uint64_t{1} << 63));
  AppendBigEndian(out, key.second);
  return out;
}
OrgChangeKey LogKeyOf(std::string_view key) {
  key.remove_prefix(kLog.size());
  return {static_cast<Timestamp>(ReadBigEndian(key) ^ (uint64_t{1} << 63)), ReadBigEndian(key.substr(8))};
}

void EncodeStrings(storage::Encoder& e, const std::vector<std::string>& values) {
  e.U64(values.size());
  for (const auto& v : values) e.Str(v);
}
std::vector<std::string> DecodeStrings(storage::Decoder& r) {
  std::vector<std::string> values(std::min<uint64_t>(r.U64(), r.remaining()));
  for (auto& v : values) v = r.Str();
  return values;
}

void EncodeRow(storage::Encoder& e, const Account& row) {
  const auto& d = row.data;
  e.Str(d.name);
  EncodeStrings(e, d.domains);
  e.U64(static_cast<uint64_t>(d.relationship)).OptStr(d.owner_id).U64(static_cast<uint64_t>(d.icp_tier));
  EncodeStrings(e, d.target_of);
}
void DecodeRow(storage::Decoder& r, std::string_view id, Account& row) {
  auto& d = row.data;
  d.account_id = std::string(id);
  d.name = r.Str();
  d.domains = DecodeStrings(r);
  d.relationship = static_cast<ingest::Relationship>(r.U64());
  d.owner_id = r.OptStr();
  d.icp_tier = static_cast<ingest::IcpTier>(r.U64());
  d.target_of = DecodeStrings(r);
  row.email_domains.clear();
  for (const auto& raw : d.domains) {
    std::string domain = EmailDomain("@" + raw);
    if (!domain.empty()) row.email_domains.push_back(std::move(domain));
  }
}

void EncodeRow(storage::Encoder& e, const Contact& row) {
  e.Str(row.data.account_id).OptStr(row.data.email).U64(static_cast<uint64_t>(row.data.buying_role));
}
void DecodeRow(storage::Decoder& r, std::string_view id, Contact& row) {
  row.data.contact_id = std::string(id);
  row.data.account_id = r.Str();
  row.data.email = r.OptStr();
  row.data.buying_role = static_cast<ingest::BuyingRole>(r.U64());
}

template <typename Row>
std::string EncodeVersions(const Versions<Row>& versions) {
  storage::Encoder e;
  e.U64(kFormat).I64(versions.first).U64(versions.rows.size());
  for (const Row& row : versions.rows) {
    e.I64(row.updated).U64(row.version);
    EncodeRow(e, row);
  }
  return e.Take();
}

template <typename Row>
std::shared_ptr<Versions<Row>> DecodeVersions(std::string_view id, std::string_view value) {
  storage::Decoder r(value);
  auto versions = std::make_shared<Versions<Row>>();
  if (r.U64() != kFormat) throw std::runtime_error("org tables: unknown record format");
  versions->first = r.I64();
  versions->rows.resize(std::min<uint64_t>(r.U64(), r.remaining()));
  for (Row& row : versions->rows) {
    row.updated = r.I64();
    row.version = r.U64();
    DecodeRow(r, id, row);
  }
  if (!r.ok()) throw std::runtime_error("org tables: corrupt record of " + std::string(id));
  return versions;
}

/// Drops the versions superseded at or before `horizon`: the one in force then is kept.
template <typename Row>
void PruneRows(std::vector<Row>& rows, Timestamp horizon) {
  size_t keep_from = 0;
  while (keep_from + 1 < rows.size() && rows[keep_from + 1].updated <= horizon) ++keep_from;
  rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep_from));
}

/// Appends a snapshot to an entity's versions, dropping those superseded at or before the
/// horizon; one at the time of the latest replaces it (the later read wins), an older one is
/// stale. Returns the row written, or null when stale.
template <typename Row, typename Data>
Row* AppendVersion(Versions<Row>& versions, const Data& data, Timestamp time, uint64_t version,
                   Timestamp horizon) {
  auto& rows = versions.rows;
  if (!rows.empty() && time < rows.back().updated) return nullptr;
  if (rows.empty()) versions.first = time;
  PruneRows(rows, horizon);
  if (rows.empty() || time > rows.back().updated) rows.emplace_back();
  Row& row = rows.back();
  row.data = data;
  row.updated = time;
  row.version = version;
  return &row;
}

void Index(StringMap<std::vector<std::string>>& index, const std::string& domain,
           const std::string& id) {
  if (domain.empty()) return;
  auto& ids = index[domain];
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

void Check(const Status& s) {
  if (!s.ok()) throw std::runtime_error("org tables: " + s.message());
}

}  // namespace

std::string EmailDomain(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 >= address.size()) return {};
  std::string domain(address.substr(at + 1));
  for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return domain;
}

OrgTables::OrgTables(storage::KvStore* store, size_t cache_entries)
    : own_store_(store ? nullptr : std::make_unique<storage::MemoryKvStore>()),
      store_(store ? store : own_store_.get()),
      accounts_{std::string(kAccounts), LruCache<Shared<Account>>(cache_entries)},
      contacts_{std::string(kContacts), LruCache<Shared<Contact>>(cache_entries)},
      domains_(cache_entries) {
  // Rebuilt from the topic at each start: whatever an earlier run left goes first.
  std::string end(kPrefix);
  end.back() = static_cast<char>(end.back() + 1);
  Check(store_->DeleteRangeUnlogged(kPrefix, end));
}

OrgTables::~OrgTables() = default;

bool OrgTables::MarkSeen(std::string_view source, std::string_view id) {
  std::string key(kSeen);
  key.append(source).push_back('\x1f');
  key.append(id);
  if (store_->Get(key)) return false;
  storage::WriteBatch batch;
  batch.Put(key, "");
  Check(store_->WriteUnlogged(batch));
  return true;
}

template <typename Row>
OrgTables::Shared<Row> OrgTables::Load(const StoredTable<Row>& table, std::string_view id) const {
  if (const Shared<Row>* cached = table.cache.Find(id)) return *cached;
  Shared<Row> versions;
  if (auto value = store_->Get(table.prefix + std::string(id))) {
    versions = DecodeVersions<Row>(id, *value);
  }
  table.cache.Put(id, versions);
  return versions;
}

/// A stored entity's versions with a snapshot appended (AppendVersion), or null when it is stale.
template <typename Row, typename Data>
std::shared_ptr<Versions<Row>> OrgTables::Upsert(StoredTable<Row>& table, const std::string& id,
                                                 const Data& data, Timestamp time,
                                                 uint64_t version) {
  const Shared<Row> current = Load(table, id);
  auto next = current ? std::make_shared<Versions<Row>>(*current) : std::make_shared<Versions<Row>>();
  if (!AppendVersion(*next, data, time, version, horizon_)) return nullptr;
  return next;
}

ApplyOutcome OrgTables::Apply(const ingest::Event& event) {
  const uint64_t version = version_ + 1;
  switch (event.type) {
    case ingest::EventType::kUserUpserted: {
      const auto& d = event.As<ingest::UserUpserted>();
      User* row = AppendVersion(users_[d.user_id], d, event.time, version, horizon_);
      if (!row) return ApplyOutcome::kStale;
      row->email_domain = EmailDomain(d.email);
      Index(users_by_domain_, row->email_domain, d.user_id);
      Log(event.type, d.user_id, event.time);
      break;
    }
    case ingest::EventType::kAccountUpserted: {
      const auto& d = event.As<ingest::AccountUpserted>();
      auto next = Upsert(accounts_, d.account_id, d, event.time, version);
      if (!next) return ApplyOutcome::kStale;
      Account& row = next->rows.back();
      row.email_domains.clear();
      for (const auto& raw : d.domains) {
        std::string domain = EmailDomain("@" + raw);
        if (domain.empty()) continue;
        std::string key(kDomains);
        key.append(domain).push_back('\x1f');
        key.append(d.account_id);
        batch_.Put(key, "");
        if (auto* ids = domains_.Find(domain)) {
          if (std::find(ids->begin(), ids->end(), d.account_id) == ids->end()) ids->push_back(d.account_id);
        }
        row.email_domains.push_back(std::move(domain));
      }
      batch_.Put(accounts_.prefix + d.account_id, EncodeVersions(*next));
      accounts_.cache.Put(d.account_id, std::move(next));
      Log(event.type, d.account_id, event.time);
      break;
    }
    case ingest::EventType::kContactUpserted: {
      const auto& d = event.As<ingest::ContactUpserted>();
      auto next = Upsert(contacts_, d.contact_id, d, event.time, version);
      if (!next) return ApplyOutcome::kStale;
      batch_.Put(contacts_.prefix + d.contact_id, EncodeVersions(*next));
      contacts_.cache.Put(d.contact_id, std::move(next));
      Log(event.type, d.contact_id, event.time);
      break;
    }
    default:
      return ApplyOutcome::kApplied;  // not an org table event: nothing to hold
  }
  Write();
  version_ = version;
  latest_time_ = std::max(latest_time_, event.time);
  return ApplyOutcome::kApplied;
}

std::vector<OrgChange> OrgTables::Forget(const std::string& id) {
  std::vector<OrgChange> changes;
  auto forget = [&](ingest::EventType type, Timestamp latest) {
    Log(type, id, latest);
    version_ += 1;
    changes.push_back(*last_change_);
  };
  if (auto it = users_.find(id); it != users_.end()) {
    const Timestamp latest = it->second.rows.empty() ? kNoTime : it->second.rows.back().updated;
    users_.erase(it);
    forget(ingest::EventType::kUserUpserted, latest);
  }
  if (auto account = Load(accounts_, id)) {
    batch_.Delete(accounts_.prefix + id);
    for (const Account& row : account->rows) {
      for (const auto& domain : row.email_domains) {
        batch_.Delete(std::string(kDomains) + domain + '\x1f' + id);
        if (auto* ids = domains_.Find(domain)) std::erase(*ids, id);
      }
    }
    accounts_.cache.Put(id, nullptr);
    forget(ingest::EventType::kAccountUpserted, account->rows.back().updated);
  }
  if (auto contact = Load(contacts_, id)) {
    batch_.Delete(contacts_.prefix + id);
    contacts_.cache.Put(id, nullptr);
    forget(ingest::EventType::kContactUpserted, contact->rows.back().updated);
  }
  Write();
  return changes;
}

std::vector<std::string> OrgTables::AccountsWithDomain(std::string_view domain) const {
  if (const auto* ids = domains_.Find(domain)) return *ids;
  std::string prefix(kDomains);
  prefix.append(domain).push_back('\x1f');
  std::vector<std::string> ids;
  Check(store_->Scan(prefix, [&](std::string_view key, std::string_view) {
    ids.emplace_back(key.substr(prefix.size()));
  }));
  domains_.Put(domain, ids);
  return ids;
}

void OrgTables::Log(ingest::EventType type, const std::string& id, Timestamp time) {
  const OrgChange change{type, id, time, version_ + 1};
  std::string value(1, static_cast<char>(type));
  value.append(id);
  batch_.Put(LogKey(change.key()), value);
  if (time >= pending_floor_) pending_.insert(change.key());
  last_change_ = change;
}

void OrgTables::Write() {
  Check(store_->WriteUnlogged(batch_));
  batch_.Clear();
}

std::vector<OrgChange> OrgTables::ChangesBetween(OrgChangeKey after, Timestamp until) const {
  std::vector<OrgChange> changes;
  if (after.first > until) return changes;
  if (after.first >= pending_floor_) {
    // Every key from the floor on is in memory: the store is read only for changes to deliver.
    for (auto it = pending_.upper_bound(after); it != pending_.end() && it->first <= until; ++it) {
      auto value = store_->Get(LogKey(*it));
      if (!value || value->empty()) throw std::runtime_error("org tables: change log entry missing");
      changes.push_back({static_cast<ingest::EventType>((*value)[0]), value->substr(1), it->first,
                         it->second});
    }
    return changes;
  }
  std::string from = LogKey(after);
  from.push_back('\0');  // just after `after`
  Check(store_->ScanFrom(kLog, from, [&](std::string_view key, std::string_view value) {
    const OrgChangeKey at = LogKeyOf(key);
    if (at.first > until) return false;
    changes.push_back({static_cast<ingest::EventType>(value[0]), std::string(value.substr(1)),
                       at.first, at.second});
    return true;
  }));
  return changes;
}

Timestamp OrgTables::NextChangeAfter(Timestamp time) const {
  if (time >= pending_floor_) {
    auto it = pending_.upper_bound({time, UINT64_MAX});
    return it == pending_.end() ? kNoTime : it->first;
  }
  Timestamp next = kNoTime;
  Check(store_->ScanFrom(kLog, LogKey({time + 1, 0}), [&](std::string_view key, std::string_view) {
    next = LogKeyOf(key).first;
    return false;
  }));
  return next;
}

void OrgTables::Prune(Timestamp before) {
  if (before <= horizon_) return;
  horizon_ = before;
  for (auto& [id, versions] : users_) PruneRows(versions.rows, horizon_);
  // A task whose time is behind `before` still hears of the later changes; earlier ones are in
  // the versions kept.
  Check(store_->DeleteRangeUnlogged(kLog, LogKey({before, 0})));
  if (last_change_ && last_change_->time < before) last_change_.reset();
  KeepPendingFrom(before);
}

void OrgTables::KeepPendingFrom(Timestamp time) {
  if (time <= pending_floor_) return;
  pending_floor_ = time;
  pending_.erase(pending_.begin(), pending_.lower_bound({time, 0}));
}

void OrgView::ForEachAccount(
    const std::function<void(const std::string&, const Account&)>& visit) const {
  std::string id;
  Check(tables_->store_->Scan(kAccounts, [&](std::string_view key, std::string_view value) {
    id.assign(key.substr(kAccounts.size()));
    const auto versions = DecodeVersions<Account>(id, value);
    if (const Account* row = OrgTables::RowAsOf(*versions, time_, tables_->horizon_)) visit(id, *row);
  }));
}

std::string_view OrgView::TeamOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? std::string_view(user->data.team) : kUnknown;
}

std::string_view OrgView::RoleOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? ingest::Name(user->data.role, ingest::kRoleNames) : kUnknown;
}

OrgView::DomainKind OrgView::KindOfDomain(std::string_view domain) const {
  const std::vector<std::string> ids = tables_->AccountsWithDomain(domain);
  DomainKind kind = DomainKind::kNone;
  for (const std::string& id : ids) {
    const auto account = FindAccount(id);
    if (!account || !account->HasDomain(domain)) continue;
    if (account->data.relationship == ingest::Relationship::kCustomer) return DomainKind::kCustomer;
    kind = DomainKind::kAccount;
  }
  return kind;
}

bool OrgView::IsUserDomain(std::string_view domain) const {
  auto it = tables_->users_by_domain_.find(domain);
  if (it == tables_->users_by_domain_.end()) return false;
  for (const std::string& id : it->second) {
    const User* user = FindUser(id);
    if (user && user->email_domain == domain) return true;
  }
  return false;
}

}  // namespace huntline::processors
