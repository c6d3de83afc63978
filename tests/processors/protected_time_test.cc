// Loss attribution of one protected block: every cause, the order of attribution, overlaps.
#include "processors/protected_time.h"

#include <gtest/gtest.h>

namespace huntline::processors {
namespace {

constexpr Timestamp kMin = kMillisPerMinute;
/// Minutes after 09:00 of an arbitrary day, as milliseconds.
constexpr Timestamp T(int minutes) { return 1'800'000'000'000 + minutes * kMin; }

/// A two-hour block, 09:00–11:00, untouched by anyone else.
BlockInput Block() { return {{T(0), T(120)}, Span{T(0), T(120)}, "rep", Cause::kOtherCancelled}; }

Timestamp Lost(const BlockFigures& f, Cause c) { return f.lost[static_cast<size_t>(c)] / 1000; }

TEST(Attribute, AnUntouchedBlockLosesNothing) {
  const BlockFigures f = Attribute(Block(), {}, {});
  EXPECT_EQ(f.protected_ms, 7200 * 1000);
  EXPECT_EQ(f.total_lost(), 0);
  EXPECT_TRUE(f.interruptions.empty());
  EXPECT_FALSE(f.main_cause().has_value());
}

TEST(Attribute, TheReadmeExampleManagerSyncWinsTheOverlapWithACustomerCall) {
  // 09:30–10:00 the manager's sync; 09:45–10:30 a customer call. The overlap goes to the first
  // cause (manager_meeting): 1800 s to the manager, 1800 s (10:00–10:30) to the customer.
  const MeetingInput meetings[] = {{{T(30), T(60)}, Cause::kManagerMeeting, "mgr", "m-sync"},
                                   {{T(45), T(90)}, Cause::kCustomerMeeting, "rep", "m-call"}};
  const BlockFigures f = Attribute(Block(), meetings, {});
  EXPECT_EQ(Lost(f, Cause::kManagerMeeting), 1800);
  EXPECT_EQ(Lost(f, Cause::kCustomerMeeting), 1800);
  EXPECT_EQ(f.total_lost() / 1000, 3600);
  ASSERT_EQ(f.interruptions.size(), 2u);
  EXPECT_EQ(f.interruptions[0].interrupter, "mgr");
  EXPECT_EQ(f.interruptions[0].lost / 1000, 1800);
  EXPECT_EQ(f.interruptions[1].cause, Cause::kCustomerMeeting);
}

TEST(Attribute, MeetingCausesApplyInTheContractsOrder) {
  // Four meetings over the same half hour: manager, customer, self, other — the manager's wins.
  const MeetingInput all[] = {{{T(0), T(30)}, Cause::kOtherMeeting, "x", "a"},
                              {{T(0), T(30)}, Cause::kSelfScheduled, "rep", "b"},
                              {{T(0), T(30)}, Cause::kCustomerMeeting, "c", "c"},
                              {{T(0), T(30)}, Cause::kManagerMeeting, "mgr", "d"}};
  BlockFigures f = Attribute(Block(), all, {});
  EXPECT_EQ(Lost(f, Cause::kManagerMeeting), 1800);
  EXPECT_EQ(f.total_lost() / 1000, 1800);
  EXPECT_EQ(f.interruptions.size(), 1u);  // only the pair that lost a second interrupts
  // Without the manager's, the customer's; then the owner's own; then anyone else's.
  f = Attribute(Block(), std::span(all, 3), {});
  EXPECT_EQ(Lost(f, Cause::kCustomerMeeting), 1800);
  f = Attribute(Block(), std::span(all, 2), {});
  EXPECT_EQ(Lost(f, Cause::kSelfScheduled), 1800);
  f = Attribute(Block(), std::span(all, 1), {});
  EXPECT_EQ(Lost(f, Cause::kOtherMeeting), 1800);
}

TEST(Attribute, OverlappingMeetingsOfOneCauseAreNeverCountedTwice) {
  // Three "other" meetings: 09:00–10:00, 09:30–10:30 (same cause: the earlier start wins the
  // overlap) and a copy of the first with a larger id (ties: the smaller id).
  const MeetingInput meetings[] = {{{T(30), T(90)}, Cause::kOtherMeeting, "y", "m-2"},
                                   {{T(0), T(60)}, Cause::kOtherMeeting, "z", "m-3"},
                                   {{T(0), T(60)}, Cause::kOtherMeeting, "x", "m-1"}};
  const BlockFigures f = Attribute(Block(), meetings, {});
  EXPECT_EQ(Lost(f, Cause::kOtherMeeting), 5400);
  ASSERT_EQ(f.interruptions.size(), 2u);
  EXPECT_EQ(f.interruptions[0].interrupter, "y");
  EXPECT_EQ(f.interruptions[0].lost / 1000, 1800);  // 10:00–10:30 only
  EXPECT_EQ(f.interruptions[1].interrupter, "x");
  EXPECT_EQ(f.interruptions[1].lost / 1000, 3600);
}

TEST(Attribute, MeetingsOutsideTheBlockCountOnlyInside) {
  const MeetingInput meetings[] = {{{T(-60), T(15)}, Cause::kOtherMeeting, "x", "before"},
                                   {{T(110), T(200)}, Cause::kOtherMeeting, "y", "after"}};
  const BlockFigures f = Attribute(Block(), meetings, {});
  EXPECT_EQ(Lost(f, Cause::kOtherMeeting), 900 + 600);
}

TEST(Attribute, CancelledByAManagerLosesTheWholeBlockAsOneInterruption) {
  BlockInput b = Block();
  b.current.reset();
  b.changed_by = "mgr";
  b.change_cause = Cause::kManagerCancelled;
  const MeetingInput meetings[] = {{{T(0), T(60)}, Cause::kCustomerMeeting, "c", "m"}};
  const BlockFigures f = Attribute(b, meetings, {});
  EXPECT_EQ(Lost(f, Cause::kManagerCancelled), 7200);
  EXPECT_EQ(Lost(f, Cause::kCustomerMeeting), 0);  // nothing left to lose to the meeting
  ASSERT_EQ(f.interruptions.size(), 1u);
  EXPECT_EQ(f.interruptions[0].interrupter, "mgr");
}

TEST(Attribute, MovedOrShortenedBySomeoneElseLosesWhatLeftTheReference) {
  BlockInput b = Block();
  b.current = Span{T(60), T(180)};  // moved an hour later
  b.changed_by = "peer";
  b.change_cause = Cause::kOtherCancelled;
  const MeetingInput meetings[] = {{{T(90), T(150)}, Cause::kManagerMeeting, "mgr", "m"}};
  const BlockFigures f = Attribute(b, meetings, {});
  EXPECT_EQ(Lost(f, Cause::kOtherCancelled), 3600);
  EXPECT_EQ(Lost(f, Cause::kManagerMeeting), 1800);  // 10:30–11:00: inside both intervals
  EXPECT_EQ(f.main_cause(), Cause::kOtherCancelled);
}

TEST(Attribute, TasksTakeWhatMeetingsLeftInTheirOrder) {
  const MeetingInput meetings[] = {{{T(20), T(40)}, Cause::kOtherMeeting, "x", "m"}};
  const TaskInput tasks[] = {
      {T(10), 60 * kMin, Cause::kOtherTask, "am", "t-3"},           // 09:10–10:10
      {T(30), 20 * kMin, Cause::kManagerTask, "mgr", "t-2"},        // 09:30–09:50
      {T(50), 0, Cause::kCustomerIssueTask, "am", "t-1"},           // no effort given
      {T(130), 30 * kMin, Cause::kManagerTask, "mgr", "t-late"},    // after the block
  };
  const BlockFigures f = Attribute(Block(), meetings, tasks);
  EXPECT_EQ(Lost(f, Cause::kOtherMeeting), 1200);   // 09:20–09:40
  EXPECT_EQ(Lost(f, Cause::kManagerTask), 600);     // 09:40–09:50
  EXPECT_EQ(Lost(f, Cause::kOtherTask), 600 + 1200);  // 09:10–09:20 and 09:50–10:10
  EXPECT_EQ(Lost(f, Cause::kCustomerIssueTask), 0);
  // One interruption per task whose time falls in the block, even with no effort.
  int task_interruptions = 0;
  for (const auto& i : f.interruptions) task_interruptions += i.cause >= Cause::kManagerTask;
  EXPECT_EQ(task_interruptions, 3);
}

TEST(Attribute, TaskTiesGoToTheEarliestThenTheSmallestId) {
  const TaskInput tasks[] = {{T(10), 30 * kMin, Cause::kOtherTask, "a", "t-b"},
                             {T(10), 30 * kMin, Cause::kOtherTask, "b", "t-a"},
                             {T(0), 20 * kMin, Cause::kOtherTask, "c", "t-z"}};
  const BlockFigures f = Attribute(Block(), {}, tasks);
  EXPECT_EQ(Lost(f, Cause::kOtherTask), 2400);
  ASSERT_EQ(f.interruptions.size(), 3u);
  EXPECT_EQ(f.interruptions[0].lost / 1000, 0);     // t-b: lost the tie to t-a
  EXPECT_EQ(f.interruptions[1].lost / 1000, 1200);  // t-a: 09:20–09:40
  EXPECT_EQ(f.interruptions[2].lost / 1000, 1200);  // t-z: 09:00–09:20
}

TEST(Attribute, TheMainCauseBreaksTiesInTheContractsOrder) {
  const MeetingInput meetings[] = {{{T(0), T(30)}, Cause::kOtherMeeting, "x", "a"},
                                   {{T(30), T(60)}, Cause::kSelfScheduled, "rep", "b"}};
  EXPECT_EQ(Attribute(Block(), meetings, {}).main_cause(), Cause::kSelfScheduled);
}

}  // namespace
}  // namespace huntline::processors
