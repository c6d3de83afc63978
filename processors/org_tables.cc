#include "processors/org_tables.h"

#include <cctype>

namespace huntline::processors {
namespace {

template <typename Row, typename Data>
ApplyOutcome Upsert(StringMap<Row>& table, const std::string& key, const Data& data, Timestamp time) {
  auto [it, inserted] = table.try_emplace(key);
  if (!inserted && time < it->second.updated) return ApplyOutcome::kStale;
  it->second.data = data;
  it->second.updated = time;
  return ApplyOutcome::kApplied;
}

template <typename Map>
void Count(Map& map, const std::string& key, int delta) {
  if (key.empty()) return;
  auto& count = map[key];
  count += delta;
  if (count == 0) map.erase(key);
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
  ApplyOutcome outcome = ApplyOutcome::kStale;
  switch (event.type) {
    case ingest::EventType::kUserUpserted: {
      const auto& d = event.As<ingest::UserUpserted>();
      const User* before = FindUser(d.user_id);
      const std::string old_domain = before ? EmailDomain(before->data.email) : std::string();
      outcome = Upsert(users_, d.user_id, d, event.time);
      if (outcome == ApplyOutcome::kApplied) {
        Count(user_domains_, old_domain, -1);
        Count(user_domains_, EmailDomain(d.email), +1);
      }
      break;
    }
    case ingest::EventType::kAccountUpserted: {
      const auto& d = event.As<ingest::AccountUpserted>();
      const Account* before = FindAccount(d.account_id);
      std::optional<ingest::AccountUpserted> old;
      if (before) old = before->data;
      outcome = Upsert(accounts_, d.account_id, d, event.time);
      if (outcome == ApplyOutcome::kApplied) {
        if (old) IndexDomains(*old, -1);
        IndexDomains(d, +1);
      }
      break;
    }
    case ingest::EventType::kContactUpserted: {
      const auto& d = event.As<ingest::ContactUpserted>();
      outcome = Upsert(contacts_, d.contact_id, d, event.time);
      break;
    }
    default:
      return ApplyOutcome::kApplied;  // not an org table event: nothing to hold
  }
  if (outcome == ApplyOutcome::kApplied) ++version_;
  return outcome;
}

void OrgTables::IndexDomains(const ingest::AccountUpserted& account, int sign) {
  const bool customer = account.relationship == ingest::Relationship::kCustomer;
  for (const auto& raw : account.domains) {
    std::string domain = EmailDomain("@" + raw);
    if (domain.empty()) continue;
    auto& count = account_domains_[domain];
    count.accounts += sign;
    if (customer) count.customers += sign;
    if (count.accounts == 0) account_domains_.erase(domain);
  }
}

OrgTables::DomainKind OrgTables::KindOfDomain(std::string_view domain) const {
  auto it = account_domains_.find(domain);
  if (it == account_domains_.end()) return DomainKind::kNone;
  return it->second.customers > 0 ? DomainKind::kCustomer : DomainKind::kAccount;
}

bool OrgTables::IsUserDomain(std::string_view domain) const {
  return user_domains_.contains(domain);
}

std::string_view OrgTables::TeamOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? std::string_view(user->data.team) : kUnknown;
}

std::string_view OrgTables::RoleOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? ingest::Name(user->data.role, ingest::kRoleNames) : kUnknown;
}

}  // namespace huntline::processors
