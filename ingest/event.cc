#include "ingest/event.h"

namespace huntline::ingest {

TopicKind TopicOf(EventType type) {
  switch (type) {
    case EventType::kUserUpserted:
    case EventType::kAccountUpserted:
    case EventType::kContactUpserted:
      return TopicKind::kOrg;
    case EventType::kLeadUpserted:
    case EventType::kOpportunityUpserted:
    case EventType::kActivityLogged:
      return TopicKind::kCrm;
    case EventType::kCalendarEventUpserted:
    case EventType::kCalendarEventCancelled:
    case EventType::kTaskAssigned:
      return TopicKind::kPeople;
  }
  return TopicKind::kCrm;
}

std::string KeyOf(const Event& event) {
  struct Visitor {
    std::string operator()(const UserUpserted& d) const { return d.user_id; }
    std::string operator()(const AccountUpserted& d) const { return d.account_id; }
    std::string operator()(const ContactUpserted& d) const { return d.contact_id; }
    std::string operator()(const LeadUpserted& d) const {
      return d.account_id ? *d.account_id : "lead:" + d.lead_id;
    }
    std::string operator()(const OpportunityUpserted& d) const { return d.account_id; }
    std::string operator()(const ActivityLogged& d) const {
      return d.account_id ? *d.account_id : "lead:" + d.lead_id.value_or("");
    }
    std::string operator()(const CalendarEventUpserted& d) const { return d.calendar_id; }
    std::string operator()(const CalendarEventCancelled& d) const { return d.calendar_id; }
    std::string operator()(const TaskAssigned& d) const { return d.assignee_id; }
  };
  return std::visit(Visitor{}, event.data);
}

}  // namespace huntline::ingest
