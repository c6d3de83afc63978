#include "processors/org_tables.h"

#include <cctype>

namespace huntline::processors {
namespace {

/// Appends a snapshot to an entity's versions; one at the time of the latest replaces it (the
/// later read wins), an older one is stale. Returns the row written, or null when stale.
template <typename Row, typename Data>
Row* Upsert(StringMap<Versions<Row>>& table, const std::string& id, const Data& data,
            Timestamp time, uint64_t version, std::multiset<Timestamp>& times) {
  auto& versions = table[id];
  auto& rows = versions.rows;
  if (!rows.empty() && time < rows.back().updated) return nullptr;
  if (rows.empty() && !versions.pruned) versions.first = time;
  if (rows.empty() || time > rows.back().updated) {
    rows.emplace_back();
    times.insert(time);
  }
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

/// Keeps the version in force at `before` and every later one; returns the times dropped.
template <typename Row>
void PruneVersions(StringMap<Versions<Row>>& table, Timestamp before,
                   std::multiset<Timestamp>& times) {
  for (auto& [id, versions] : table) {
    auto& rows = versions.rows;
    size_t keep_from = 0;
    while (keep_from + 1 < rows.size() && rows[keep_from + 1].updated <= before) ++keep_from;
    if (keep_from == 0) continue;
    for (size_t i = 0; i < keep_from; ++i) times.erase(times.find(rows[i].updated));
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep_from));
    versions.pruned = true;
  }
}

}  // namespace

std::string EmailDomain(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 >= address.size()) return {};
  std::string domain(address.substr(at + 1));
  for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return domain;
}

ApplyOutcome OrgTables::Apply(const ingest::Event& event) {
  const uint64_t version = version_ + 1;
  switch (event.type) {
    case ingest::EventType::kUserUpserted: {
      const auto& d = event.As<ingest::UserUpserted>();
      User* row = Upsert(users_, d.user_id, d, event.time, version, version_times_);
      if (!row) return ApplyOutcome::kStale;
      row->email_domain = EmailDomain(d.email);
      Index(users_by_domain_, row->email_domain, d.user_id);
      Log(event.type, d.user_id, event.time);
      break;
    }
    case ingest::EventType::kAccountUpserted: {
      const auto& d = event.As<ingest::AccountUpserted>();
      Account* row = Upsert(accounts_, d.account_id, d, event.time, version, version_times_);
      if (!row) return ApplyOutcome::kStale;
      row->email_domains.clear();
      for (const auto& raw : d.domains) {
        std::string domain = EmailDomain("@" + raw);
        if (domain.empty()) continue;
        Index(accounts_by_domain_, domain, d.account_id);
        row->email_domains.push_back(std::move(domain));
      }
      Log(event.type, d.account_id, event.time);
      break;
    }
    case ingest::EventType::kContactUpserted: {
      const auto& d = event.As<ingest::ContactUpserted>();
      if (!Upsert(contacts_, d.contact_id, d, event.time, version, version_times_)) {
        return ApplyOutcome::kStale;
      }
      Log(event.type, d.contact_id, event.time);
      break;
    }
    default:
      return ApplyOutcome::kApplied;  // not an org table event: nothing to hold
  }
  version_ = version;
  latest_time_ = std::max(latest_time_, event.time);
  return ApplyOutcome::kApplied;
}

void OrgTables::Log(ingest::EventType type, const std::string& id, Timestamp time) {
  const uint64_t seq = version_ + 1;
  auto [it, inserted] = changes_.try_emplace({time, seq}, OrgChange{type, id, time, seq});
  last_change_ = &it->second;
}

Timestamp OrgTables::NextChangeAfter(Timestamp time) const {
  auto it = version_times_.upper_bound(time);
  return it == version_times_.end() ? kNoTime : *it;
}

void OrgTables::Prune(Timestamp before) {
  PruneVersions(users_, before, version_times_);
  PruneVersions(accounts_, before, version_times_);
  PruneVersions(contacts_, before, version_times_);
  // A task whose time is behind `before` still hears of the later changes; earlier ones are in
  // the versions kept.
  for (auto it = changes_.begin(); it != changes_.end() && it->first.first < before;) {
    if (&it->second == last_change_) last_change_ = nullptr;
    it = changes_.erase(it);
  }
}

size_t OrgTables::version_count() const { return version_times_.size(); }

std::string_view OrgView::TeamOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? std::string_view(user->data.team) : kUnknown;
}

std::string_view OrgView::RoleOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? ingest::Name(user->data.role, ingest::kRoleNames) : kUnknown;
}

OrgView::DomainKind OrgView::KindOfDomain(std::string_view domain) const {
  auto it = tables_->accounts_by_domain_.find(domain);
  if (it == tables_->accounts_by_domain_.end()) return DomainKind::kNone;
  DomainKind kind = DomainKind::kNone;
  for (const std::string& id : it->second) {
    const Account* account = FindAccount(id);
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
