#include "processors/org_tables.h"

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

}  // namespace

ApplyOutcome OrgTables::Apply(const ingest::Event& event) {
  ApplyOutcome outcome = ApplyOutcome::kStale;
  switch (event.type) {
    case ingest::EventType::kUserUpserted: {
      const auto& d = event.As<ingest::UserUpserted>();
      outcome = Upsert(users_, d.user_id, d, event.time);
      break;
    }
    case ingest::EventType::kAccountUpserted: {
      const auto& d = event.As<ingest::AccountUpserted>();
      outcome = Upsert(accounts_, d.account_id, d, event.time);
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

std::string_view OrgTables::TeamOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? std::string_view(user->data.team) : kUnknown;
}

std::string_view OrgTables::RoleOf(std::string_view user_id) const {
  const User* user = FindUser(user_id);
  return user ? ingest::Name(user->data.role, ingest::kRoleNames) : kUnknown;
}

}  // namespace huntline::processors
