#include "validation/splits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace arus::validation {
namespace {

const int64_t kT0 = 1'709'632'800LL * kNanosPerSecond;  // 2024-03-05T10:00:00Z
const int64_t kBar = 5 * kNanosPerMinute;

UnixNanos At(int64_t bar) { return UnixNanos(kT0 + bar * kBar); }

// n bars 5 minutes apart whose labels end `horizon` bars later.
struct Rows {
  std::vector<UnixNanos> time, label_end;
};
Rows Regular(size_t n, int64_t horizon) {
  Rows r;
  for (size_t i = 0; i < n; ++i) {
    r.time.push_back(At(static_cast<int64_t>(i)));
    r.label_end.push_back(At(static_cast<int64_t>(i) + horizon));
  }
  return r;
}

std::vector<size_t> Range(size_t b, size_t e) {
  std::vector<size_t> v;
  for (size_t i = b; i < e; ++i) v.push_back(i);
  return v;
}

bool Overlaps(UnixNanos a, UnixNanos b, UnixNanos c, UnixNanos d) { return a <= d && c <= b; }

// --- Walk-forward -------------------------------------------------------------------------------

TEST(WalkForward, RowsWhoseLabelsReachTheTestWindowArePurged) {
  // Labels look 2 bars ahead, so the last 2 candidates before each test window know test-period
  // prices: rows 3 and 4 (labels end at bars 5 and 6) overlap a test window starting at bar 5.
  const Rows r = Regular(10, 2);
  WalkForwardOptions o;
  o.train_rows = 5;
  o.test_rows = 2;
  auto folds = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok()) << folds.status().ToString();
  ASSERT_EQ(folds->size(), 2u);  // test windows [5,7), [7,9); [9,11) does not fit
  EXPECT_EQ((*folds)[0].index, 0u);
  EXPECT_EQ((*folds)[0].test_begin, 5u);
  EXPECT_EQ((*folds)[0].test_end, 7u);
  EXPECT_EQ((*folds)[0].train, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ((*folds)[0].purged, 2u);
  EXPECT_EQ((*folds)[0].embargoed, 0u);
  EXPECT_EQ((*folds)[1].index, 1u);
  EXPECT_EQ((*folds)[1].test_begin, 7u);
  EXPECT_EQ((*folds)[1].test_end, 9u);
  EXPECT_EQ((*folds)[1].train, (std::vector<size_t>{2, 3, 4}));  // rolling: candidates 2..6
  EXPECT_EQ((*folds)[1].purged, 2u);
}

TEST(WalkForward, ALabelEndingExactlyAtTheFirstTestDecisionIsPurged) {
  Rows r = Regular(8, 0);
  r.label_end[3] = r.time[4];                // ends exactly at the first test row: overlaps
  r.label_end[2] = r.time[4] - Duration(1);  // ends 1 ns before: kept
  r.label_end[0] = At(100);                  // a long label far back is purged too
  WalkForwardOptions o;
  o.train_rows = 4;
  o.test_rows = 4;
  auto folds = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  ASSERT_EQ(folds->size(), 1u);
  EXPECT_EQ((*folds)[0].train, (std::vector<size_t>{1, 2}));
  EXPECT_EQ((*folds)[0].purged, 2u);
}

TEST(WalkForward, ExpandingWindowsStartAtRowZero) {
  const Rows r = Regular(10, 2);
  WalkForwardOptions o;
  o.train_rows = 5;
  o.test_rows = 2;
  o.expanding = true;
  auto folds = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  ASSERT_EQ(folds->size(), 2u);
  EXPECT_EQ((*folds)[0].train, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ((*folds)[1].train, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ((*folds)[1].purged, 2u);
}

TEST(WalkForward, GapRowsAreLeftOutBeforeTheTestWindow) {
  const Rows r = Regular(12, 1);
  WalkForwardOptions o;
  o.train_rows = 5;
  o.test_rows = 3;
  o.gap_rows = 2;
  auto folds = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  // First test window at 5 + 2 = 7; candidates [0, 5); row 4's label ends at bar 5 < bar 7.
  ASSERT_EQ(folds->size(), 1u);
  EXPECT_EQ((*folds)[0].test_begin, 7u);
  EXPECT_EQ((*folds)[0].test_end, 10u);
  EXPECT_EQ((*folds)[0].train, Range(0, 5));
  EXPECT_EQ((*folds)[0].purged, 0u);
}

TEST(WalkForward, StepAndMaxFoldsKeepTheLastWindows) {
  const Rows r = Regular(20, 0);
  WalkForwardOptions o;
  o.train_rows = 5;
  o.test_rows = 3;
  auto all = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(all.ok());
  std::vector<size_t> begins;
  for (const Fold& f : *all) begins.push_back(f.test_begin);
  EXPECT_EQ(begins, (std::vector<size_t>{5, 8, 11, 14, 17}));

  o.max_folds = 2;
  auto last = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].index, 0u);
  EXPECT_EQ((*last)[0].test_begin, 14u);
  EXPECT_EQ((*last)[0].train, Range(9, 14));
  EXPECT_EQ((*last)[1].index, 1u);
  EXPECT_EQ((*last)[1].test_begin, 17u);
  EXPECT_EQ((*last)[1].test_end, 20u);

  o.max_folds = 0;
  o.step_rows = 2;  // overlapping test windows are allowed
  auto stepped = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(stepped.ok());
  begins.clear();
  for (const Fold& f : *stepped) begins.push_back(f.test_begin);
  EXPECT_EQ(begins, (std::vector<size_t>{5, 7, 9, 11, 13, 15, 17}));

  o.step_rows = 100;  // exactly one window
  auto one = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].test_begin, 5u);
}

TEST(WalkForward, ExactFitGivesOneFold) {
  const Rows r = Regular(8, 0);
  WalkForwardOptions o;
  o.train_rows = 5;
  o.test_rows = 3;
  auto folds = WalkForwardFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  ASSERT_EQ(folds->size(), 1u);
  EXPECT_EQ((*folds)[0].test_end, 8u);
  EXPECT_EQ((*folds)[0].train, Range(0, 5));
}

// --- Purged k-fold ------------------------------------------------------------------------------

TEST(PurgedKFold, HandWorkedPurgeAndEmbargo) {
  // 10 rows, labels 2 bars ahead, k = 3: blocks [0,4) [4,7) [7,10).
  // Middle block: test interval [bar 4, bar 8]. Rows 2, 3 (labels end at 4, 5) and rows 7, 8
  // (decided at 7, 8 <= 8) overlap it; the embargo of 3 covers rows 7..9, of which 7 and 8 are
  // already purged, so only row 9 counts as embargoed.
  const Rows r = Regular(10, 2);
  PurgedKFoldOptions o;
  o.k = 3;
  o.embargo_rows = 3;
  auto folds = PurgedKFoldFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok()) << folds.status().ToString();
  ASSERT_EQ(folds->size(), 3u);
  const Fold& a = (*folds)[0];
  EXPECT_EQ(a.test_begin, 0u);
  EXPECT_EQ(a.test_end, 4u);
  // Test interval [0, 5]: rows 4, 5 purged; embargo 4..6 leaves row 6 embargoed.
  EXPECT_EQ(a.train, (std::vector<size_t>{7, 8, 9}));
  EXPECT_EQ(a.purged, 2u);
  EXPECT_EQ(a.embargoed, 1u);
  const Fold& b = (*folds)[1];
  EXPECT_EQ(b.index, 1u);
  EXPECT_EQ(b.test_begin, 4u);
  EXPECT_EQ(b.test_end, 7u);
  EXPECT_EQ(b.train, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(b.purged, 4u);
  EXPECT_EQ(b.embargoed, 1u);
  const Fold& c = (*folds)[2];
  EXPECT_EQ(c.test_begin, 7u);
  EXPECT_EQ(c.test_end, 10u);
  EXPECT_EQ(c.train, Range(0, 5));  // rows 5, 6 end at 7, 8; nothing after the last block
  EXPECT_EQ(c.purged, 2u);
  EXPECT_EQ(c.embargoed, 0u);
}

TEST(PurgedKFold, NoPurgeWithoutOverlapButEmbargoStillApplies) {
  const Rows r = Regular(9, 0);  // labels end at their own decision time
  PurgedKFoldOptions o;
  o.k = 3;
  o.embargo_rows = 2;
  auto folds = PurgedKFoldFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  EXPECT_EQ((*folds)[0].train, (std::vector<size_t>{5, 6, 7, 8}));
  EXPECT_EQ((*folds)[0].purged, 0u);
  EXPECT_EQ((*folds)[0].embargoed, 2u);
  EXPECT_EQ((*folds)[1].train, (std::vector<size_t>{0, 1, 2, 8}));
  EXPECT_EQ((*folds)[1].embargoed, 2u);
  EXPECT_EQ((*folds)[2].train, Range(0, 6));
  EXPECT_EQ((*folds)[2].embargoed, 0u);  // nothing after the last block
}

TEST(PurgedKFold, NonMonotoneLabelEndsUseTheLongestTestLabel) {
  // Row 4 (in the first test block [0,5)) has a label reaching bar 8: rows 5..8 are decided
  // inside the test interval and are purged although row 4's neighbours end early. Row 6 of the
  // second block has a long label too; row 2 has one reaching into block 2.
  Rows r = Regular(12, 0);
  r.label_end[4] = At(8);
  r.label_end[2] = At(6);
  PurgedKFoldOptions o;
  o.k = 2;
  auto folds = PurgedKFoldFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  EXPECT_EQ((*folds)[0].test_end, 6u);
  // Block [0,6): interval [0, 8]: rows 6, 7, 8 purged.
  EXPECT_EQ((*folds)[0].train, (std::vector<size_t>{9, 10, 11}));
  EXPECT_EQ((*folds)[0].purged, 3u);
  // Block [6,12): interval [6, 11]: row 2 (ends 6) and row 4 (ends 8) purged; 0, 1, 3, 5 kept.
  EXPECT_EQ((*folds)[1].train, (std::vector<size_t>{0, 1, 3, 5}));
  EXPECT_EQ((*folds)[1].purged, 2u);
}

TEST(PurgedKFold, BlockSizesDifferByAtMostOneEarlierLarger) {
  const Rows r = Regular(17, 0);
  PurgedKFoldOptions o;
  o.k = 5;
  auto folds = PurgedKFoldFolds(r.time, r.label_end, o);
  ASSERT_TRUE(folds.ok());
  std::vector<size_t> sizes;
  for (const Fold& f : *folds) sizes.push_back(f.test_end - f.test_begin);
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 3, 3, 3}));
  o.k = 17;  // leave-one-out
  auto loo = PurgedKFoldFolds(r.time, r.label_end, o);
  ASSERT_TRUE(loo.ok());
  ASSERT_EQ(loo->size(), 17u);
  EXPECT_EQ((*loo)[3].train.size(), 16u);
}

// --- Properties over random data ----------------------------------------------------------------

// Random strictly increasing times with irregular gaps; labels end at the decision time of a row
// 0..H ahead (or far beyond), so label_end is generally not monotone.
Rows RandomRows(std::mt19937_64& rng, size_t n) {
  Rows r;
  std::uniform_int_distribution<int64_t> gap(1, 3 * kBar);
  int64_t t = kT0;
  for (size_t i = 0; i < n; ++i) {
    t += gap(rng);
    r.time.push_back(UnixNanos(t));
  }
  const size_t horizon = std::uniform_int_distribution<size_t>(0, 12)(rng);
  std::uniform_int_distribution<size_t> ahead(0, horizon);
  std::uniform_int_distribution<int> odd(0, 19);
  for (size_t i = 0; i < n; ++i) {
    const size_t j = std::min(n - 1, i + ahead(rng));
    UnixNanos end = r.time[j] + Duration(odd(rng) == 0 ? 0 : gap(rng) / 2);
    if (odd(rng) == 0) end = end + Duration(40 * kBar);  // an occasional very long label
    r.label_end.push_back(end);
  }
  return r;
}

void ExpectIncreasing(const std::vector<size_t>& v) {
  for (size_t i = 1; i < v.size(); ++i) ASSERT_LT(v[i - 1], v[i]);
}

TEST(PurgedKFold, PropertiesMatchABruteForceReference) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = std::uniform_int_distribution<size_t>(2, 150)(rng);
    const Rows r = RandomRows(rng, n);
    PurgedKFoldOptions o;
    o.k = std::uniform_int_distribution<size_t>(2, std::min<size_t>(n, 10))(rng);
    o.embargo_rows = std::uniform_int_distribution<size_t>(0, 8)(rng);
    auto folds = PurgedKFoldFolds(r.time, r.label_end, o);
    ASSERT_TRUE(folds.ok()) << folds.status().ToString();
    ASSERT_EQ(folds->size(), o.k);
    std::vector<int> tested(n, 0);
    size_t prev_end = 0, max_size = 0, min_size = n;
    for (const Fold& f : *folds) {
      SCOPED_TRACE("trial " + std::to_string(trial) + " fold " + std::to_string(f.index));
      ASSERT_EQ(f.test_begin, prev_end);
      prev_end = f.test_end;
      const size_t size = f.test_end - f.test_begin;
      max_size = std::max(max_size, size);
      min_size = std::min(min_size, size);
      for (size_t i = f.test_begin; i < f.test_end; ++i) ++tested[i];
      ExpectIncreasing(f.train);

      // Reference: pairwise overlap against every test row's interval.
      std::vector<size_t> train;
      size_t purged = 0, embargoed = 0;
      for (size_t i = 0; i < n; ++i) {
        if (i >= f.test_begin && i < f.test_end) continue;
        bool overlap = false;
        for (size_t t = f.test_begin; t < f.test_end; ++t) {
          // Rows outside the block cannot fall between test rows, so overlapping the test
          // interval [time[begin], max label_end] means overlapping some test row's interval.
          overlap = overlap || Overlaps(r.time[i], r.label_end[i], r.time[t], r.label_end[t]);
        }
        if (overlap) {
          ++purged;
        } else if (i >= f.test_end && i < f.test_end + o.embargo_rows) {
          ++embargoed;
        } else {
          train.push_back(i);
        }
      }
      EXPECT_EQ(f.train, train);
      EXPECT_EQ(f.purged, purged);
      EXPECT_EQ(f.embargoed, embargoed);
      EXPECT_EQ(f.train.size() + f.purged + f.embargoed + size, n);
      // No training row's label interval overlaps any test row's label interval.
      for (size_t i : f.train) {
        ASSERT_TRUE(i < f.test_begin || i >= f.test_end);
        for (size_t t = f.test_begin; t < f.test_end; ++t) {
          ASSERT_FALSE(Overlaps(r.time[i], r.label_end[i], r.time[t], r.label_end[t]))
              << "train row " << i << " overlaps test row " << t;
        }
        if (i >= f.test_end) {
          ASSERT_GE(i, f.test_end + o.embargo_rows);
        }
      }
    }
    EXPECT_EQ(prev_end, n);
    EXPECT_LE(max_size - min_size, 1u);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(tested[i], 1) << "row " << i;
  }
}

TEST(WalkForward, PropertiesMatchABruteForceReference) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = std::uniform_int_distribution<size_t>(3, 150)(rng);
    const Rows r = RandomRows(rng, n);
    WalkForwardOptions o;
    o.train_rows = std::uniform_int_distribution<size_t>(1, n / 2)(rng);
    o.gap_rows = std::uniform_int_distribution<size_t>(0, 3)(rng);
    if (o.train_rows + o.gap_rows >= n) o.gap_rows = 0;
    o.test_rows = std::uniform_int_distribution<size_t>(1, n - o.train_rows - o.gap_rows)(rng);
    o.step_rows = std::uniform_int_distribution<size_t>(0, 6)(rng);
    o.expanding = (trial % 2) == 1;
    o.max_folds = std::uniform_int_distribution<size_t>(0, 4)(rng);
    auto folds = WalkForwardFolds(r.time, r.label_end, o);
    ASSERT_TRUE(folds.ok()) << folds.status().ToString();
    ASSERT_FALSE(folds->empty());

    // Reference window starts.
    const size_t step = o.step_rows ? o.step_rows : o.test_rows;
    std::vector<size_t> begins;
    for (size_t b = o.train_rows + o.gap_rows; b + o.test_rows <= n; b += step) begins.push_back(b);
    if (o.max_folds && begins.size() > o.max_folds) {
      begins.erase(begins.begin(), begins.end() - static_cast<long>(o.max_folds));
    }
    ASSERT_EQ(folds->size(), begins.size());
    EXPECT_EQ(folds->back().test_end <= n, true);
    for (size_t f = 0; f < begins.size(); ++f) {
      const Fold& fold = (*folds)[f];
      SCOPED_TRACE("trial " + std::to_string(trial) + " fold " + std::to_string(f));
      EXPECT_EQ(fold.index, f);
      EXPECT_EQ(fold.test_begin, begins[f]);
      EXPECT_EQ(fold.test_end, begins[f] + o.test_rows);
      ExpectIncreasing(fold.train);
      const size_t cand_end = fold.test_begin - o.gap_rows;
      const size_t cand_begin = o.expanding ? 0 : cand_end - o.train_rows;
      std::vector<size_t> train;
      size_t purged = 0;
      for (size_t i = cand_begin; i < cand_end; ++i) {
        bool overlap = false;
        for (size_t t = fold.test_begin; t < fold.test_end; ++t) {
          overlap = overlap || Overlaps(r.time[i], r.label_end[i], r.time[t], r.label_end[t]);
        }
        if (overlap) {
          ++purged;
        } else {
          train.push_back(i);
        }
      }
      EXPECT_EQ(fold.train, train);
      EXPECT_EQ(fold.purged, purged);
      EXPECT_EQ(fold.embargoed, 0u);
      for (size_t i : fold.train) {
        // Training rows precede the test window and their labels end before it starts.
        ASSERT_LT(i + o.gap_rows, fold.test_begin);
        ASSERT_LT(r.label_end[i], r.time[fold.test_begin]);
      }
    }
  }
}

// --- Errors -------------------------------------------------------------------------------------

void ExpectError(const Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(Splits, RejectsBadRows) {
  Rows r = Regular(10, 1);
  WalkForwardOptions wf;
  wf.train_rows = 4;
  wf.test_rows = 2;
  PurgedKFoldOptions kf;
  kf.k = 3;

  std::vector<UnixNanos> short_end(r.label_end.begin(), r.label_end.end() - 1);
  ExpectError(WalkForwardFolds(r.time, short_end, wf).status(),
              "time has 10 rows but label_end has 9");
  ExpectError(PurgedKFoldFolds(r.time, short_end, kf).status(), "label_end has 9");

  Rows dup = r;
  dup.time[5] = dup.time[4];
  ExpectError(WalkForwardFolds(dup.time, dup.label_end, wf).status(),
              "not strictly increasing at row 5");
  ExpectError(PurgedKFoldFolds(dup.time, dup.label_end, kf).status(),
              "not strictly increasing at row 5");

  Rows back = r;
  back.label_end[7] = back.time[7] - Duration(1);
  ExpectError(WalkForwardFolds(back.time, back.label_end, wf).status(), "before time");
  ExpectError(PurgedKFoldFolds(back.time, back.label_end, kf).status(), "at row 7");
}

TEST(Splits, RejectsSizesThatLeaveNoFold) {
  const Rows r = Regular(10, 1);
  WalkForwardOptions wf;
  wf.train_rows = 0;
  wf.test_rows = 2;
  ExpectError(WalkForwardFolds(r.time, r.label_end, wf).status(), "train_rows must be > 0");
  wf.train_rows = 4;
  wf.test_rows = 0;
  ExpectError(WalkForwardFolds(r.time, r.label_end, wf).status(), "test_rows must be > 0");
  wf.test_rows = 5;
  wf.gap_rows = 2;
  ExpectError(WalkForwardFolds(r.time, r.label_end, wf).status(), "no fold fits");
  wf.train_rows = SIZE_MAX;  // must not wrap around
  ExpectError(WalkForwardFolds(r.time, r.label_end, wf).status(), "no fold fits");
  wf.train_rows = 4;
  wf.gap_rows = 0;
  wf.test_rows = SIZE_MAX;
  ExpectError(WalkForwardFolds(r.time, r.label_end, wf).status(), "no fold fits");
  ExpectError(WalkForwardFolds({}, {}, WalkForwardOptions{1, 1}).status(), "no fold fits");

  PurgedKFoldOptions kf;
  kf.k = 1;
  ExpectError(PurgedKFoldFolds(r.time, r.label_end, kf).status(), "k must be >= 2");
  kf.k = 11;
  ExpectError(PurgedKFoldFolds(r.time, r.label_end, kf).status(), "exceeds the 10 rows");
  kf.k = 2;
  ExpectError(PurgedKFoldFolds({}, {}, kf).status(), "exceeds the 0 rows");
}

}  // namespace
}  // namespace arus::validation
