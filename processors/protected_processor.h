#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/string_map.h"
#include "processors/calendar_state.h"
#include "processors/processor.h"
#include "processors/protected_time.h"
#include "processors/timer_queue.h"

namespace huntline::processors {

/// Protected prospecting time, its interruptions, and meeting time by counterpart, for the people
/// of one `huntline.people` partition (metrics.md, "Protected prospecting time and its
/// interruptions" and "Time with whom").
///
/// Each person's calendar and tasks are kept whole (PersonCalendar). A block's or a meeting's
/// figures enter the counters once, when engine time passes its end plus the allowed lateness;
/// the person's event-time timer fires at the next such moment (and at the moments a block enters
/// or leaves the upcoming window), and Refresh() then looks at every occurrence around it. A
/// change that arrives after an occurrence settled is applied to state and the event counted
/// late. Upcoming conflicts are a gauge re-derived on every change to the person.
class ProtectedTimeProcessor : public Processor {
 public:
  struct Families {
    metrics::FamilyId protected_seconds, lost_seconds, interruptions;
    metrics::FamilyId manager_interruptions, manager_interruption_seconds, conflicts_upcoming;
    metrics::FamilyId meeting_seconds, leader_meeting_seconds;
  };
  static Families Declare(metrics::Catalog& catalog);

  explicit ProtectedTimeProcessor(Families families) : families_(families) {}
  std::string_view name() const override { return "protected"; }
  void Process(const ingest::Event& event, ProcessorContext& context) override;
  void OnTime(ProcessorContext& context) override;
  void OnOrgChange(const OrgChange& change, ProcessorContext& context) override;
  void Resume(ProcessorContext& context) override;
  void Flush(const std::function<void(std::string_view, std::string_view)>& put) override;
  Status Restore(std::string_view key, std::string_view value) override;

 private:
  struct Person {
    PersonCalendar calendar;
    /// What this person adds to the upcoming-conflicts gauge now: (team, cause) → blocks.
    std::map<std::pair<std::string, Cause>, int> upcoming;
    /// Team policies expanded in the person's zone (derived).
    ExpansionCache policy_expansions;
  };

  /// Settles the person's occurrences whose settlement time is in (settle_after, now], marks
  /// those at or before settle_after that never settled as late, re-derives upcoming conflicts
  /// and re-arms the person's timer. Occurrences are looked at from `reach` (or the settlement
  /// range) on. Returns whether something was marked late or `probe` falls in a block that has
  /// settled.
  bool Refresh(const std::string& person_id, ProcessorContext& context, Timestamp settle_after,
               std::optional<Timestamp> probe = std::nullopt, Timestamp reach = INT64_MAX);
  void RefreshWithConflicts(ProcessorContext& context);
  /// Creates the people of configured team policies that this task answers for.
  void AdoptPolicyMembers(ProcessorContext& context);
  Person& PersonOf(const std::string& id);

  Families families_;
  std::map<std::string, Person, std::less<>> persons_;
  TimerQueue timers_;
  Timestamp last_now_ = kNoTime;
  /// While engine time is unknown: the earliest moment an event was about.
  Timestamp known_from_ = INT64_MAX;
  bool meta_dirty_ = false;
  bool resume_pending_ = false;
  std::vector<std::string> deleted_;
};

void RegisterProtectedTimeProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
