#include "common/partitioner.h"

#include <gtest/gtest.h>

namespace huntline {
namespace {

TEST(Murmur2, MatchesKafkasJavaClient) {
  // Reference values of org.apache.kafka.common.utils.Utils.murmur2 (as signed ints).
  EXPECT_EQ(static_cast<int32_t>(Murmur2("21")), -973932308);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("foobar")), -790332482);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("abc")), 479470107);
}

TEST(Crc32, IsTheIeeeChecksum) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926u); }

TEST(PartitionOf, SpreadsKeysOverEveryPartitionAndKeepsEachInOne) {
  std::vector<int> seen(6);
  for (int i = 0; i < 600; ++i) {
    const std::string key = "a-" + std::to_string(i);
    const int32_t p = PartitionOf(key, 6, KeyPartitioner::kMurmur2);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, 6);
    EXPECT_EQ(p, PartitionOf(key, 6, KeyPartitioner::kMurmur2));
    ++seen[static_cast<size_t>(p)];
  }
  for (int n : seen) EXPECT_GT(n, 50);
  EXPECT_EQ(PartitionOf("anything", 1, KeyPartitioner::kCrc32), 0);
}

}  // namespace
}  // namespace huntline
