#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/time.h"

namespace huntline::ingest {

/// The contract's closed vocabularies (events.md). Each enum's names are listed in the array of
/// the same name, in declaration order, so `Name(value)` and `ParseEnum()` stay in step.
enum class EventType : uint8_t {
  kUserUpserted,
  kAccountUpserted,
  kContactUpserted,
  kLeadUpserted,
  kOpportunityUpserted,
  kActivityLogged,
  kCalendarEventUpserted,
  kCalendarEventCancelled,
  kTaskAssigned,
};
inline constexpr std::array<std::string_view, 9> kEventTypeNames = {
    "org.user.upserted",        "crm.account.upserted",    "crm.contact.upserted",
    "crm.lead.upserted",        "crm.opportunity.upserted", "crm.activity.logged",
    "calendar.event.upserted",  "calendar.event.cancelled", "crm.task.assigned"};

enum class Role : uint8_t { kSdr, kRep, kAccountManager, kManager, kExecutive };
inline constexpr std::array<std::string_view, 5> kRoleNames = {"sdr", "rep", "account_manager",
                                                               "manager", "executive"};

enum class Relationship : uint8_t { kProspect, kCustomer, kFormerCustomer, kPartner };
inline constexpr std::array<std::string_view, 4> kRelationshipNames = {
    "prospect", "customer", "former_customer", "partner"};

enum class IcpTier : uint8_t { kA, kB, kC, kNone };
inline constexpr std::array<std::string_view, 4> kIcpTierNames = {"A", "B", "C", "none"};

enum class BuyingRole : uint8_t {
  kDecisionMaker,
  kBudgetHolder,
  kChampion,
  kInfluencer,
  kUser,
  kGatekeeper,
  kUnknown
};
inline constexpr std::array<std::string_view, 7> kBuyingRoleNames = {
    "decision_maker", "budget_holder", "champion", "influencer", "user", "gatekeeper", "unknown"};

enum class LeadSource : uint8_t { kOutbound, kInbound, kReferral, kEvent, kPartner, kRfp };
inline constexpr std::array<std::string_view, 6> kLeadSourceNames = {
    "outbound", "inbound", "referral", "event", "partner", "rfp"};

enum class LeadStatus : uint8_t {
  kOpen,
  kWorking,
  kNurture,
  kQualified,
  kDisqualified,
  kConverted
};
inline constexpr std::array<std::string_view, 6> kLeadStatusNames = {
    "open", "working", "nurture", "qualified", "disqualified", "converted"};

enum class OpportunityType : uint8_t { kNewBusiness, kExpansion, kRenewal };
inline constexpr std::array<std::string_view, 3> kOpportunityTypeNames = {"new_business",
                                                                          "expansion", "renewal"};

enum class Origin : uint8_t { kSellerSourced, kInbound, kRfp, kPartner };
inline constexpr std::array<std::string_view, 4> kOriginNames = {"seller_sourced", "inbound",
                                                                 "rfp", "partner"};

enum class Stage : uint8_t {
  kProspecting,
  kDiscovery,
  kSolution,
  kProposal,
  kNegotiation,
  kClosedWon,
  kClosedLost
};
inline constexpr std::array<std::string_view, 7> kStageNames = {
    "prospecting", "discovery", "solution", "proposal", "negotiation", "closed_won", "closed_lost"};
constexpr bool IsOpen(Stage s) { return s != Stage::kClosedWon && s != Stage::kClosedLost; }

enum class LossReason : uint8_t { kCompetitor, kNoDecision, kPrice, kTiming, kOther };
inline constexpr std::array<std::string_view, 5> kLossReasonNames = {
    "competitor", "no_decision", "price", "timing", "other"};

enum class Channel : uint8_t { kCall, kEmail, kMeeting, kSocial, kVideo, kEvent, kOther };
inline constexpr std::array<std::string_view, 7> kChannelNames = {
    "call", "email", "meeting", "social", "video", "event", "other"};

enum class Direction : uint8_t { kOutbound, kInbound };
inline constexpr std::array<std::string_view, 2> kDirectionNames = {"outbound", "inbound"};

enum class ActivityOutcome : uint8_t {
  kNoResponse,
  kConnected,
  kMeetingBooked,
  kNotInterested,
  kDisqualified,
  kReferral
};
inline constexpr std::array<std::string_view, 6> kActivityOutcomeNames = {
    "no_response", "connected", "meeting_booked", "not_interested", "disqualified", "referral"};

enum class Response : uint8_t { kAccepted, kTentative, kDeclined, kNeedsAction };
inline constexpr std::array<std::string_view, 4> kResponseNames = {"accepted", "tentative",
                                                                   "declined", "needs_action"};

enum class ShowAs : uint8_t { kBusy, kTentative, kFree };
inline constexpr std::array<std::string_view, 3> kShowAsNames = {"busy", "tentative", "free"};

enum class TaskKind : uint8_t { kCustomerIssue, kAdmin, kReport, kDealReview, kOther };
inline constexpr std::array<std::string_view, 5> kTaskKindNames = {
    "customer_issue", "admin", "report", "deal_review", "other"};

/// The name of an enum value, from the table above that matches its type.
template <typename E, size_t N>
constexpr std::string_view Name(E value, const std::array<std::string_view, N>& names) {
  return names[static_cast<size_t>(value)];
}

struct UserUpserted {
  std::string user_id;
  std::string name;
  std::string email;
  Role role;
  std::string team;
  std::optional<std::string> manager_id;
  std::string timezone;
  std::optional<double> quarterly_quota;
  bool active;
};

struct AccountUpserted {
  std::string account_id;
  std::string name;
  std::vector<std::string> domains;
  Relationship relationship;
  std::optional<std::string> owner_id;
  IcpTier icp_tier;
  std::vector<std::string> target_of;
};

struct ContactUpserted {
  std::string contact_id;
  std::string account_id;
  std::optional<std::string> email;
  BuyingRole buying_role;
};

struct LeadUpserted {
  std::string lead_id;
  std::optional<std::string> account_id;
  std::string owner_id;
  LeadSource source;
  LeadStatus status;
  std::optional<std::string> disqualify_reason;
};

struct OpportunityUpserted {
  std::string opportunity_id;
  std::string account_id;
  std::string owner_id;
  OpportunityType type;
  Origin origin;
  Stage stage;
  double amount;
  Day close_date;
  Timestamp created_at;
  std::optional<LossReason> loss_reason;
  std::optional<bool> customer_priority;
  std::optional<Day> customer_must_have_date;
};

struct ActivityLogged {
  std::string activity_id;
  std::string actor_id;
  std::optional<std::string> account_id;
  std::optional<std::string> lead_id;
  std::optional<std::string> opportunity_id;
  std::optional<std::string> contact_id;
  Channel channel;
  Direction direction;
  ActivityOutcome outcome;
  std::optional<double> duration_s;
};

struct Attendee {
  std::string id_or_email;
  Response response;
};

struct CalendarEventUpserted {
  std::string calendar_id;
  std::string event_id;
  std::optional<std::string> series_id;
  std::optional<Timestamp> original_start;
  std::string organizer;
  std::vector<Attendee> attendees;
  Timestamp start;
  Timestamp end;
  ShowAs show_as;
  bool is_protected;
  std::optional<std::string> updated_by;
  std::optional<std::string> rrule;
  std::vector<Timestamp> exdates;
  std::optional<std::string> timezone;
  std::optional<std::string> title;
};

struct CalendarEventCancelled {
  std::string calendar_id;
  std::string event_id;
  std::optional<std::string> cancelled_by;
  std::optional<Timestamp> original_start;
};

struct TaskAssigned {
  std::string task_id;
  std::string assignee_id;
  std::string assigned_by;
  TaskKind kind;
  std::optional<std::string> account_id;
  std::optional<double> effort_minutes;
};

using EventData =
    std::variant<UserUpserted, AccountUpserted, ContactUpserted, LeadUpserted, OpportunityUpserted,
                 ActivityLogged, CalendarEventUpserted, CalendarEventCancelled, TaskAssigned>;

/// One decoded, validated CloudEvent. `data`'s alternative always matches `type`.
struct Event {
  std::string id;
  std::string source;
  EventType type;
  Timestamp time;
  EventData data;

  template <typename T>
  const T& As() const {
    return std::get<T>(data);
  }
};

/// Which input topic an event type travels on (events.md, "Topics and keys").
enum class TopicKind : uint8_t { kOrg, kCrm, kPeople };
inline constexpr std::array<std::string_view, 3> kTopicKindNames = {"org", "crm", "people"};
TopicKind TopicOf(EventType type);

/// The message key the contract gives an event: the entity id on `huntline.org`, the account (or
/// `lead:<id>`) on `huntline.crm`, the person on `huntline.people`.
std::string KeyOf(const Event& event);

}  // namespace huntline::ingest
