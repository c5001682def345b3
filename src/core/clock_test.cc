#include "core/clock.h"

#include <gtest/gtest.h>

namespace arus {
namespace {

TEST(ClockTest, SimulatedClockOnlyMovesForward) {
  SimulatedClock clock(UnixNanos(100));
  const Clock& c = clock;
  EXPECT_EQ(c.Now().ns(), 100);
  EXPECT_TRUE(clock.AdvanceTo(UnixNanos(200)).ok());
  EXPECT_EQ(c.Now().ns(), 200);
  EXPECT_FALSE(clock.AdvanceTo(UnixNanos(150)).ok());
  EXPECT_EQ(c.Now().ns(), 200);
}

TEST(ClockTest, LiveClockIsUtcNow) {
  LiveClock clock;
  const UnixNanos t = clock.Now();
  EXPECT_GT(t, *ParseIsoUtc("2020-01-01"));
  EXPECT_LE(t, clock.Now());
}

}  // namespace
}  // namespace arus
