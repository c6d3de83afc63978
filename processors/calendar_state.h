#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/recurrence.h"
#include "common/status.h"
#include "common/string_map.h"
#include "common/time.h"
#include "ingest/event.h"

namespace huntline::processors {

/// Which occurrence of a calendar entity: versions of a series correspond by the local date of
/// an occurrence (in the series' zone) and its order within that date (metrics.md). A single,
/// non-recurring event has one occurrence, `Single()`.
struct OccurrenceKey {
  calendar::LocalDate date;
  int order = 0;
  static OccurrenceKey Single() { return {{}, -1}; }
  auto operator<=>(const OccurrenceKey&) const = default;
};

/// Expansions of recurring versions, by rule, start, zone and exclusions: each series is
/// expanded once as engine time moves on, not at every look.
using ExpansionCache = std::map<std::string, std::unique_ptr<calendar::Expansion>, std::less<>>;

/// One change to a calendar entity, in arrival order: an upsert (a version) or a cancellation.
/// Occurrence-level changes (an event replacing one occurrence, a cancellation of one
/// occurrence) carry the occurrence's start in the series.
struct CalendarAction {
  uint64_t seq = 0;  // processing order within the task
  std::string author;  // updated_by / cancelled_by, else the calendar's owner
  bool cancel = false;
  std::optional<Timestamp> original_start;  // set: this changes one occurrence only
  std::optional<ingest::CalendarEventUpserted> version;  // set for an upsert
};

/// A calendar event of one person as every change wrote it: a single event, or a series with
/// the events that replace some of its occurrences. Kept whole so that an occurrence's reference
/// version (the owner's latest) and current version (anyone's latest) can be told apart.
struct CalendarEntity {
  Timestamp updated = kNoTime;  // time of the latest entity-level upsert (stale-snapshot rule)
  std::vector<CalendarAction> actions;
  /// Events that replace one occurrence: their event id → time of their latest upsert.
  std::map<std::string, Timestamp, std::less<>> replacements;
  /// Occurrences whose figures were settled (or that arrived too late to be), by what settled.
  enum Settled : uint8_t { kBlockSettled = 1, kMeetingSettled = 2 };
  std::map<OccurrenceKey, uint8_t> settled;
};

/// An interval of time, `[start, end)`, with the version that gave it.
struct Placement {
  Timestamp start = 0;
  Timestamp end = 0;
  const ingest::CalendarEventUpserted* version = nullptr;
};

/// One occurrence as things stand: its reference placement (the owner's latest version; none
/// when the owner never wrote it, cancelled it, or his version has no such occurrence), its
/// current placement (the latest version; none when cancelled or absent) and who made the
/// latest change.
struct Occurrence {
  std::string entity_id;
  OccurrenceKey key;
  std::optional<Placement> reference;
  std::optional<Placement> current;
  std::string author;
};

/// The calendar and tasks of one person, as their partition's task holds them.
/// Owned by the protected-time processor; used on the task's thread only.
class PersonCalendar {
 public:
  enum class Change : uint8_t { kApplied, kStale };

  /// Applies an upsert or a cancellation of this person's calendar; `seq` orders them.
  Change Upsert(const ingest::CalendarEventUpserted& event, Timestamp time, uint64_t seq);
  void Cancel(const ingest::CalendarEventCancelled& event, uint64_t seq);
  /// Records a task assigned to this person (a repeated task id replaces the earlier one).
  void AddTask(const ingest::TaskAssigned& task, Timestamp time);

  /// Every occurrence whose reference or current placement starts before `to` and ends after
  /// `from`. Series are expanded only within the window (and around replaced occurrences);
  /// `owner_timezone` is used for a series without a zone of its own.
  std::vector<Occurrence> Occurrences(std::string_view owner, std::string_view owner_timezone,
                                      Timestamp from, Timestamp to) const;

  struct Task {
    ingest::TaskAssigned data;
    Timestamp time = 0;
  };
  const std::map<std::string, Task, std::less<>>& tasks() const { return tasks_; }
  std::map<std::string, CalendarEntity, std::less<>>& entities() { return entities_; }
  const std::map<std::string, CalendarEntity, std::less<>>& entities() const { return entities_; }

  /// Forgets single events and tasks that ended before `before`, and the settled marks of
  /// series occurrences on dates before `settled_before`; returns the ids forgotten (each
  /// prefixed "e/" or "k/") so their records can be deleted.
  std::vector<std::string> Prune(Timestamp before, Timestamp settled_before);

  /// Persistence: one record per entity and per task.
  static std::string EncodeEntity(const CalendarEntity& entity);
  static std::string EncodeTask(const Task& task);
  Status RestoreEntity(std::string_view id, std::string_view value);
  Status RestoreTask(std::string_view id, std::string_view value);

  /// Entity and task ids changed since the last TakeDirty().
  std::vector<std::string> TakeDirtyEntities();
  std::vector<std::string> TakeDirtyTasks();
  void MarkDirty(const std::string& entity_id) { dirty_entities_.push_back(entity_id); }

 private:
  std::map<std::string, CalendarEntity, std::less<>> entities_;
  /// Event id of a replacing event → the series it belongs to.
  std::map<std::string, std::string, std::less<>> replacement_series_;
  std::map<std::string, Task, std::less<>> tasks_;
  std::vector<std::string> dirty_entities_;
  std::vector<std::string> dirty_tasks_;
  mutable ExpansionCache expansions_;  // derived, never persisted
};

}  // namespace huntline::processors
