#include "processors/protected_time.h"

#include <algorithm>
#include <map>

namespace huntline::processors {
namespace {

Timestamp Overlap(Span a, Span b) {
  return std::max<Timestamp>(0, std::min(a.end, b.end) - std::max(a.start, b.start));
}

/// The boundaries inside `within` of every span given, with its own ends, sorted and unique.
template <typename Spans>
std::vector<Timestamp> Cuts(Span within, const Spans& spans) {
  std::vector<Timestamp> cuts = {within.start, within.end};
  for (Span s : spans) {
    if (s.start > within.start && s.start < within.end) cuts.push_back(s.start);
    if (s.end > within.start && s.end < within.end) cuts.push_back(s.end);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

bool Covers(Span s, Timestamp from, Timestamp to) { return s.start <= from && s.end >= to; }

}  // namespace

Timestamp BlockFigures::total_lost() const {
  Timestamp total = 0;
  for (Timestamp t : lost) total += t;
  return total;
}

std::optional<Cause> BlockFigures::main_cause() const {
  std::optional<Cause> best;
  for (size_t c = 0; c < kCauseCount; ++c) {
    if (lost[c] > 0 && (!best || lost[c] > lost[static_cast<size_t>(*best)])) {
      best = static_cast<Cause>(c);
    }
  }
  return best;
}

BlockFigures Attribute(const BlockInput& block, std::span<const MeetingInput> meetings,
                       std::span<const TaskInput> tasks) {
  BlockFigures out;
  const Span ref = block.reference;
  out.protected_ms = std::max<Timestamp>(0, ref.end - ref.start);
  if (out.protected_ms == 0) return out;

  // 1. Seconds of the reference no longer in the current interval: one interruption, however
  //    many changes made it so.
  const Timestamp kept = block.current ? Overlap(ref, *block.current) : 0;
  if (out.protected_ms - kept > 0) {
    out.lost[static_cast<size_t>(block.change_cause)] += out.protected_ms - kept;
    out.interruptions.push_back(
        {block.change_cause, std::string(block.changed_by), out.protected_ms - kept});
  }

  // 2. Seconds still protected but covered by meetings, each to the first cause that applies.
  std::vector<Span> free_parts;  // what meetings left of the current interval
  if (kept > 0) {
    const Span live{std::max(ref.start, block.current->start), std::min(ref.end, block.current->end)};
    std::vector<Span> spans;
    for (const auto& m : meetings) spans.push_back(m.span);
    const std::vector<Timestamp> cuts = Cuts(live, spans);
    std::vector<Timestamp> by_meeting(meetings.size(), 0);
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const Timestamp from = cuts[i], to = cuts[i + 1];
      const MeetingInput* best = nullptr;
      size_t best_index = 0;
      for (size_t m = 0; m < meetings.size(); ++m) {
        const auto& candidate = meetings[m];
        if (!Covers(candidate.span, from, to)) continue;
        if (!best || std::tie(candidate.cause, candidate.span.start, candidate.event_id) <
                         std::tie(best->cause, best->span.start, best->event_id)) {
          best = &candidate;
          best_index = m;
        }
      }
      if (best) {
        by_meeting[best_index] += to - from;
      } else if (!free_parts.empty() && free_parts.back().end == from) {
        free_parts.back().end = to;
      } else {
        free_parts.push_back({from, to});
      }
    }
    for (size_t m = 0; m < meetings.size(); ++m) {
      if (by_meeting[m] == 0) continue;
      out.lost[static_cast<size_t>(meetings[m].cause)] += by_meeting[m];
      out.interruptions.push_back(
          {meetings[m].cause, std::string(meetings[m].organizer), by_meeting[m]});
    }
  }

  // 3. Tasks assigned during the block: an interruption each, and their effort windows take
  //    what meetings left.
  std::vector<const TaskInput*> in_block;
  for (const auto& t : tasks) {
    if (t.time >= ref.start && t.time < ref.end) in_block.push_back(&t);
  }
  std::vector<Timestamp> by_task(in_block.size(), 0);
  for (Span part : free_parts) {
    std::vector<Span> windows;
    for (const TaskInput* t : in_block) windows.push_back({t->time, t->time + t->effort});
    const std::vector<Timestamp> cuts = Cuts(part, windows);
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const Timestamp from = cuts[i], to = cuts[i + 1];
      size_t best = in_block.size();
      for (size_t t = 0; t < in_block.size(); ++t) {
        if (!Covers(windows[t], from, to)) continue;
        if (best == in_block.size() ||
            std::tie(in_block[t]->cause, in_block[t]->time, in_block[t]->task_id) <
                std::tie(in_block[best]->cause, in_block[best]->time, in_block[best]->task_id)) {
          best = t;
        }
      }
      if (best != in_block.size()) by_task[best] += to - from;
    }
  }
  for (size_t t = 0; t < in_block.size(); ++t) {
    out.lost[static_cast<size_t>(in_block[t]->cause)] += by_task[t];
    out.interruptions.push_back(
        {in_block[t]->cause, std::string(in_block[t]->assigned_by), by_task[t]});
  }
  return out;
}

}  // namespace huntline::processors
