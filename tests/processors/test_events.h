#pragma once

#include <string>

#include "ingest/event.h"

namespace huntline::processors::testing {

/// Small builders for unit tests: the fewest fields each rule needs, the rest defaulted.
inline Timestamp At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

inline ingest::Event Wrap(ingest::EventType type, Timestamp time, ingest::EventData data,
                          std::string id = "e") {
  return ingest::Event{std::move(id), "test", type, time, std::move(data)};
}

inline ingest::Event MakeUser(std::string id, ingest::Role role, std::string team,
                          std::optional<std::string> manager = std::nullopt,
                          Timestamp time = 0) {
  ingest::UserUpserted u{id, id, id + "@acme.example", role, std::move(team), std::move(manager),
                         "UTC", std::nullopt, true};
  return Wrap(ingest::EventType::kUserUpserted, time, u, "user-" + id);
}

inline ingest::Event MakeAccount(std::string id, ingest::Relationship rel, ingest::IcpTier tier,
                             std::vector<std::string> target_of = {}, Timestamp time = 0) {
  ingest::AccountUpserted a{id, id, {id + ".example"}, rel, std::nullopt, tier, std::move(target_of)};
  return Wrap(ingest::EventType::kAccountUpserted, time, a, "account-" + id);
}

inline ingest::LeadUpserted MakeLead(std::string id, std::optional<std::string> account,
                                 ingest::LeadSource source, ingest::LeadStatus status) {
  return ingest::LeadUpserted{std::move(id), std::move(account), "u-rep", source, status,
                              std::nullopt};
}

inline ingest::OpportunityUpserted MakeOpportunity(std::string id, std::string account,
                                               ingest::Stage stage,
                                               ingest::OpportunityType type =
                                                   ingest::OpportunityType::kNewBusiness) {
  ingest::OpportunityUpserted o;
  o.opportunity_id = std::move(id);
  o.account_id = std::move(account);
  o.owner_id = "u-rep";
  o.type = type;
  o.origin = ingest::Origin::kSellerSourced;
  o.stage = stage;
  o.amount = 1000;
  o.close_date = *ParseDate("2026-09-30");
  o.created_at = 0;
  return o;
}

inline ingest::ActivityLogged MakeActivity(std::optional<std::string> account,
                                       std::optional<std::string> lead = std::nullopt,
                                       ingest::Direction direction = ingest::Direction::kOutbound,
                                       std::string actor = "u-rep") {
  ingest::ActivityLogged a;
  a.activity_id = "act";
  a.actor_id = std::move(actor);
  a.account_id = std::move(account);
  a.lead_id = std::move(lead);
  a.channel = ingest::Channel::kCall;
  a.direction = direction;
  a.outcome = ingest::ActivityOutcome::kConnected;
  return a;
}

inline ingest::Event MakeContact(std::string id, std::string account, ingest::BuyingRole role,
                                 Timestamp time = 0) {
  ingest::ContactUpserted c{id, std::move(account), std::nullopt, role};
  return Wrap(ingest::EventType::kContactUpserted, time, c, "contact-" + id + "-" + std::to_string(time));
}

/// An account snapshot with an owner (the other fields as MakeAccount).
inline ingest::Event MakeOwnedAccount(std::string id, ingest::Relationship rel, std::string owner,
                                      std::vector<std::string> target_of = {}, Timestamp time = 0) {
  ingest::Event e = MakeAccount(std::move(id), rel, ingest::IcpTier::kB, std::move(target_of), time);
  std::get<ingest::AccountUpserted>(e.data).owner_id = std::move(owner);
  e.id += "-" + std::to_string(time);
  return e;
}

inline constexpr Timestamp Days(int n) { return static_cast<Timestamp>(n) * kMillisPerDay; }

}  // namespace huntline::processors::testing
