#include "dl/sequence_data.h"

#include <gtest/gtest.h>

#include <vector>

namespace arus::dl {
namespace {

std::vector<UnixNanos> Times(size_t n, int64_t step, int64_t shift = 0) {
  std::vector<UnixNanos> t;
  for (size_t i = 0; i < n; ++i) t.push_back(UnixNanos(static_cast<int64_t>(i) * step + shift));
  return t;
}

TEST(SequenceSplitTest, NoValidationKeepsEveryRow) {
  auto s = SplitForValidation(10, {}, {}, 0.0);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train_end, 10u);
  EXPECT_EQ(s->val_start, 10u);
  EXPECT_EQ(s->purged, 0u);
  EXPECT_EQ(s->usable, std::vector<uint8_t>(10, 1));
}

TEST(SequenceSplitTest, PurgesLabelsReachingTheSlice) {
  // Decisions every 10, labels end 25 later; 10 rows, fraction 0.3: validation = rows 7..9
  // (t = 70..90). Rows 5 (ends 75) and 6 (ends 85) reach t = 70: purged. Row 4 ends at 65.
  const auto time = Times(10, 10), end = Times(10, 10, 25);
  auto s = SplitForValidation(10, time, end, 0.3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train_end, 7u);
  EXPECT_EQ(s->val_start, 7u);
  EXPECT_EQ(s->purged, 2u);
  const std::vector<uint8_t> want = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1};
  EXPECT_EQ(s->usable, want);
}

TEST(SequenceSplitTest, RejectsEmptyPartsAndTotalPurge) {
  EXPECT_FALSE(SplitForValidation(3, {}, {}, 0.1).ok());  // rounds to 0 held out
  EXPECT_FALSE(SplitForValidation(10, {}, {}, 1.0).ok());
  EXPECT_FALSE(SplitForValidation(10, {}, {}, -0.1).ok());
  // Labels that end after everything: every training row purged.
  const auto time = Times(10, 10), end = Times(10, 10, 1000);
  auto s = SplitForValidation(10, time, end, 0.2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("purged"), std::string::npos);
  EXPECT_FALSE(SplitForValidation(10, Times(9, 10), end, 0.2).ok());  // wrong length
}

class SequenceDataTest : public ::testing::Test {
 protected:
  // 6 rows x 2 columns: row r = (r, 10 r); y[r] = 100 + r.
  SequenceDataTest() : x_(6, 2) {
    for (size_t r = 0; r < 6; ++r) {
      x_.at(r, 0) = static_cast<double>(r);
      x_.at(r, 1) = 10.0 * r;
      y_.push_back(100.0 + r);
    }
  }
  ml::Matrix x_;
  std::vector<double> y_;
};

TEST_F(SequenceDataTest, MultiStepTargetsAtTheEdges) {
  std::vector<uint8_t> usable = {1, 1, 0, 1, 1, 1};  // row 2's label purged
  SequenceData d(x_.view(), y_, usable, 3);
  double y[3];
  uint8_t m[3];
  d.FillTargets(0, 5, y, m);  // targets y0, y1, (y2 purged)
  EXPECT_EQ(y[0], 100.0);
  EXPECT_EQ(y[1], 101.0);
  EXPECT_EQ(m[0], 1);
  EXPECT_EQ(m[1], 1);
  EXPECT_EQ(m[2], 0);
  EXPECT_EQ(y[2], 0.0);
  d.FillTargets(3, 5, y, m);  // y3, y4, then row 5 is at the limit: masked
  EXPECT_EQ(y[0], 103.0);
  EXPECT_EQ(y[1], 104.0);
  EXPECT_EQ((std::vector<int>{m[0], m[1], m[2]}), (std::vector<int>{1, 1, 0}));
  d.FillTargets(4, 6, y, m);  // y4, y5, then past the data
  EXPECT_EQ((std::vector<int>{m[0], m[1], m[2]}), (std::vector<int>{1, 1, 0}));
  EXPECT_EQ(y[1], 105.0);
  d.FillTargets(5, 5, y, m);  // the limit itself: nothing
  EXPECT_EQ((std::vector<int>{m[0], m[1], m[2]}), (std::vector<int>{0, 0, 0}));
  EXPECT_TRUE(d.HasTarget(2, 5));   // row 2: own label purged, rows 3 and 4 usable
  EXPECT_FALSE(d.HasTarget(5, 5));
}

TEST_F(SequenceDataTest, WindowsArePaddedBeforeTheRun) {
  std::vector<uint8_t> usable(6, 1);
  SequenceData d(x_.view(), y_, usable, 1);
  float w[8];
  uint8_t pad[4];
  d.FillWindow(1, 4, 0, w, pad);  // rows -2, -1 (padding), 0, 1
  EXPECT_EQ((std::vector<int>{pad[0], pad[1], pad[2], pad[3]}), (std::vector<int>{1, 1, 0, 0}));
  EXPECT_EQ((std::vector<float>(w, w + 8)), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 10}));
  d.FillWindow(5, 4, 3, w, pad);  // rows 2 (before first = 3: padding), 3, 4, 5
  EXPECT_EQ((std::vector<int>{pad[0], pad[1], pad[2], pad[3]}), (std::vector<int>{1, 0, 0, 0}));
  EXPECT_EQ((std::vector<float>(w, w + 8)), (std::vector<float>{0, 0, 3, 30, 4, 40, 5, 50}));
  float rows[4];
  d.FillRows(4, 2, rows);
  EXPECT_EQ((std::vector<float>(rows, rows + 4)), (std::vector<float>{4, 40, 5, 50}));
}

TEST(SequencePlanTest, StatefulStartsCoverTheEnd) {
  EXPECT_EQ(StatefulStarts(10, 4, 2, 1), (std::vector<size_t>{1, 3, 5, 6}));
  EXPECT_EQ(StatefulStarts(10, 4, 3, 0), (std::vector<size_t>{0, 3, 6}));
  EXPECT_EQ(StatefulStarts(4, 4, 2, 3), (std::vector<size_t>{0}));  // offset clamped
  EXPECT_TRUE(StatefulStarts(3, 4, 2, 0).empty());
}

TEST(SequencePlanTest, WindowedEndsSkipRowsWithoutTargets) {
  ml::Matrix x(5, 1);
  std::vector<double> y(5, 0.0);
  std::vector<uint8_t> usable = {1, 0, 0, 1, 1};
  SequenceData one(x.view(), y, usable, 1);
  EXPECT_EQ(WindowedEnds(one, 0, 5, 4), (std::vector<size_t>{0, 3}));
  SequenceData two(x.view(), y, usable, 2);  // row 2 has row 3's label as its second target
  EXPECT_EQ(WindowedEnds(two, 0, 5, 5), (std::vector<size_t>{0, 2, 3, 4}));
}

}  // namespace
}  // namespace arus::dl
