#include "processors/calendar_state.h"

#include <algorithm>
#include <set>

#include "storage/codec.h"

namespace huntline::processors {
namespace {

constexpr uint64_t kEntityVersion = 1;
constexpr uint64_t kTaskVersion = 1;
/// Series are expanded this far beyond the window asked for, so that an occurrence's order
/// within its local date is counted over the whole date.
constexpr Timestamp kExpansionPad = 2 * kMillisPerDay;

const std::string& AuthorOr(const std::optional<std::string>& who, const std::string& owner) {
  return who ? *who : owner;
}

/// The occurrences of one entity-level version, keyed.
struct Expanded {
  const ingest::CalendarEventUpserted* version;
  std::map<OccurrenceKey, Placement> placements;
  std::map<Timestamp, OccurrenceKey> by_start;
};

Expanded ExpandVersion(const ingest::CalendarEventUpserted& v, std::string_view owner_timezone,
                       const std::vector<std::pair<Timestamp, Timestamp>>& windows,
                       ExpansionCache& cache) {
  Expanded out{&v, {}, {}};
  const Timestamp length = v.end - v.start;
  if (!v.rrule) {
    out.placements[OccurrenceKey::Single()] = {v.start, v.end, &v};
    out.by_start[v.start] = OccurrenceKey::Single();
    return out;
  }
  const std::string tz(v.timezone ? *v.timezone : std::string(owner_timezone));
  std::string key = *v.rrule + '\x1f' + std::to_string(v.start) + '\x1f' + tz;
  for (Timestamp t : v.exdates) key += '\x1f' + std::to_string(t);
  auto& expansion = cache[key];
  if (!expansion) {
    expansion = std::make_unique<calendar::Expansion>(calendar::Recurrence{*v.rrule, v.start, tz, v.exdates});
  }
  std::map<Timestamp, calendar::LocalDate> instances;
  for (const auto& [from, to] : windows) {
    for (const auto& i : expansion->Window(from, to)) instances.emplace(i.start, i.date);
  }
  calendar::LocalDate previous_date{};
  int order = 0;
  for (const auto& [start, date] : instances) {
    order = (date == previous_date) ? order + 1 : 0;
    previous_date = date;
    const OccurrenceKey key{date, order};
    out.placements[key] = {start, start + length, &v};
    out.by_start[start] = key;
  }
  return out;
}

void EncodeVersion(storage::Encoder& e, const ingest::CalendarEventUpserted& v) {
  e.Str(v.calendar_id).Str(v.event_id).OptStr(v.series_id);
  e.U64(v.original_start ? 1 : 0).I64(v.original_start.value_or(0));
  e.Str(v.organizer).U64(v.attendees.size());
  for (const auto& a : v.attendees) e.Str(a.id_or_email).U64(static_cast<uint64_t>(a.response));
  e.I64(v.start).I64(v.end).U64(static_cast<uint64_t>(v.show_as)).U64(v.is_protected ? 1 : 0);
  e.OptStr(v.updated_by).OptStr(v.rrule).U64(v.exdates.size());
  for (Timestamp t : v.exdates) e.I64(t);
  e.OptStr(v.timezone);
}

ingest::CalendarEventUpserted DecodeVersion(storage::Decoder& r) {
  ingest::CalendarEventUpserted v;
  v.calendar_id = r.Str();
  v.event_id = r.Str();
  v.series_id = r.OptStr();
  const bool has_original = r.U64() != 0;
  const Timestamp original = r.I64();
  if (has_original) v.original_start = original;
  v.organizer = r.Str();
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    ingest::Attendee a;
    a.id_or_email = r.Str();
    a.response = static_cast<ingest::Response>(r.U64());
    v.attendees.push_back(std::move(a));
  }
  v.start = r.I64();
  v.end = r.I64();
  v.show_as = static_cast<ingest::ShowAs>(r.U64());
  v.is_protected = r.U64() != 0;
  v.updated_by = r.OptStr();
  v.rrule = r.OptStr();
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) v.exdates.push_back(r.I64());
  v.timezone = r.OptStr();
  return v;
}

/// Whether an entity-level upsert `next`, applied right after `last`, leaves every occurrence as
/// it would have been without `last`: both whole-entity upserts by one author, whose occurrences
/// are the same instants (an occurrence-level change names its occurrence by an original start
/// found in any version, so a version that moved the series is kept).
bool Supersedes(const CalendarAction& next, const CalendarAction& last) {
  if (last.cancel || last.original_start || !last.version || last.author != next.author) return false;
  const ingest::CalendarEventUpserted& a = *last.version;
  const ingest::CalendarEventUpserted& b = *next.version;
  if (!a.rrule && !b.rrule) return true;  // a single event: one occurrence, whatever its time
  return a.rrule == b.rrule && a.start == b.start && a.timezone == b.timezone && a.exdates == b.exdates;
}

}  // namespace

PersonCalendar::Change PersonCalendar::Upsert(const ingest::CalendarEventUpserted& event,
                                              Timestamp time, uint64_t seq) {
  const std::string owner = event.calendar_id;
  CalendarAction action;
  action.seq = seq;
  action.author = AuthorOr(event.updated_by, owner);
  action.version = event;
  if (event.series_id && event.original_start) {
    CalendarEntity& series = entities_[*event.series_id];
    auto [it, inserted] = series.replacements.try_emplace(event.event_id, time);
    if (!inserted) {
      if (time < it->second) return Change::kStale;
      it->second = time;
    }
    replacement_series_[event.event_id] = *event.series_id;
    action.original_start = *event.original_start;
    series.actions.push_back(std::move(action));
    dirty_entities_.push_back(*event.series_id);
    return Change::kApplied;
  }
  CalendarEntity& entity = entities_[event.event_id];
  if (entity.updated != kNoTime && time < entity.updated) return Change::kStale;
  entity.updated = time;
  if (!entity.actions.empty() && Supersedes(action, entity.actions.back())) {
    // Re-sent (or edited) by the same author with the same occurrences: the earlier version
    // can no longer show through, so a series re-sent every sync keeps one version, not all.
    entity.actions.back() = std::move(action);
  } else {
    entity.actions.push_back(std::move(action));
  }
  dirty_entities_.push_back(event.event_id);
  return Change::kApplied;
}

void PersonCalendar::Cancel(const ingest::CalendarEventCancelled& event, uint64_t seq) {
  CalendarAction action;
  action.seq = seq;
  action.author = AuthorOr(event.cancelled_by, event.calendar_id);
  action.cancel = true;
  std::string entity_id = event.event_id;
  if (event.original_start) {
    action.original_start = *event.original_start;
  } else if (auto it = replacement_series_.find(event.event_id); it != replacement_series_.end()) {
    // The event that replaced one occurrence: cancelling it cancels that occurrence.
    entity_id = it->second;
    const CalendarEntity& series = entities_[entity_id];
    for (auto a = series.actions.rbegin(); a != series.actions.rend(); ++a) {
      if (a->version && a->original_start && a->version->event_id == event.event_id) {
        action.original_start = a->original_start;
        break;
      }
    }
  }
  entities_[entity_id].actions.push_back(std::move(action));
  dirty_entities_.push_back(entity_id);
}

void PersonCalendar::AddTask(const ingest::TaskAssigned& task, Timestamp time) {
  tasks_[task.task_id] = Task{task, time};
  dirty_tasks_.push_back(task.task_id);
}

std::vector<Occurrence> PersonCalendar::Occurrences(std::string_view owner,
                                                    std::string_view owner_timezone,
                                                    Timestamp from, Timestamp to) const {
  std::vector<Occurrence> out;
  for (const auto& [id, entity] : entities_) {
    // Most entities are single meetings far from the window: skip them before any work.
    bool single_and_away = true;
    for (const auto& a : entity.actions) {
      if (!a.version) continue;
      if (a.version->rrule || a.original_start ||
          (a.version->start < to && a.version->end > from)) {
        single_and_away = false;
        break;
      }
    }
    if (single_and_away) continue;
    // Windows to expand: the one asked for, and a day around each replaced occurrence (which
    // may have been moved far from where the series has it).
    std::vector<std::pair<Timestamp, Timestamp>> windows = {{from - kExpansionPad, to + kExpansionPad}};
    for (const auto& a : entity.actions) {
      if (a.original_start) {
        windows.emplace_back(*a.original_start - kExpansionPad, *a.original_start + kExpansionPad);
      }
    }
    std::vector<Expanded> expanded(entity.actions.size(), Expanded{nullptr, {}, {}});
    std::set<OccurrenceKey> keys;
    const ingest::CalendarEventUpserted* latest_series_version = nullptr;
    for (size_t i = 0; i < entity.actions.size(); ++i) {
      const auto& a = entity.actions[i];
      if (!a.version || a.original_start) continue;
      expanded[i] = ExpandVersion(*a.version, owner_timezone, windows, expansions_);
      for (const auto& [key, p] : expanded[i].placements) keys.insert(key);
      latest_series_version = &*a.version;
    }
    // The occurrence an occurrence-level change is about.
    auto key_of = [&](Timestamp original_start) {
      for (size_t i = entity.actions.size(); i-- > 0;) {
        auto it = expanded[i].by_start.find(original_start);
        if (it != expanded[i].by_start.end()) return it->second;
      }
      std::string tz(owner_timezone);
      if (latest_series_version && latest_series_version->timezone) tz = *latest_series_version->timezone;
      return OccurrenceKey{calendar::LocalDateOf(original_start, tz), 0};
    };
    std::vector<std::optional<OccurrenceKey>> action_key(entity.actions.size());
    for (size_t i = 0; i < entity.actions.size(); ++i) {
      if (entity.actions[i].original_start) {
        action_key[i] = key_of(*entity.actions[i].original_start);
        keys.insert(*action_key[i]);
      }
    }

    for (const OccurrenceKey& key : keys) {
      // The occurrence's own story, change by change (metrics.md, "Reference and current").
      std::optional<Placement> from_series;  // as the latest applicable series version has it
      enum class Own : uint8_t { kNone, kCancelled, kReplaced } own = Own::kNone;
      std::optional<Placement> replaced;
      std::string own_author;
      bool series_cancelled = false;
      std::optional<Placement> reference;
      std::optional<Placement> current;
      std::string author;
      for (size_t i = 0; i < entity.actions.size(); ++i) {
        const CalendarAction& a = entity.actions[i];
        bool effective = false;
        if (a.original_start) {
          if (*action_key[i] != key) continue;
          if (a.cancel) {
            own = Own::kCancelled;
          } else {
            own = Own::kReplaced;
            replaced = Placement{a.version->start, a.version->end, &*a.version};
          }
          effective = true;
        } else if (a.cancel) {
          series_cancelled = true;
          effective = true;
        } else if (own == Own::kNone) {
          series_cancelled = false;
          auto it = expanded[i].placements.find(key);
          from_series = it == expanded[i].placements.end() ? std::nullopt
                                                           : std::optional<Placement>(it->second);
          effective = true;
        } else {
          // Upserting the series again changes only its other occurrences; one cancelled or
          // replaced on its own comes back as that change left it, still that change's.
          if (series_cancelled) {
            series_cancelled = false;
            current = own == Own::kReplaced ? replaced : std::nullopt;
            author = own_author;
          }
          continue;
        }
        if (!effective) continue;
        if (a.original_start) own_author = a.author;
        if (series_cancelled || own == Own::kCancelled) {
          current.reset();
        } else if (own == Own::kReplaced) {
          current = replaced;
        } else {
          current = from_series;
        }
        author = a.author;
        if (a.author == owner) reference = current;
      }
      auto overlaps = [&](const std::optional<Placement>& p) {
        return p && p->start < to && p->end > from;
      };
      if (!overlaps(reference) && !overlaps(current)) continue;
      out.push_back(Occurrence{id, key, reference, current, author});
    }
  }
  return out;
}

std::vector<std::string> PersonCalendar::Prune(Timestamp before, Timestamp settled_before) {
  std::vector<std::string> gone;
  // Settled marks of long-past series occurrences: nothing looks that far back any more.
  const CivilDate cutoff = CivilFromDays(DayOf(settled_before));
  const calendar::LocalDate oldest{cutoff.year, static_cast<int>(cutoff.month),
                                   static_cast<int>(cutoff.day)};
  for (auto& [id, entity] : entities_) {
    const size_t size = entity.settled.size();
    std::erase_if(entity.settled, [&](const auto& mark) {
      return mark.first.order >= 0 && mark.first.date < oldest;
    });
    if (entity.settled.size() != size) dirty_entities_.push_back(id);
  }
  for (auto it = entities_.begin(); it != entities_.end();) {
    bool old = !it->second.actions.empty();
    for (const auto& a : it->second.actions) {
      if (a.version && (a.version->rrule || a.version->end >= before)) old = false;
    }
    if (old) {
      for (const auto& [replacement, time] : it->second.replacements) {
        replacement_series_.erase(replacement);
      }
      gone.push_back("e/" + it->first);
      it = entities_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const Timestamp effort = static_cast<Timestamp>(
        it->second.data.effort_minutes.value_or(0) * static_cast<double>(kMillisPerMinute));
    if (it->second.time + effort < before) {
      gone.push_back("k/" + it->first);
      it = tasks_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::string PersonCalendar::EncodeEntity(const CalendarEntity& entity) {
  storage::Encoder e;
  e.U64(kEntityVersion).I64(entity.updated).U64(entity.actions.size());
  for (const auto& a : entity.actions) {
    e.U64(a.seq).Str(a.author).U64(a.cancel ? 1 : 0);
    e.U64(a.original_start ? 1 : 0).I64(a.original_start.value_or(0));
    e.U64(a.version ? 1 : 0);
    if (a.version) EncodeVersion(e, *a.version);
  }
  e.U64(entity.replacements.size());
  for (const auto& [id, time] : entity.replacements) e.Str(id).I64(time);
  e.U64(entity.settled.size());
  for (const auto& [key, bits] : entity.settled) {
    e.I64(key.date.year).I64(key.date.month).I64(key.date.day).I64(key.order).U64(bits);
  }
  return e.str();
}

std::string PersonCalendar::EncodeTask(const Task& task) {
  storage::Encoder e;
  e.U64(kTaskVersion).I64(task.time).Str(task.data.task_id).Str(task.data.assignee_id);
  e.Str(task.data.assigned_by).U64(static_cast<uint64_t>(task.data.kind)).OptStr(task.data.account_id);
  e.U64(task.data.effort_minutes ? 1 : 0).F64(task.data.effort_minutes.value_or(0));
  return e.str();
}

Status PersonCalendar::RestoreEntity(std::string_view id, std::string_view value) {
  storage::Decoder r(value);
  if (r.U64() != kEntityVersion) return Status::Error("unknown calendar record version");
  CalendarEntity& entity = entities_[std::string(id)];
  entity.updated = r.I64();
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    CalendarAction a;
    a.seq = r.U64();
    a.author = r.Str();
    a.cancel = r.U64() != 0;
    const bool has_original = r.U64() != 0;
    const Timestamp original = r.I64();
    if (has_original) a.original_start = original;
    if (r.U64() != 0) a.version = DecodeVersion(r);
    entity.actions.push_back(std::move(a));
  }
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    std::string replacement = r.Str();
    entity.replacements[replacement] = r.I64();
    replacement_series_[replacement] = std::string(id);
  }
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    OccurrenceKey key;
    key.date.year = static_cast<int>(r.I64());
    key.date.month = static_cast<int>(r.I64());
    key.date.day = static_cast<int>(r.I64());
    key.order = static_cast<int>(r.I64());
    entity.settled[key] = static_cast<uint8_t>(r.U64());
  }
  if (!r.ok()) return Status::Error("corrupt calendar record " + std::string(id));
  return Status::Ok();
}

Status PersonCalendar::RestoreTask(std::string_view id, std::string_view value) {
  storage::Decoder r(value);
  if (r.U64() != kTaskVersion) return Status::Error("unknown task record version");
  Task task;
  task.time = r.I64();
  task.data.task_id = r.Str();
  task.data.assignee_id = r.Str();
  task.data.assigned_by = r.Str();
  task.data.kind = static_cast<ingest::TaskKind>(r.U64());
  task.data.account_id = r.OptStr();
  const bool has_effort = r.U64() != 0;
  const double effort = r.F64();
  if (has_effort) task.data.effort_minutes = effort;
  if (!r.ok()) return Status::Error("corrupt task record " + std::string(id));
  tasks_[std::string(id)] = std::move(task);
  return Status::Ok();
}

std::vector<std::string> PersonCalendar::TakeDirtyEntities() {
  std::vector<std::string> out;
  out.swap(dirty_entities_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> PersonCalendar::TakeDirtyTasks() {
  std::vector<std::string> out;
  out.swap(dirty_tasks_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace huntline::processors
