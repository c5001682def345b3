// Bar series in the store: round trips, partitioning, append semantics, listing, snapshots,
// orphans, damage reporting and provenance (for ticks and bars).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/file.h"
#include "store/partition_file.h"
#include "store/store_test_util.h"
#include "store/tick_store.h"

namespace arus::store {
namespace {

namespace fs = std::filesystem;
using testing::BarRows;
using testing::BitIdentical;

const UnixNanos kMonday = UnixNanos::FromSeconds(1709510400);  // 2024-03-04T00:00:00Z
const Duration kM1(kNanosPerMinute);
const Duration kH1(kNanosPerHour);
const Duration kD1(kNanosPerDay);

const BarSeriesKey kM1Bid{"EURUSD", "M1", "bid"};

std::unique_ptr<TickStore> OpenRw(const std::string& dir, StoreOptions o = {}) {
  auto s = TickStore::Open(dir, OpenMode::kReadWrite, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::unique_ptr<TickStore> OpenRo(const std::string& dir) {
  auto s = TickStore::Open(dir, OpenMode::kReadOnly);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

Status Append(TickStore* s, const BarSeriesKey& key, const BarRows& rows, int decimals = 5,
              AppendOptions o = {}) {
  return s->AppendBars(key, rows.bars, rows.flags, decimals, o).status();
}

BarRows AllBars(const TickStore& s, const BarSeriesKey& key) {
  auto r = s.ReadAllBars(key, UnixNanos::Min(), UnixNanos::Max());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  BarRows out;
  if (r.ok()) {
    out.bars = std::move(r->bars);
    out.flags = std::move(r->flags);
  }
  return out;
}

void ExpectSame(const BarRows& got, const BarRows& want, const std::string& what = "") {
  EXPECT_EQ(got.size(), want.size()) << what;
  EXPECT_TRUE(BitIdentical(got.bars, want.bars)) << what;
  EXPECT_EQ(got.flags, want.flags) << what;
}

BarRows Filter(const BarRows& v, UnixNanos from, UnixNanos to) {
  BarRows out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.bars[i].ts_open >= from && v.bars[i].ts_open < to) {
      out.bars.push_back(v.bars[i]);
      out.flags.push_back(v.flags[i]);
    }
  }
  return out;
}

// Scans through Next(), checking each batch is non-empty, ordered and inside the range.
BarRows ScanBatches(const TickStore& s, const BarSeriesKey& key, UnixNanos from, UnixNanos to) {
  auto sc = s.ScanBars(key, from, to);
  EXPECT_TRUE(sc.ok()) << sc.status().ToString();
  BarRows out;
  if (!sc.ok()) return out;
  while (true) {
    auto batch = (*sc)->Next();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || batch->empty()) break;
    EXPECT_EQ(batch->bars.size(), batch->flags.size());
    EXPECT_GE(batch->bars.front().ts_open, from);
    EXPECT_LT(batch->bars.back().ts_open, to);
    out.bars.insert(out.bars.end(), batch->bars.begin(), batch->bars.end());
    out.flags.insert(out.flags.end(), batch->flags.begin(), batch->flags.end());
  }
  auto again = (*sc)->Next();
  EXPECT_TRUE(again.ok() && again->empty());
  return out;
}

std::string Bytes(const std::string& path) {
  auto r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

void Overwrite(const std::string& path, const std::string& data) {
  std::remove(path.c_str());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  std::fclose(f);
}

// ---- round trips and partitioning ---------------------------------------------------------------

TEST(BarStoreTest, RandomSeriesRoundTripAndScanEqualsFilter) {
  const std::string dir = testing::TestDir("bars_roundtrip");
  StoreOptions opt;
  opt.block_bars = 300;  // several blocks per partition: exercises block copy and block skipping
  struct Case {
    BarSeriesKey key;
    Duration step;
    size_t n;
    int decimals;
    bool wild;
  };
  const std::vector<Case> cases = {
      {{"EURUSD", "M1", "bid"}, kM1, 50000, 5, false},  // ~35 days: two month partitions
      {{"EURUSD", "M1", "ask"}, kM1, 7000, 5, false},
      {{"EURUSD", "H1", "mid"}, kH1, 12000, 5, false},  // ~16 months: two year partitions
      {{"USDJPY", "D1", "bid"}, kD1, 900, 3, false},
      {{"XAUUSD", "M5", "ask"}, Duration(5 * kNanosPerMinute), 3000, 2, true},
      {{"GBPUSD", "T100", "mid"}, kM1, 4000, 9, true},  // an unknown label: month partitions
  };
  std::vector<BarRows> want(cases.size());
  std::mt19937_64 rng(42);
  {
    auto w = OpenRw(dir, opt);
    for (size_t c = 0; c < cases.size(); ++c) {
      const Case& k = cases[c];
      want[c] = k.wild ? testing::WildBars(c, kMonday, k.n, k.decimals, true)
                       : testing::RealisticBars(c, kMonday, k.n, k.step, k.decimals);
      // Random batches, each re-sending up to 50 bars of the previous one.
      size_t done = 0;
      while (done < k.n) {
        const size_t back = std::min<size_t>(done, rng() % 50);
        const size_t len = std::min<size_t>(k.n - done, 1 + rng() % 6000);
        const BarRows batch = want[c].Slice(done - back, back + len);
        auto st = w->AppendBars(k.key, batch.bars, batch.flags, k.decimals);
        ASSERT_TRUE(st.ok()) << k.key.ToString() << ": " << st.status().ToString();
        EXPECT_EQ(st->ticks_duplicate, static_cast<int64_t>(back));
        EXPECT_EQ(st->ticks_added, static_cast<int64_t>(len));
        done += len;
      }
      ExpectSame(AllBars(*w, k.key), want[c], k.key.ToString());
    }
  }
  auto r = OpenRo(dir);
  for (size_t c = 0; c < cases.size(); ++c) {
    const BarRows& all = want[c];
    ExpectSame(AllBars(*r, cases[c].key), all, cases[c].key.ToString());
    for (int q = 0; q < 30; ++q) {
      const size_t a = rng() % all.size(), b = rng() % all.size();
      UnixNanos from = all.bars[std::min(a, b)].ts_open;
      UnixNanos to = all.bars[std::max(a, b)].ts_open;
      if (q % 3 == 0) from = from + Duration(1);  // boundaries between bars
      if (q % 5 == 0) to = to - Duration(1);
      ExpectSame(ScanBatches(*r, cases[c].key, from, to), Filter(all, from, to));
    }
    EXPECT_TRUE(ScanBatches(*r, cases[c].key, UnixNanos(0), UnixNanos(0)).bars.empty());
  }
  auto info = r->BarInfo(cases[0].key);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->period, BarPeriod::kMonth);
  EXPECT_EQ(info->partitions, 2);
  EXPECT_EQ(r->BarInfo(cases[2].key)->period, BarPeriod::kYear);
  EXPECT_EQ(r->BarInfo(cases[3].key)->period, BarPeriod::kYear);
  EXPECT_EQ(r->BarInfo(cases[5].key)->period, BarPeriod::kMonth);
  auto report = r->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems[0].ToString();
  EXPECT_EQ(report->bar_series, static_cast<int>(cases.size()));
  int64_t total = 0;
  for (const auto& w : want) total += static_cast<int64_t>(w.size());
  EXPECT_EQ(report->bars, total);
  EXPECT_EQ(report->ticks, 0);
  EXPECT_EQ(report->orphan_files, 0);
  fs::remove_all(dir);
}

TEST(BarStoreTest, PartitionsFollowTradingMonthsAndYears) {
  const std::string dir = testing::TestDir("bars_periods");
  auto w = OpenRw(dir);
  // 2024-04-30 20:00Z-22:00Z: New York is on EDT, so the bars from 21:00Z (17:00 New York) on
  // belong to trading date 2024-05-01, in the May partition.
  const BarRows m1 = testing::RealisticBars(1, *ParseIsoUtc("2024-04-30T20:00:00Z"), 120, kM1);
  ASSERT_TRUE(Append(w.get(), kM1Bid, m1).ok());
  auto parts = w->BarPartitions(kM1Bid);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].period_start.ToString(), "2024-04-01");
  EXPECT_EQ((*parts)[0].bar_count, 60);
  EXPECT_EQ((*parts)[0].last_ts, *ParseIsoUtc("2024-04-30T20:59:00Z"));
  EXPECT_EQ((*parts)[1].period_start.ToString(), "2024-05-01");
  EXPECT_EQ((*parts)[1].first_ts, *ParseIsoUtc("2024-04-30T21:00:00Z"));
  EXPECT_EQ(fs::path((*parts)[0].path).filename(), "2024-04.1.abr");
  EXPECT_TRUE(fs::exists(dir + "/bars/EURUSD/M1.bid/MANIFEST.json"));
  // H1 across the new year (EST: 17:00 New York = 22:00Z): year partitions 2024 and 2025.
  const BarSeriesKey h1{"EURUSD", "H1", "bid"};
  ASSERT_TRUE(
      Append(w.get(), h1, testing::RealisticBars(2, *ParseIsoUtc("2024-12-31T20:00:00Z"), 4, kH1))
          .ok());
  parts = w->BarPartitions(h1);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].bar_count, 2);
  EXPECT_EQ(fs::path((*parts)[1].path).filename(), "2025.1.abr");
  // Twenty years of D1 bars: twenty files, not one per bar or per month.
  const BarSeriesKey d1{"EURUSD", "D1", "mid"};
  const BarRows daily =
      testing::RealisticBars(3, *ParseIsoUtc("2004-01-05T22:00:00Z"), 20 * 365, kD1);
  ASSERT_TRUE(Append(w.get(), d1, daily).ok());
  EXPECT_EQ(w->BarInfo(d1)->partitions, 20);
  ExpectSame(AllBars(*w, d1), daily);
  auto report = w->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems[0].ToString();
  EXPECT_EQ(report->bar_partitions, 24);
  fs::remove_all(dir);
}

TEST(BarStoreTest, DecimalsEscalateAndNeverDrop) {
  const std::string dir = testing::TestDir("bars_decimals");
  StoreOptions opt;
  opt.block_bars = 100;
  auto w = OpenRw(dir, opt);
  BarRows all = testing::RealisticBars(5, kMonday, 1000, kM1, 3, 150000);  // USDJPY-like
  ASSERT_TRUE(Append(w.get(), kM1Bid, all.Slice(0, 500), 3).ok());
  EXPECT_EQ(w->BarInfo(kM1Bid)->price_decimals, 3);
  // A later bar at 5 decimals (a spread_max of a tenth of a pip): the partition goes to 5.
  BarRows more = all.Slice(500, 500);
  more.bars[10].spread_max = Price::FromRaw(more.bars[10].spread_max.raw() + 10000);
  all.bars[510] = more.bars[10];
  ASSERT_TRUE(Append(w.get(), kM1Bid, more, 3).ok());
  EXPECT_EQ(w->BarInfo(kM1Bid)->price_decimals, 5);
  ExpectSame(AllBars(*w, kM1Bid), all);
  // A hint below what is stored does not lower it.
  const BarRows tail =
      testing::RealisticBars(6, kMonday + Duration(1000 * kNanosPerMinute), 10, kM1, 1, 1500);
  ASSERT_TRUE(Append(w.get(), kM1Bid, tail, 1).ok());
  all.Append(tail);
  EXPECT_EQ(w->BarInfo(kM1Bid)->price_decimals, 5);
  ExpectSame(AllBars(*w, kM1Bid), all);
  fs::remove_all(dir);
}

// ---- append semantics ---------------------------------------------------------------------------

class BarAppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TestDir("bars_append");
    StoreOptions o;
    o.block_bars = 200;
    store_ = OpenRw(dir_, o);
    bars_ = testing::RealisticBars(9, kMonday, 3000, kM1);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<TickStore> store_;
  BarRows bars_;
};

TEST_F(BarAppendTest, ReimportIsANoOp) {
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_).ok());
  const auto before = store_->BarPartitions(kM1Bid);
  auto st = store_->AppendBars(kM1Bid, bars_.bars, bars_.flags, 5);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_in, 3000);
  EXPECT_EQ(st->ticks_duplicate, 3000);
  EXPECT_EQ(st->ticks_added, 0);
  EXPECT_EQ(st->partitions_written, 0);
  EXPECT_EQ(store_->BarPartitions(kM1Bid)->front().path, before->front().path);
  // A middle stretch too.
  st = store_->AppendBars(kM1Bid, bars_.Slice(1000, 500).bars, bars_.Slice(1000, 500).flags, 5);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_duplicate, 500);
}

TEST_F(BarAppendTest, TailAppendAndOverlappingReimport) {
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_.Slice(0, 1000)).ok());
  const BarRows again = bars_.Slice(900, 1100);
  auto st = store_->AppendBars(kM1Bid, again.bars, again.flags, 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_duplicate, 100);
  EXPECT_EQ(st->ticks_added, 1000);
  ExpectSame(AllBars(*store_, kM1Bid), bars_.Slice(0, 2000));
  EXPECT_EQ(store_->BarInfo(kM1Bid)->filled_count,
            std::count(bars_.flags.begin(), bars_.flags.begin() + 2000, kBarFilled));
}

TEST_F(BarAppendTest, DifferingOverlapFailsWithoutReplace) {
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_.Slice(0, 1000)).ok());
  const std::string file = store_->BarPartitions(kM1Bid)->front().path;
  BarRows changed = bars_.Slice(400, 200);
  changed.bars[37].close = Price::FromRaw(changed.bars[37].close.raw() + 10000);
  auto st = store_->AppendBars(kM1Bid, changed.bars, changed.flags, 5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.status().message().find("input bar #37"), std::string::npos)
      << st.status().ToString();
  EXPECT_NE(st.status().message().find(file), std::string::npos);
  EXPECT_NE(st.status().message().find("EURUSD/M1.bid"), std::string::npos);
  // The flags alone make a difference: a real bar where a filled one was stored.
  BarRows unfilled = bars_.Slice(0, 1000);
  const auto it = std::find(unfilled.flags.begin(), unfilled.flags.end(), kBarFilled);
  ASSERT_NE(it, unfilled.flags.end());
  *it = 0;
  EXPECT_EQ(store_->AppendBars(kM1Bid, unfilled.bars, unfilled.flags, 5).status().code(),
            StatusCode::kFailedPrecondition);
  ExpectSame(AllBars(*store_, kM1Bid), bars_.Slice(0, 1000));
  // Nothing half-written was left behind.
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->orphan_files, 0);
}

TEST_F(BarAppendTest, ReplaceSwapsTheCoveredSpan) {
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_).ok());
  // A repair: bars 1000-1099 replaced by 50 bars (every other minute), some of them filled.
  BarRows repl = bars_.Slice(1000, 100);
  BarRows thin;
  for (size_t i = 0; i < repl.size(); i += 2) {
    thin.bars.push_back(repl.bars[i]);
    thin.flags.push_back(i % 10 == 0 ? kBarFilled : 0);
  }
  AppendOptions o;
  o.replace = true;
  auto st = store_->AppendBars(kM1Bid, thin.bars, thin.flags, 5, o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_added, 50);
  EXPECT_EQ(st->ticks_replaced, 99);  // [first, last] of the new bars: 1000..1098
  BarRows want = bars_.Slice(0, 1000);
  want.Append(thin);
  want.Append(bars_.Slice(1099, 3000 - 1099));
  ExpectSame(AllBars(*store_, kM1Bid), want);
}

TEST_F(BarAppendTest, InsertIntoEmptyStretches) {
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_.Slice(0, 1000)).ok());
  ASSERT_TRUE(Append(store_.get(), kM1Bid, bars_.Slice(2000, 1000)).ok());
  auto st =
      store_->AppendBars(kM1Bid, bars_.Slice(1000, 1000).bars, bars_.Slice(1000, 1000).flags, 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_added, 1000);
  ExpectSame(AllBars(*store_, kM1Bid), bars_);
}

TEST_F(BarAppendTest, RejectsBadInput) {
  auto code = [&](const BarSeriesKey& key, const BarRows& rows, int dec = 5) {
    return store_->AppendBars(key, rows.bars, rows.flags, dec).status();
  };
  BarRows unsorted = bars_.Slice(0, 10);
  std::swap(unsorted.bars[3], unsorted.bars[4]);
  Status s = code(kM1Bid, unsorted);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bar #4"), std::string::npos) << s.ToString();
  BarRows equal = bars_.Slice(0, 10);
  equal.bars[5].ts_open = equal.bars[4].ts_open;
  EXPECT_NE(code(kM1Bid, equal).message().find("strictly increasing"), std::string::npos);
  BarRows backwards = bars_.Slice(0, 10);
  backwards.bars[2].ts_close = backwards.bars[2].ts_open - Duration(1);
  EXPECT_NE(code(kM1Bid, backwards).message().find("before ts_open"), std::string::npos);
  BarRows ancient = bars_.Slice(0, 3);
  ancient.bars[0].ts_open = ancient.bars[0].ts_close = *ParseIsoUtc("1899-12-31");
  EXPECT_EQ(code(kM1Bid, ancient).code(), StatusCode::kInvalidArgument);
  for (const BarSeriesKey& bad :
       {BarSeriesKey{"EUR/USD", "M1", "bid"}, BarSeriesKey{"EURUSD", "", "bid"},
        BarSeriesKey{"EURUSD", "M1.x", "bid"}, BarSeriesKey{"EURUSD", "ThirteenChars", "bid"},
        BarSeriesKey{"EURUSD", "M1", "BID"}, BarSeriesKey{"EURUSD", "M1", "last"}}) {
    EXPECT_EQ(code(bad, bars_.Slice(0, 3)).code(), StatusCode::kInvalidArgument) << bad.ToString();
  }
  EXPECT_EQ(code(kM1Bid, bars_.Slice(0, 3), 10).code(), StatusCode::kInvalidArgument);
  BarRows few_flags = bars_.Slice(0, 3);
  few_flags.flags.pop_back();
  EXPECT_NE(code(kM1Bid, few_flags).message().find("2 flags for 3 bars"), std::string::npos);
  auto empty = store_->AppendBars(kM1Bid, {}, {}, 5);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ticks_in, 0);
  EXPECT_TRUE(store_->BarSeries().empty());  // nothing was committed by any of these
  auto ro = OpenRo(dir_);
  EXPECT_EQ(code(kM1Bid, bars_.Slice(0, 3)).code(), StatusCode::kOk);
  EXPECT_EQ(ro->AppendBars(kM1Bid, bars_.bars, bars_.flags, 5).status().code(),
            StatusCode::kFailedPrecondition);
}

// ---- listing, keys, snapshots, orphans ----------------------------------------------------------

TEST(BarStoreTest, ListingInfoAndKeys) {
  const std::string dir = testing::TestDir("bars_listing");
  auto w = OpenRw(dir);
  const BarRows m1 = testing::RealisticBars(1, kMonday, 2000, kM1);
  ASSERT_TRUE(w->Append("EURUSD", testing::RealisticTicks(1, kMonday, 100), 5).ok());
  for (const BarSeriesKey& k :
       {BarSeriesKey{"GBPUSD", "M1", "bid"}, BarSeriesKey{"EURUSD", "M5", "ask"},
        BarSeriesKey{"EURUSD", "M1", "mid"}, BarSeriesKey{"EURUSD", "M1", "bid"}}) {
    ASSERT_TRUE(Append(w.get(), k, m1).ok());
  }
  EXPECT_EQ(w->Symbols(), std::vector<std::string>{"EURUSD"});  // ticks only
  const auto all = w->BarSeries();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].ToString(), "EURUSD/M1.bid");
  EXPECT_EQ(all[1].ToString(), "EURUSD/M1.mid");
  EXPECT_EQ(all[2].ToString(), "EURUSD/M5.ask");
  EXPECT_EQ(all[3].ToString(), "GBPUSD/M1.bid");
  EXPECT_EQ(w->BarSeries("GBPUSD").size(), 1u);
  EXPECT_TRUE(w->BarSeries("USDJPY").empty());
  auto info = w->BarInfo(kM1Bid);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->bar_count, 2000);
  EXPECT_EQ(info->filled_count, std::count(m1.flags.begin(), m1.flags.end(), kBarFilled));
  EXPECT_GT(info->filled_count, 0);
  EXPECT_EQ(info->first_ts, m1.bars.front().ts_open);
  EXPECT_EQ(info->last_ts, m1.bars.back().ts_open);
  EXPECT_EQ(info->raw_bytes, 2000 * sizeof(Bar));
  uint64_t bytes = 0;
  const auto parts = w->BarPartitions(kM1Bid);
  ASSERT_TRUE(parts.ok());
  for (const auto& p : *parts) bytes += fs::file_size(p.path);
  EXPECT_EQ(info->bytes_on_disk, bytes);
  EXPECT_LT(info->bytes_per_bar(), 14.0);
  EXPECT_GT(info->compression_ratio(), 5.0);
  auto missing = w->BarInfo({"EURUSD", "H4", "bid"});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("EURUSD/M1.bid"), std::string::npos);  // lists known
  EXPECT_EQ(
      w->ScanBars({"EURUSD", "H4", "bid"}, UnixNanos::Min(), UnixNanos::Max()).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(w->Provenance(BarSeriesKey{"EURUSD", "H4", "bid"}).status().code(),
            StatusCode::kNotFound);
  // Keys as text.
  auto k = ParseBarSeriesKey("EURUSD/M1.bid");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, kM1Bid);
  for (const char* bad : {"EURUSD", "EURUSD/M1", "EURUSD/M1.", "/M1.bid", "EURUSD/M1.bid.x"}) {
    EXPECT_EQ(ParseBarSeriesKey(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(DefaultBarPeriod("M1"), BarPeriod::kMonth);
  EXPECT_EQ(DefaultBarPeriod("M30"), BarPeriod::kMonth);
  EXPECT_EQ(DefaultBarPeriod("S10"), BarPeriod::kMonth);
  EXPECT_EQ(DefaultBarPeriod("M60"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("H1"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("H4"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("D1"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("W1"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("MN1"), BarPeriod::kYear);
  EXPECT_EQ(DefaultBarPeriod("Range10"), BarPeriod::kMonth);
  EXPECT_EQ(DefaultBarPeriod("M0"), BarPeriod::kMonth);
  fs::remove_all(dir);
}

TEST(BarStoreTest, ReadersKeepTheirSnapshotAndRefreshSeesCommits) {
  const std::string dir = testing::TestDir("bars_snapshot");
  const BarRows bars = testing::RealisticBars(4, kMonday, 3000, kM1);
  auto w = OpenRw(dir);
  ASSERT_TRUE(Append(w.get(), kM1Bid, bars.Slice(0, 1000)).ok());
  auto r = OpenRo(dir);
  const std::string old_file = r->BarPartitions(kM1Bid)->front().path;
  auto wscan = w->ScanBars(kM1Bid, UnixNanos::Min(), UnixNanos::Max());
  ASSERT_TRUE(wscan.ok());
  ASSERT_TRUE(Append(w.get(), kM1Bid, bars.Slice(1000, 1000)).ok());
  EXPECT_TRUE(fs::exists(old_file));
  ExpectSame(AllBars(*r, kM1Bid), bars.Slice(0, 1000));
  BarRows from_writer_scan;
  while (true) {
    auto batch = (*wscan)->Next();
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    from_writer_scan.bars.insert(from_writer_scan.bars.end(), batch->bars.begin(),
                                 batch->bars.end());
    from_writer_scan.flags.insert(from_writer_scan.flags.end(), batch->flags.begin(),
                                  batch->flags.end());
  }
  ExpectSame(from_writer_scan, bars.Slice(0, 1000));
  wscan->reset();
  ASSERT_TRUE(r->Refresh().ok());
  ExpectSame(AllBars(*r, kM1Bid), bars.Slice(0, 2000));
  r.reset();
  ASSERT_TRUE(Append(w.get(), kM1Bid, bars.Slice(2000, 1000)).ok());
  EXPECT_FALSE(fs::exists(old_file));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir + "/bars/EURUSD/M1.bid")) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 2u);  // the manifest and the one partition
  fs::remove_all(dir);
}

TEST(BarStoreTest, WritableOpenRemovesBarOrphansOnly) {
  const std::string dir = testing::TestDir("bars_orphans");
  const BarRows bars = testing::RealisticBars(4, kMonday, 500, kM1);
  {
    auto w = OpenRw(dir);
    ASSERT_TRUE(Append(w.get(), kM1Bid, bars).ok());
  }
  const std::string ser = dir + "/bars/EURUSD/M1.bid/";
  ASSERT_TRUE(WriteFileAtomic(ser + "2024-03.9.abr", "half-written").ok());
  ASSERT_TRUE(WriteFileAtomic(ser + "2024-04.2.abr.tmp.1234", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(ser + "MANIFEST.json.tmp.77", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(ser + "README", "not ours").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/bars/EURUSD/H1.bid/2024.1.abr", "never committed").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/bars/GBPUSD/M1.ask/2024-03.1.abr", "never").ok());
  {
    auto r = OpenRo(dir);
    auto report = r->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok());
    EXPECT_EQ(report->orphan_files, 3);
    EXPECT_EQ(r->BarSeries().size(), 1u);
  }
  EXPECT_TRUE(fs::exists(ser + "2024-03.9.abr"));
  auto w = OpenRw(dir);
  EXPECT_FALSE(fs::exists(ser + "2024-03.9.abr"));
  EXPECT_FALSE(fs::exists(ser + "2024-04.2.abr.tmp.1234"));
  EXPECT_FALSE(fs::exists(ser + "MANIFEST.json.tmp.77"));
  EXPECT_TRUE(fs::exists(ser + "README"));
  EXPECT_FALSE(fs::exists(dir + "/bars/EURUSD/H1.bid"));
  EXPECT_FALSE(fs::exists(dir + "/bars/GBPUSD"));
  ExpectSame(AllBars(*w, kM1Bid), bars);
  fs::remove_all(dir);
}

// ---- damage -------------------------------------------------------------------------------------

template <typename T>
void Patch(std::string* s, size_t off, T v) {
  std::memcpy(s->data() + off, &v, sizeof(T));
}
void FixHeaderChecksum(std::string* s) {
  Patch<uint64_t>(s, 120, Checksum(std::string_view(*s).substr(0, 120)));
}

class BarCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TestDir("bars_corrupt");
    paths_.clear();
    StoreOptions o;
    o.block_bars = 1000;
    auto s = TickStore::Open(dir_, OpenMode::kReadWrite, o);
    ASSERT_TRUE(s.ok());
    // Late March to mid April: two month partitions.
    bars_ = testing::RealisticBars(1, *ParseIsoUtc("2024-03-25T00:00:00Z"), 30000, kM1);
    ASSERT_TRUE(Append(s->get(), kM1Bid, bars_).ok());
    ASSERT_TRUE(Append(s->get(), kOther, bars_.Slice(0, 500)).ok());
    ASSERT_TRUE((*s)->Append("EURUSD", testing::RealisticTicks(2, kMonday, 500), 5).ok());
    auto parts = (*s)->BarPartitions(kM1Bid);
    ASSERT_TRUE(parts.ok());
    ASSERT_EQ(parts->size(), 2u);
    for (const auto& p : *parts) paths_.push_back(p.path);
    manifest_ = dir_ + "/bars/EURUSD/M1.bid/MANIFEST.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Scanning the series and verifying the store both fail with Corruption naming `path` and
  // containing `what`; the other series and the ticks stay readable.
  void ExpectDamage(const std::string& path, const std::string& what) {
    auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto all = (*store)->ReadAllBars(kM1Bid, UnixNanos::Min(), UnixNanos::Max());
    ASSERT_FALSE(all.ok()) << "damage to " << path << " went unnoticed by ScanBars";
    const Status& err = all.status();
    EXPECT_EQ(err.code(), StatusCode::kCorruption) << err.ToString();
    EXPECT_NE(err.message().find(path), std::string::npos) << err.ToString();
    EXPECT_NE(err.message().find(what), std::string::npos) << err.ToString();
    ExpectVerifyNames(**store, path, "");  // Verify may name the whole-file checksum first
    EXPECT_TRUE((*store)->ReadAllBars(kOther, UnixNanos::Min(), UnixNanos::Max()).ok());
    EXPECT_TRUE((*store)->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max()).ok());
  }
  void ExpectVerifyNames(const TickStore& store, const std::string& path, const std::string& what) {
    auto report = store.Verify();
    ASSERT_TRUE(report.ok());
    ASSERT_FALSE(report->ok()) << "damage to " << path << " went unnoticed by Verify";
    bool named = false;
    for (const Status& p : report->problems) {
      named |= p.message().find(path) != std::string::npos &&
               (what.empty() || p.message().find(what) != std::string::npos);
    }
    EXPECT_TRUE(named) << report->problems[0].ToString();
  }

  // Rewrites partition `i` with its bars changed by `mutate` (keeping first/last ts and counts)
  // and re-seals file and manifest, as a hostile or buggy writer could: only the deep checks of
  // Verify can tell.
  template <typename F>
  void Reseal(size_t i, F mutate) {
    auto r = PartitionReader::Open(paths_[i], 0, PartitionKind::kBars);
    ASSERT_TRUE(r.ok());
    BarBlockDecoder dec;
    std::string scratch;
    BarRows rows, block;
    for (size_t b = 0; b < (*r)->blocks().size(); ++b) {
      ASSERT_TRUE((*r)->ReadBars(b, &dec, &scratch, &block.bars, &block.flags).ok());
      rows.Append(block);
    }
    mutate(&rows);
    BarBlockEncoder enc;
    PartitionWriter w((*r)->header(), &enc);
    ASSERT_TRUE(w.AddBars(rows.bars, rows.flags).ok());
    PartitionHeader h;
    std::string image = w.Finish(&h);
    Patch<uint64_t>(&image, 104, (*r)->header().filled_count);  // keep the recorded count
    FixHeaderChecksum(&image);
    const std::string old = Bytes(paths_[i]);
    char old_sum[17], new_sum[17];
    std::snprintf(old_sum, sizeof old_sum, "%016llx",
                  static_cast<unsigned long long>(Checksum(old)));
    std::snprintf(new_sum, sizeof new_sum, "%016llx",
                  static_cast<unsigned long long>(Checksum(image)));
    std::string m = Bytes(manifest_);
    auto replace = [&](const std::string& from, const std::string& to) {
      const size_t pos = m.find(from);
      ASSERT_NE(pos, std::string::npos) << from;
      m.replace(pos, from.size(), to);
    };
    replace("\"bytes\":" + std::to_string(old.size()) + ",\"checksum\":\"" + old_sum,
            "\"bytes\":" + std::to_string(image.size()) + ",\"checksum\":\"" + new_sum);
    Overwrite(paths_[i], image);
    Overwrite(manifest_, m);
  }

  const BarSeriesKey kOther{"EURUSD", "M1", "ask"};
  std::string dir_;
  std::string manifest_;
  std::vector<std::string> paths_;
  BarRows bars_;
};

TEST_F(BarCorruptionTest, HealthyStoreVerifies) {
  auto store = OpenRo(dir_);
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems[0].ToString();
  EXPECT_EQ(report->symbols, 1);
  EXPECT_EQ(report->ticks, 500);
  EXPECT_EQ(report->bar_series, 2);
  EXPECT_EQ(report->bar_partitions, 3);
  EXPECT_EQ(report->bars, 30500);
  EXPECT_GE(report->bar_blocks, 31);
  EXPECT_GT(report->bar_bytes, 0u);
}

TEST_F(BarCorruptionTest, BadBlockChecksum) {
  std::string b = Bytes(paths_[1]);
  b[b.size() - 5] ^= 0x40;
  Overwrite(paths_[1], b);
  ExpectDamage(paths_[1], "checksum mismatch");
}

TEST_F(BarCorruptionTest, TruncatedAndMissingFiles) {
  std::string b = Bytes(paths_[0]);
  Overwrite(paths_[0], b.substr(0, b.size() - 100));
  ExpectDamage(paths_[0], "truncated");
  Overwrite(paths_[0], b.substr(0, 60));
  ExpectDamage(paths_[0], "truncated");
  fs::remove(paths_[0]);
  ExpectDamage(paths_[0], "missing");
}

TEST_F(BarCorruptionTest, WrongKindAndHeaderDisagreeingWithManifest) {
  const std::string good = Bytes(paths_[0]);
  std::string b = good;
  Patch<uint16_t>(&b, 10, 1);  // claims to hold ticks
  FixHeaderChecksum(&b);
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "unsupported partition kind 1");
  b = good;
  std::memcpy(b.data() + 92, "M5", 2);  // another series' file
  FixHeaderChecksum(&b);
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "differs from the manifest");
  b = good;
  Patch<uint64_t>(&b, 104, 12345);  // filled count beyond the bar count
  FixHeaderChecksum(&b);
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "inconsistent counts");
  b = good;
  b[112] ^= 1;  // reserved byte, covered by the header checksum
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "header checksum mismatch");
}

TEST_F(BarCorruptionTest, ResealedDamageIsFoundByVerify) {
  // Two middle bars swapped: every checksum is valid, but the order is not.
  Reseal(0, [](BarRows* rows) { std::swap(rows->bars[10], rows->bars[11]); });
  {
    auto store = OpenRo(dir_);
    ExpectVerifyNames(*store, paths_[0], "is not after the previous bar");
  }
  SetUp();  // fresh store
  // One filled flag cleared, the header's filled count kept.
  Reseal(1, [](BarRows* rows) {
    auto it = std::find(rows->flags.begin(), rows->flags.end(), kBarFilled);
    ASSERT_NE(it, rows->flags.end());
    *it = 0;
  });
  auto store = OpenRo(dir_);
  ExpectVerifyNames(*store, paths_[1], "filled bars, but the header records");
}

TEST_F(BarCorruptionTest, BadManifest) {
  Overwrite(manifest_, "{ \"format\": \"arus-bar-manifest\", \"version\": 1, ");
  {
    auto store = OpenRo(dir_);
    EXPECT_EQ(store->BarSeries().size(), 2u);  // still listed, so it can be reported
    for (const Status& s :
         {store->BarInfo(kM1Bid).status(),
          store->ScanBars(kM1Bid, UnixNanos::Min(), UnixNanos::Max()).status(),
          store->BarPartitions(kM1Bid).status(), store->Provenance(kM1Bid).status()}) {
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      EXPECT_NE(s.message().find(manifest_), std::string::npos) << s.ToString();
      EXPECT_NE(s.message().find("not valid JSON"), std::string::npos) << s.ToString();
    }
    EXPECT_TRUE(store->BarInfo(kOther).ok());
    ExpectVerifyNames(*store, manifest_, "not valid JSON");
  }
  // A writer refuses to touch the damaged series and does not delete its files.
  auto store = OpenRw(dir_);
  EXPECT_EQ(Append(store.get(), kM1Bid, bars_.Slice(0, 10)).code(), StatusCode::kCorruption);
  for (const std::string& p : paths_) EXPECT_TRUE(fs::exists(p)) << p;
  EXPECT_TRUE(Append(store.get(), kOther, bars_.Slice(500, 10)).ok());
}

// A manifest claiming absurd bar counts (a hostile or damaged file) must not make a read reserve
// memory for them: the read reports the disagreement with the partition, and nothing crashes.
TEST_F(BarCorruptionTest, AbsurdBarCountsInTheManifest) {
  std::string m = Bytes(manifest_);
  const size_t pos = m.find("\"bars\":");
  ASSERT_NE(pos, std::string::npos);
  const size_t end = m.find(',', pos);
  m.replace(pos, end - pos, "\"bars\":4000000000000000000");
  Overwrite(manifest_, m);
  auto store = OpenRo(dir_);
  auto all = store->ReadAllBars(kM1Bid, UnixNanos::Min(), UnixNanos::Max());
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kCorruption) << all.status().ToString();
  EXPECT_TRUE(store->ReadAllBars(kOther, UnixNanos::Min(), UnixNanos::Max()).ok());
}

TEST_F(BarCorruptionTest, RandomDamageThroughTheStore) {
  const std::string good = Bytes(paths_[0]);
  std::mt19937_64 rng(77);
  auto store = OpenRo(dir_);
  for (int iter = 0; iter < 300; ++iter) {
    std::string b = good;
    if (iter % 2 == 0) {
      b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
    } else {
      b.resize(rng() % b.size());
    }
    Overwrite(paths_[0], b);
    auto all = store->ReadAllBars(kM1Bid, UnixNanos::Min(), UnixNanos::Max());
    ASSERT_FALSE(all.ok()) << "iteration " << iter;
    EXPECT_NE(all.status().message().find(paths_[0]), std::string::npos);
  }
  Overwrite(paths_[0], good);
  ExpectSame(AllBars(*store, kM1Bid), bars_);
}

// ---- provenance ---------------------------------------------------------------------------------

Provenance Prov(std::string source, std::string policy = "max_spread_pips=50\n",
                std::string note = "") {
  Provenance p;
  p.source = std::move(source);
  p.cleaning_policy = std::move(policy);
  p.policy_hash = p.cleaning_policy.empty() ? "" : "h" + std::to_string(p.cleaning_policy.size());
  p.note = std::move(note);
  return p;
}

AppendOptions With(const Provenance& p, bool replace = false) {
  AppendOptions o;
  o.provenance = p;
  o.replace = replace;
  return o;
}

TEST(StoreProvenanceTest, TickAppendsRecordProvenanceWithTheData) {
  const std::string dir = testing::TestDir("prov_ticks");
  SimulatedClock clock(*ParseIsoUtc("2024-06-01T12:00:00Z"));
  StoreOptions opt;
  opt.clock = &clock;
  const auto ticks = testing::RealisticTicks(1, kMonday, 4000);
  const std::span<const QuoteTick> all(ticks);
  const std::string manifest = dir + "/ticks/EURUSD/MANIFEST.json";
  {
    auto w = OpenRw(dir, opt);
    // No provenance: none recorded, and the manifest stays at version 1.
    ASSERT_TRUE(w->Append("EURUSD", all.subspan(0, 500), 5).ok());
    EXPECT_TRUE(w->Provenance("EURUSD")->empty());
    EXPECT_NE(Bytes(manifest).find("\"version\": 1"), std::string::npos);
    const Provenance truefx = Prov("truefx");
    ASSERT_TRUE(w->Append("EURUSD", all.subspan(500, 1000), 5, With(truefx)).ok());
    EXPECT_NE(Bytes(manifest).find("\"version\": 2"), std::string::npos);
    ASSERT_TRUE(clock.AdvanceTo(*ParseIsoUtc("2024-06-02T12:00:00Z")).ok());
    // Adjacent (with a re-sent tail) and identical: merged into one record.
    ASSERT_TRUE(w->Append("EURUSD", all.subspan(1400, 600), 5, With(truefx)).ok());
    auto recs = w->Provenance("EURUSD");
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 1u);
    EXPECT_EQ((*recs)[0].provenance, truefx);
    EXPECT_EQ((*recs)[0].first_ts, ticks[500].ts_event);
    EXPECT_EQ((*recs)[0].last_ts, ticks[1999].ts_event);
    EXPECT_EQ((*recs)[0].appends, 2);
    EXPECT_EQ((*recs)[0].first_committed, *ParseIsoUtc("2024-06-01T12:00:00Z"));
    EXPECT_EQ((*recs)[0].last_committed, *ParseIsoUtc("2024-06-02T12:00:00Z"));
    EXPECT_EQ((*recs)[0].generation, 3u);
    // A different policy: a new record.
    const Provenance stricter = Prov("truefx", "max_spread_pips=20\n", "re-cleaned");
    ASSERT_TRUE(w->Append("EURUSD", all.subspan(2000, 1000), 5, With(stricter)).ok());
    // An append that changes nothing records nothing.
    auto dup = w->Append("EURUSD", all.subspan(2000, 1000), 5, With(Prov("other")));
    ASSERT_TRUE(dup.ok());
    EXPECT_EQ(dup->ticks_duplicate, 1000);
    // A failing append records nothing either (and writes nothing).
    std::vector<QuoteTick> changed(ticks.begin() + 2500, ticks.begin() + 2600);
    changed[10].bid = changed[10].bid + Price::FromScaled(1, 5);
    EXPECT_EQ(w->Append("EURUSD", changed, 5, With(Prov("bad-feed"))).status().code(),
              StatusCode::kFailedPrecondition);
    // Invalid provenance is refused before anything is written.
    EXPECT_EQ(w->Append("EURUSD", all.subspan(3000, 1000), 5, With(Prov(""))).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(w->Info("EURUSD")->tick_count, 3000);
    recs = w->Provenance("EURUSD");
    ASSERT_EQ(recs->size(), 2u);
    EXPECT_EQ((*recs)[1].provenance, stricter);
    EXPECT_EQ((*recs)[1].first_ts, ticks[2000].ts_event);
    EXPECT_EQ((*recs)[1].last_ts, ticks[2999].ts_event);
    EXPECT_EQ((*recs)[1].generation, 4u);
    // A replace with the first policy over the second's range: a third record, listed last.
    auto replaced = w->Append("EURUSD", changed, 5, With(truefx, true));
    ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
    EXPECT_EQ(replaced->ticks_replaced, 100);
    EXPECT_EQ(w->Provenance("EURUSD")->size(), 3u);
  }
  // Survives reopening, for readers and writers.
  auto r = OpenRo(dir);
  auto recs = r->Provenance("EURUSD");
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].appends, 2);
  EXPECT_EQ((*recs)[1].provenance.note, "re-cleaned");
  EXPECT_EQ((*recs)[2].first_ts, ticks[2500].ts_event);
  EXPECT_EQ(r->Provenance("GBPUSD").status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

TEST(StoreProvenanceTest, BarAppendsRecordProvenanceWithTheData) {
  const std::string dir = testing::TestDir("prov_bars");
  SimulatedClock clock(*ParseIsoUtc("2024-06-01T00:00:00Z"));
  StoreOptions opt;
  opt.clock = &clock;
  const BarRows bars = testing::RealisticBars(3, kMonday, 3000, kM1);
  const Provenance hist = Prov("histdata", "");
  const Provenance repaired = Prov("histdata", "gap_fill=flat\n", "repaired gaps");
  {
    auto w = OpenRw(dir, opt);
    ASSERT_TRUE(Append(w.get(), kM1Bid, bars.Slice(0, 1000), 5, With(hist)).ok());
    ASSERT_TRUE(clock.AdvanceTo(*ParseIsoUtc("2024-06-01T01:00:00Z")).ok());
    ASSERT_TRUE(Append(w.get(), kM1Bid, bars.Slice(1000, 1000), 5, With(hist)).ok());
    BarRows changed = bars.Slice(500, 10);
    changed.flags[3] ^= kBarFilled;
    EXPECT_EQ(Append(w.get(), kM1Bid, changed, 5, With(repaired)).code(),
              StatusCode::kFailedPrecondition);
    ASSERT_TRUE(Append(w.get(), kM1Bid, changed, 5, With(repaired, true)).ok());
    // Another series keeps its own records.
    ASSERT_TRUE(Append(w.get(), {"EURUSD", "M1", "ask"}, bars, 5, With(Prov("dukascopy"))).ok());
    // A series without any record.
    ASSERT_TRUE(Append(w.get(), {"EURUSD", "H1", "bid"}, bars.Slice(0, 5)).ok());
  }
  auto r = OpenRo(dir);
  auto recs = r->Provenance(kM1Bid);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].provenance, hist);
  EXPECT_EQ((*recs)[0].first_ts, bars.bars[0].ts_open);
  EXPECT_EQ((*recs)[0].last_ts, bars.bars[1999].ts_open);
  EXPECT_EQ((*recs)[0].appends, 2);
  EXPECT_EQ((*recs)[0].last_committed, *ParseIsoUtc("2024-06-01T01:00:00Z"));
  EXPECT_EQ((*recs)[1].provenance, repaired);
  EXPECT_EQ((*recs)[1].first_ts, bars.bars[500].ts_open);
  EXPECT_EQ((*recs)[1].last_ts, bars.bars[509].ts_open);
  EXPECT_EQ((*recs)[1].generation, 3u);
  EXPECT_EQ(r->Provenance(BarSeriesKey{"EURUSD", "M1", "ask"})->front().provenance.source,
            "dukascopy");
  EXPECT_TRUE(r->Provenance(BarSeriesKey{"EURUSD", "H1", "bid"})->empty());
  fs::remove_all(dir);
}

// A store whose tick manifests were written before provenance existed (version 1) reads as
// "no records", and the first append with provenance upgrades that manifest to version 2.
TEST(StoreProvenanceTest, OldManifestsReadAsNoRecords) {
  const std::string dir = testing::TestDir("prov_old");
  const auto ticks = testing::RealisticTicks(2, kMonday, 1000);
  const std::span<const QuoteTick> all(ticks);
  {
    auto w = OpenRw(dir);
    ASSERT_TRUE(w->Append("EURUSD", all.subspan(0, 500), 5).ok());
  }
  const std::string manifest = dir + "/ticks/EURUSD/MANIFEST.json";
  const std::string v1 = Bytes(manifest);
  ASSERT_EQ(v1.find("provenance"), std::string::npos);
  ASSERT_NE(v1.find("\"version\": 1"), std::string::npos);
  {
    auto r = OpenRo(dir);
    auto recs = r->Provenance("EURUSD");
    ASSERT_TRUE(recs.ok());
    EXPECT_TRUE(recs->empty());
  }
  auto w = OpenRw(dir);
  ASSERT_TRUE(w->Append("EURUSD", all.subspan(500, 500), 5, With(Prov("truefx"))).ok());
  EXPECT_NE(Bytes(manifest).find("\"version\": 2"), std::string::npos);
  EXPECT_EQ(w->Provenance("EURUSD")->size(), 1u);
  EXPECT_TRUE(BitIdentical(*w->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max()), ticks));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arus::store
