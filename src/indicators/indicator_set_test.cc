// IndicatorSet: its row equals each Indicator run on its own, bit for bit, for every registered
// indicator and for kernels that share a window; Update + Values equals UpdateValues; Save writes
// the bytes of the indicators' own Saves, and Load, Clone, Reset and Add mid-stream continue
// exactly; windows are shared only while their states are equal.
#include "indicators/indicator_set.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace arus::indicators {
namespace {

// Trending and flat stretches (identical values), volume and spreads.
std::vector<BarInput> MakeBars(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1);
  std::vector<BarInput> bars;
  double close = 1.1;
  const int64_t t0 = 1'700'000'000LL * 1'000'000'000LL;
  for (int i = 0; i < n; ++i) {
    BarInput b;
    b.ts_open = UnixNanos(t0 + i * kNanosPerMinute);
    b.ts_close = UnixNanos(t0 + (i + 1) * kNanosPerMinute);
    const bool moving = i % 500 < 440;
    b.open = close;
    if (moving) close += 1e-4 * z(rng);
    b.close = std::round(close * 1e5) / 1e5;  // 5 decimals: equal closes are common
    b.high = std::max(b.open, b.close) + 1e-5 * std::floor(5 * std::fabs(z(rng))) * moving;
    b.low = std::min(b.open, b.close) - 1e-5 * std::floor(5 * std::fabs(z(rng))) * moving;
    b.tick_count = 1 + std::floor(30 * std::fabs(z(rng)));
    b.volume = b.tick_count;
    b.spread_mean = 1e-5 * (1 + std::fabs(z(rng)));
    b.spread_max = 2 * b.spread_mean;
    bars.push_back(b);
  }
  return bars;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every registered indicator, and groups over shared windows (moments of the close of periods
// 20 and 10; highs/lows of periods 14 and 20).
const char* const kList =
    "sma(20),ema(20),wma(20),rsi(14),macd(12,26,9),bbands(20,2),roc(10),stddev(20),zscore(20),"
    "stoch(14,3,3),atr(14),adx(14),cci(20),willr(14),donchian(20),keltner,mfi(14),adl,obv,ao,"
    "tickvol,spread,session,slippage,bbands(10,1),zscore(10),donchian(14),willr(20),stddev(10),"
    "stoch(20,1,2),bbands(20,1.5)";

// The reference: every indicator on its own, through its virtual interface.
struct Separate {
  std::vector<std::unique_ptr<Indicator>> inds;
  size_t outputs = 0;
  explicit Separate(std::string_view list) {
    auto specs = ParseIndicatorList(list);
    EXPECT_TRUE(specs.ok()) << specs.status().ToString();
    for (const auto& s : *specs) {
      inds.push_back(MakeIndicator(s).value());
      outputs += inds.back()->OutputNames().size();
    }
  }
  std::vector<double> Row(const BarInput& bar) {
    std::vector<double> row(outputs);
    double* out = row.data();
    for (auto& ind : inds) {
      ind->UpdateValues(bar, out);
      out += ind->OutputNames().size();
    }
    return row;
  }
  std::vector<uint8_t> State() const {
    StateWriter w;
    for (const auto& ind : inds) ind->Save(w);
    return w.bytes();
  }
};

IndicatorSet MakeSet(std::string_view list) {
  auto set = IndicatorSet::Parse(list);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return std::move(*set);
}

void ExpectSameRow(const std::vector<double>& want, const std::vector<double>& got, size_t bar,
                   const IndicatorSet& set) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t j = 0; j < want.size(); ++j) {
    ASSERT_TRUE(SameBits(want[j], got[j])) << "bar " << bar << " column " << set.OutputNames()[j]
                                           << ": " << want[j] << " vs " << got[j];
  }
}

TEST(IndicatorSet, RowEqualsEachIndicatorOnItsOwn) {
  const auto bars = MakeBars(3000, 1);
  Separate ref(kList);
  IndicatorSet set = MakeSet(kList);
  ASSERT_EQ(set.size(), ref.inds.size());
  ASSERT_EQ(set.output_count(), ref.outputs);
  // Followers: zscore(20), stddev(20), bbands(20,1.5) of bbands(20,2); zscore(10), stddev(10) of
  // bbands(10,1); willr(14), donchian(14) of stoch(14); willr(20), stoch(20) of donchian(20).
  EXPECT_EQ(set.shared_count(), 9u);
  size_t col = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    EXPECT_EQ(set.output_offset(i), col);
    for (const std::string& n : ref.inds[i]->OutputNames()) EXPECT_EQ(set.OutputNames()[col++], n);
  }
  std::vector<double> row(set.output_count());
  for (size_t i = 0; i < bars.size(); ++i) {
    set.UpdateValues(bars[i], row.data());
    ExpectSameRow(ref.Row(bars[i]), row, i, set);
  }
  int warmup = 0, stable = 0;
  for (const auto& ind : ref.inds) {
    warmup = std::max(warmup, ind->WarmupPeriod());
    stable = std::max(stable, ind->StablePeriod());
  }
  EXPECT_EQ(set.WarmupPeriod(), warmup);
  EXPECT_EQ(set.StablePeriod(), stable);
}

TEST(IndicatorSet, UpdateThenValuesEqualsUpdateValues) {
  const auto bars = MakeBars(1500, 2);
  IndicatorSet a = MakeSet(kList), b = MakeSet(kList);
  std::vector<double> ra(a.output_count()), rb(b.output_count());
  for (size_t i = 0; i < bars.size(); ++i) {
    a.UpdateValues(bars[i], ra.data());
    b.Update(bars[i]);
    if (i % 3 != 0) continue;  // values need not be read every bar
    b.Values(rb.data());
    ExpectSameRow(ra, rb, i, a);
  }
}

TEST(IndicatorSet, SaveIsTheIndicatorsOwnStateAndLoadContinues) {
  const auto bars = MakeBars(2500, 3);
  for (size_t cut : {size_t{0}, size_t{7}, size_t{19}, size_t{1234}}) {
    SCOPED_TRACE(cut);
    Separate ref(kList);
    IndicatorSet set = MakeSet(kList);
    std::vector<double> row(set.output_count());
    for (size_t i = 0; i < cut; ++i) {
      ref.Row(bars[i]);
      set.UpdateValues(bars[i], row.data());
    }
    StateWriter w;
    set.Save(w);
    EXPECT_EQ(w.bytes(), ref.State());  // followers' own windows were brought up to date
    IndicatorSet loaded = MakeSet(kList);
    StateReader r(w.bytes());
    ASSERT_TRUE(loaded.Load(r).ok());
    EXPECT_TRUE(r.done());
    EXPECT_EQ(loaded.shared_count(), set.shared_count());
    IndicatorSet clone = set.Clone();
    EXPECT_EQ(clone.shared_count(), set.shared_count());
    std::vector<double> row2(set.output_count()), row3(set.output_count());
    for (size_t i = cut; i < bars.size(); ++i) {
      const auto want = ref.Row(bars[i]);
      set.UpdateValues(bars[i], row.data());
      loaded.UpdateValues(bars[i], row2.data());
      clone.UpdateValues(bars[i], row3.data());
      ExpectSameRow(want, row, i, set);
      ExpectSameRow(want, row2, i, set);
      ExpectSameRow(want, row3, i, set);
    }
  }
}

TEST(IndicatorSet, IndicatorAccessShowsCurrentState) {
  const auto bars = MakeBars(300, 4);
  IndicatorSet set = MakeSet("bbands(20,2),stddev(20),zscore(20),stoch(14,3,3),willr(14)");
  ASSERT_EQ(set.shared_count(), 3u);
  std::vector<double> row(set.output_count());
  for (const auto& b : bars) set.UpdateValues(b, row.data());
  for (size_t i = 0; i < set.size(); ++i) {
    const Indicator& ind = set.indicator(i);
    EXPECT_TRUE(ind.IsReady());
    std::vector<double> own(ind.OutputNames().size());
    ind.Values(own.data());
    for (size_t j = 0; j < own.size(); ++j) {
      const size_t col = set.output_offset(i) + j;
      EXPECT_TRUE(SameBits(own[j], row[col])) << set.OutputNames()[col];
    }
  }
}

TEST(IndicatorSet, LoadOfUnequalWindowsDoesNotShare) {
  // States saved by separate indicators that saw different histories: zscore(20) one bar more.
  const auto bars = MakeBars(400, 5);
  Separate ref("bbands(20,2),zscore(20),willr(14),stoch(14,3,3)");
  for (size_t i = 0; i < 200; ++i) ref.Row(bars[i]);
  ref.inds[1]->Update(bars[200]);
  ref.inds[3]->Update(bars[200]);
  IndicatorSet set = MakeSet("bbands(20,2),zscore(20),willr(14),stoch(14,3,3)");
  EXPECT_EQ(set.shared_count(), 2u);
  const std::vector<uint8_t> state = ref.State();
  StateReader r(state);
  ASSERT_TRUE(set.Load(r).ok());
  EXPECT_EQ(set.shared_count(), 0u);
  std::vector<double> row(set.output_count());
  for (size_t i = 201; i < bars.size(); ++i) {
    set.UpdateValues(bars[i], row.data());
    ExpectSameRow(ref.Row(bars[i]), row, i, set);
  }
  // Reset: all windows equal (empty) again.
  set.Reset();
  EXPECT_EQ(set.shared_count(), 2u);
}

TEST(IndicatorSet, LoadRejectsTruncatedState) {
  IndicatorSet set = MakeSet("bbands(20,2),stddev(20)");
  StateWriter w;
  set.Save(w);
  std::vector<uint8_t> bytes = w.bytes();
  bytes.resize(bytes.size() - 3);
  StateReader r(bytes);
  const Status s = set.Load(r);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("stddev: indicator state: bad vector length"), std::string::npos)
      << s.message();
}

TEST(IndicatorSet, AddMidStreamSharesOnlyEqualWindows) {
  const auto bars = MakeBars(600, 6);
  IndicatorSet set = MakeSet("bbands(20,2),willr(14)");
  Separate ref("bbands(20,2),willr(14)");
  std::vector<double> row(set.output_count());
  for (size_t i = 0; i < 100; ++i) {
    set.UpdateValues(bars[i], row.data());
    ref.Row(bars[i]);
  }
  // A fresh stddev(20) and donchian(14) have empty windows: they must not read the old ones.
  ASSERT_TRUE(set.Add(*ParseIndicatorSpec("stddev(20)")).ok());
  set.Add(MakeIndicator(*ParseIndicatorSpec("donchian(14)")).value());
  EXPECT_EQ(set.shared_count(), 0u);
  Separate fresh("stddev(20),donchian(14)");
  row.resize(set.output_count());
  for (size_t i = 100; i < bars.size(); ++i) {
    set.UpdateValues(bars[i], row.data());
    std::vector<double> want = ref.Row(bars[i]);
    const std::vector<double> f = fresh.Row(bars[i]);
    want.insert(want.end(), f.begin(), f.end());
    ExpectSameRow(want, row, i, set);
  }
}

// A user-defined indicator (not a registry kernel) runs through its virtual interface.
class CountBars final : public Indicator {
 public:
  void Update(const BarInput&) override { ++n_; }
  bool IsReady() const override { return n_ > 0; }
  int WarmupPeriod() const override { return 1; }
  int StablePeriod() const override { return 1; }
  const std::vector<std::string>& OutputNames() const override { return names_; }
  void Values(double* out) const override { out[0] = static_cast<double>(n_); }
  void Save(StateWriter& w) const override { w.PutInt(n_); }
  Status Load(StateReader& r) override { return r.GetInt(&n_); }
  void Reset() override { n_ = 0; }
  std::unique_ptr<Indicator> Clone() const override { return std::make_unique<CountBars>(*this); }

 private:
  int64_t n_ = 0;
  std::vector<std::string> names_ = {"count"};
};

TEST(IndicatorSet, OtherIndicatorsRunThroughTheirInterface) {
  const auto bars = MakeBars(50, 7);
  IndicatorSet set = MakeSet("ema(3)");
  set.Add(std::make_unique<CountBars>());
  ASSERT_TRUE(set.Add(*ParseIndicatorSpec("sma(2)")).ok());
  EXPECT_EQ(set.OutputNames(), (std::vector<std::string>{"ema_3", "count", "sma_2"}));
  Separate ref("ema(3),sma(2)");
  std::vector<double> row(3), vrow(3);
  for (size_t i = 0; i < bars.size(); ++i) {
    set.UpdateValues(bars[i], row.data());
    const auto want = ref.Row(bars[i]);
    EXPECT_TRUE(SameBits(row[0], want[0]));
    EXPECT_EQ(row[1], static_cast<double>(i + 1));
    EXPECT_TRUE(SameBits(row[2], want[1]));
    set.Values(vrow.data());
    for (int j = 0; j < 3; ++j) EXPECT_TRUE(SameBits(vrow[j], row[j])) << j;
  }
  set.Update(bars[0]);
  set.Values(row.data());
  EXPECT_EQ(row[1], 51.0);
}

TEST(IndicatorSet, EmptyMovedFromAndBadLists) {
  IndicatorSet empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.output_count(), 0u);
  EXPECT_EQ(empty.WarmupPeriod(), 0);
  const auto bars = MakeBars(3, 8);
  empty.UpdateValues(bars[0], nullptr);
  empty.Values(nullptr);

  IndicatorSet a = MakeSet("rsi(14),obv");
  IndicatorSet b = std::move(a);
  EXPECT_EQ(b.size(), 2u);
  a.Update(bars[0]);  // NOLINT(bugprone-use-after-move): a moved-from set stays usable
  ASSERT_TRUE(a.Add(*ParseIndicatorSpec("obv")).ok());
  double v = 0;
  a.UpdateValues(bars[1], &v);
  EXPECT_EQ(v, bars[1].volume);  // OBV starts at the first volume

  auto bad = IndicatorSet::Parse("rsi(14),nosuch(3)");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown indicator 'nosuch'"), std::string::npos)
      << bad.status().message();
  auto dup = IndicatorSet::Parse("rsi,rsi(14)");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("listed twice"), std::string::npos);
}

}  // namespace
}  // namespace arus::indicators
