#include "processors/timer_queue.h"

#include <gtest/gtest.h>

#include <random>
#include <map>

namespace huntline::processors {
namespace {

using Keys = std::vector<std::string>;

TEST(TimerQueue, DueKeysComeInDeadlineThenKeyOrderAndAReplacedTimerOnlyOnce) {
  TimerQueue timers;
  timers.Set("b", 20);
  timers.Set("a", 20);
  timers.Set("c", 10);
  timers.Set("d", 30);
  timers.Set("d", 5);           // replaced: due at 5, not at 30
  timers.Set("a", kNoTime);     // disarmed
  EXPECT_EQ(timers.armed(), 3u);
  EXPECT_EQ(timers.PopDue(4), Keys{});
  EXPECT_EQ(timers.PopDue(20), (Keys{"d", "c", "b"}));
  EXPECT_EQ(timers.PopDue(100), Keys{});
  EXPECT_EQ(timers.armed(), 0u);
}

TEST(TimerQueue, InTheStoreOnlyTheSetSinceTheLastFlushAndTheCachedStayInMemory) {
  storage::MemoryKvStore store;
  TimerQueue timers;
  timers.Open(&store, "x/timers/", 2);
  for (int i = 0; i < 100; ++i) timers.Set("k" + std::to_string(i), 1000 + i);
  // Re-armed or disarmed before the flush: only what is armed then is written.
  timers.Set("k1", 5000);
  timers.Set("k1", 1001);
  timers.Set("gone", 1500);
  timers.Set("gone", kNoTime);
  timers.Flush();
  timers.Trim();
  size_t stored = 0;
  ASSERT_TRUE(store.Scan("x/timers/t/", [&](std::string_view, std::string_view) { ++stored; }).ok());
  EXPECT_EQ(stored, 100u);
  timers.Set("k5", 2000);  // moved later: its old entry is skipped when it comes up
  EXPECT_EQ(timers.PopDue(1006), (Keys{"k0", "k1", "k2", "k3", "k4", "k6"}));
  timers.Set("late", 1003);  // set for a time already taken: due at the next look
  timers.Flush();
  timers.Trim();
  EXPECT_EQ(timers.PopDue(1007), (Keys{"late", "k7"}));
  EXPECT_EQ(timers.PopDue(1099).size(), 92u);
  EXPECT_EQ(timers.PopDue(2000), Keys{"k5"});
  EXPECT_EQ(timers.armed(), 0u);
  timers.Flush();
  stored = 0;
  ASSERT_TRUE(store.Scan("x/timers/", [&](std::string_view, std::string_view) { ++stored; }).ok());
  EXPECT_EQ(stored, 0u);  // nothing left behind
}

// What is read ahead stays within its budget: a key moved back and forth inside it, and many
// keys due at the same moment.
TEST(TimerQueue, WhatIsReadAheadOfTheStoreStaysWithinItsBudget) {
  storage::MemoryKvStore store;
  TimerQueue timers;
  timers.Open(&store, "x/", 2, 4);
  timers.Set("early", 10);
  timers.Set("a", 1000);
  timers.Flush();
  EXPECT_EQ(timers.PopDue(10), Keys{"early"});  // reads ahead up to 1000
  for (int i = 0; i < 10000; ++i) {
    timers.Set("k", 1000);
    timers.Flush();
    timers.Set("k", 2000);
    timers.Flush();
    timers.Trim();
  }
  EXPECT_LE(timers.queued_in_memory(), 8u);
  for (int i = 0; i < 10000; ++i) timers.Set("same" + std::to_string(i), 1500);
  timers.Flush();
  timers.Trim();
  EXPECT_LE(timers.queued_in_memory(), 8u);
  EXPECT_EQ(timers.PopDue(1000), Keys{"a"});
  EXPECT_LE(timers.queued_in_memory(), 8u);
  EXPECT_EQ(timers.PopDue(1500).size(), 10000u);
  EXPECT_EQ(timers.PopDue(2000), Keys{"k"});
  EXPECT_EQ(timers.armed(), 0u);
}

TEST(TimerQueue, TimersThatFitInMemoryAreNotWritten) {
  storage::MemoryKvStore store;
  TimerQueue timers;
  timers.Open(&store, "x/", 100);
  auto stored = [&] {
    size_t n = 0;
    EXPECT_TRUE(store.Scan("x/", [&](std::string_view, std::string_view) { ++n; }).ok());
    return n;
  };
  // 40 keys re-armed again and again: the replaced entries are dropped, nothing is written.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 40; ++i) timers.Set("k" + std::to_string(i), 1000 + round * 100 + i);
    timers.Flush();
    timers.Trim();
  }
  EXPECT_EQ(stored(), 0u);
  EXPECT_LE(timers.queued_in_memory(), 100u);
  // A key moved back and forth: its one live entry is kept once.
  for (int i = 0; i <= 200; ++i) timers.Set("k0", i % 2 == 0 ? 7000 : 1000);
  timers.Flush();
  EXPECT_EQ(stored(), 0u);
  // More than fit: written, and still due as set.
  for (int i = 0; i < 150; ++i) timers.Set("m" + std::to_string(i), 5000 + i);
  timers.Flush();
  timers.Trim();
  EXPECT_GT(stored(), 150u);
  EXPECT_EQ(timers.PopDue(3000).size(), 39u);  // k0 is due at 7000
  EXPECT_EQ(timers.PopDue(6000).size(), 150u);
  EXPECT_EQ(timers.PopDue(7000), Keys{"k0"});
  EXPECT_EQ(timers.armed(), 0u);
}

/// How the queue is kept, and what it is given.
struct QueueCase {
  size_t read_ahead;  // entries read ahead of the store
  size_t resident;    // queue entries and deadlines kept in memory before they are written
  int keys;           // distinct keys armed
  int spread;         // how far ahead deadlines are set
};

void PrintTo(const QueueCase& c, std::ostream* os) {
  *os << "read ahead " << c.read_ahead << ", resident " << c.resident << ", " << c.keys << " keys, spread "
      << c.spread;
}

class TimerQueueReadAhead : public testing::TestWithParam<QueueCase> {};

// Whatever is read ahead of the store: one entry, a few (set timers land inside it and push it
// past its budget), or the whole queue; and whatever is kept in memory before it is written:
// almost nothing, some of the timers, all of them (the replaced entries dropped as the queue
// outgrows it, with far deadlines).
INSTANTIATE_TEST_SUITE_P(ReadAhead, TimerQueueReadAhead,
                         testing::Values(QueueCase{1, 3, 200, 500}, QueueCase{4, 3, 200, 500},
                                         QueueCase{1024, 3, 200, 500}, QueueCase{4, 64, 200, 500},
                                         QueueCase{1, 150, 200, 500}, QueueCase{4, 1000, 200, 500},
                                         QueueCase{4, 120, 50, 20000}, QueueCase{1, 300, 100, 20000},
                                         QueueCase{4, 60, 50, 20000}, QueueCase{1, 60, 50, 20000}));

TEST_P(TimerQueueReadAhead, InTheStoreItFiresExactlyAsInMemoryWhateverTheFlushes) {
  const QueueCase c = GetParam();
  std::mt19937 random(7);
  storage::MemoryKvStore store;
  TimerQueue stored;
  stored.Open(&store, "x/", c.resident, c.read_ahead);
  TimerQueue memory;
  Timestamp now = 0;
  for (int step = 0; step < 20000; ++step) {
    const int action = static_cast<int>(random() % 10);
    if (action < 6) {
      const std::string key = "k" + std::to_string(random() % static_cast<unsigned>(c.keys));
      const unsigned kind = random() % 16;
      const Timestamp deadline =
          kind < 2    ? kNoTime
          : kind == 2 ? now - static_cast<Timestamp>(random() % 100)  // due already
                      : now + static_cast<Timestamp>(random() % static_cast<unsigned>(c.spread));
      stored.Set(key, deadline);
      memory.Set(key, deadline);
    } else if (action < 9) {
      now += static_cast<Timestamp>(random() % 50);
      ASSERT_EQ(stored.PopDue(now), memory.PopDue(now)) << "step " << step;
    } else {
      stored.Flush();
      stored.Trim();
    }
    ASSERT_EQ(stored.armed(), memory.armed());
  }
}

}  // namespace
}  // namespace huntline::processors
