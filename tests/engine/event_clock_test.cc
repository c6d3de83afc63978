#include "engine/event_clock.h"

#include <gtest/gtest.h>

namespace huntline::engine {
namespace {

constexpr Timestamp kHour = kMillisPerHour;

TEST(EventClock, APartitionWithMessagesLeftHoldsTimeBack) {
  EventClock clock;
  const EventClock::PartitionId a{"people", 0}, b{"people", 1};
  clock.Add(a);
  clock.Add(b);
  clock.SetBounds(a, 0, 10);
  clock.SetBounds(b, 0, 10);
  // b has delivered nothing yet: time cannot move.
  EXPECT_EQ(clock.OnEvent(a, 1, 5 * kHour), kNoTime);
  EXPECT_EQ(clock.OnEvent(a, 2, 9 * kHour), kNoTime);
  EXPECT_EQ(clock.OnEvent(b, 1, 2 * kHour), 2 * kHour);
  EXPECT_EQ(clock.OnEvent(b, 2, 7 * kHour), 7 * kHour);
  // a is read to its end: idle, it no longer holds time back; b does.
  clock.SetBounds(a, 10, 10);
  EXPECT_EQ(clock.Now(), 7 * kHour);
  // Everything read: the latest event time of any partition.
  clock.OnEvent(b, 10, 8 * kHour);
  EXPECT_EQ(clock.Now(), 9 * kHour);
}

TEST(EventClock, EmptyRevokedAndOrgPartitionsHoldNothingBack) {
  EventClock clock;
  const EventClock::PartitionId a{"crm", 0}, empty{"crm", 1}, gone{"crm", 2};
  clock.Add(a);
  clock.Add(empty);
  clock.Add(gone);
  clock.SetBounds(empty, 0, 0);
  clock.Remove(gone);
  EXPECT_EQ(clock.OnEvent({"org", 0}, 1, 20 * kHour), kNoTime);  // a has delivered nothing
  EXPECT_EQ(clock.OnEvent(a, 1, 3 * kHour), 3 * kHour);
  clock.SetBounds(a, 1, 1);
  EXPECT_EQ(clock.Now(), 20 * kHour);
}

}  // namespace
}  // namespace huntline::engine
