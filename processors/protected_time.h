#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace huntline::processors {

/// Why a protected second was lost (metrics.md, "Lost seconds"). Declared in the contract's
/// tie order for upcoming conflicts; among meeting causes and among task causes it is also the
/// order in which a second goes to the first cause that applies.
enum class Cause : uint8_t {
  kManagerMeeting,
  kManagerCancelled,
  kCustomerMeeting,
  kSelfScheduled,
  kOtherMeeting,
  kOtherCancelled,
  kManagerTask,
  kCustomerIssueTask,
  kOtherTask,
};
inline constexpr size_t kCauseCount = 9;
inline constexpr std::array<std::string_view, kCauseCount> kCauseNames = {
    "manager_meeting", "manager_cancelled", "customer_meeting",    "self_scheduled", "other_meeting",
    "other_cancelled", "manager_task",      "customer_issue_task", "other_task"};
constexpr bool IsManagerCause(Cause c) {
  return c == Cause::kManagerMeeting || c == Cause::kManagerCancelled || c == Cause::kManagerTask;
}

struct Span {
  Timestamp start = 0;
  Timestamp end = 0;
};

/// A protected block: its reference interval, its current one (none when cancelled), and who
/// made the latest change when that is not the owner (the cause of seconds no longer current).
struct BlockInput {
  Span reference;
  std::optional<Span> current;
  std::string_view changed_by;
  Cause change_cause = Cause::kOtherCancelled;
};

/// A meeting that may cover the block, with its cause for the block's owner already decided.
struct MeetingInput {
  Span span;
  Cause cause = Cause::kOtherMeeting;
  std::string_view organizer;
  std::string_view event_id;  // ties: the meeting that starts first, then the smallest id
};

/// A task assigned to the block's owner.
struct TaskInput {
  Timestamp time = 0;
  Timestamp effort = 0;  // milliseconds
  Cause cause = Cause::kOtherTask;
  std::string_view assigned_by;
  std::string_view task_id;
};

struct Interruption {
  Cause cause;
  std::string interrupter;
  Timestamp lost = 0;  // milliseconds
};

/// What one block lost, and to whom.
struct BlockFigures {
  Timestamp protected_ms = 0;
  std::array<Timestamp, kCauseCount> lost{};  // milliseconds by cause
  std::vector<Interruption> interruptions;

  Timestamp total_lost() const;
  /// The cause holding most of the lost time, ties in declaration order; none when nothing lost.
  std::optional<Cause> main_cause() const;
};

/// Attributes each lost millisecond of `block` to exactly one cause: first the part of the
/// reference no longer current (to the latest change's author), then, inside the current
/// interval, to the covering meeting with the first cause (ties: earliest start, smallest id),
/// then to a task's effort window (tasks whose time falls in the reference interval; ties:
/// earliest task, smallest id). Overlapping meetings are never counted twice.
BlockFigures Attribute(const BlockInput& block, std::span<const MeetingInput> meetings,
                       std::span<const TaskInput> tasks);

}  // namespace huntline::processors
