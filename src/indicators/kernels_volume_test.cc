#include "indicators/kernels_volume.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "indicators/registry.h"

namespace arus::indicators {
namespace {

UnixNanos T(std::string_view iso) {
  Result<UnixNanos> t = ParseIsoUtc(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return *t;
}

// Deterministic generator (splitmix64), independent of the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Sym() { return 2 * Uniform() - 1; }                                  // [-1, 1)

 private:
  uint64_t s_;
};

// Random M5 bars around 1.10 with volume, tick counts and spreads; some bars repeat the previous
// typical price or have no range, to reach the kernels' equal/zero branches.
std::vector<BarInput> MakeBars(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<BarInput> bars(n);
  double close = 1.10;
  UnixNanos t = T("2024-03-04T00:00:00Z");
  for (size_t i = 0; i < n; ++i) {
    BarInput& b = bars[i];
    b.ts_open = t;
    t += Duration(5 * kNanosPerMinute);
    b.ts_close = t;
    const double r = rng.Uniform();
    if (i > 0 && r < 0.05) {
      b = bars[i - 1];  // same prices: equal typical price and close
      b.ts_open = bars[i - 1].ts_close;
      b.ts_close = t;
    } else if (r < 0.08) {
      b.open = b.high = b.low = b.close = close;  // no range
    } else {
      b.open = close + 0.0001 * rng.Sym();
      close = b.open + 0.0008 * rng.Sym();
      b.close = close;
      b.high = std::max(b.open, b.close) + 0.0004 * rng.Uniform();
      b.low = std::min(b.open, b.close) - 0.0004 * rng.Uniform();
    }
    b.volume = 20 + 200 * rng.Uniform();
    b.tick_count = std::floor(1 + 300 * rng.Uniform());
    b.spread_mean = 0.00006 + 0.00014 * rng.Uniform();
    b.spread_max = b.spread_mean * 2;
  }
  return bars;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// |a - b| within 1e-9 relative to the larger value, or to 1e-12 of the output's scale (the values
// near a zero crossing carry the absolute rounding of the terms they are made of).
bool Close9(double a, double b, double scale) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)) + 1e-12 * scale;
}

// A kernel under test, through the Indicator adapter (as the registry and feature sets use it).
struct Case {
  std::string name;
  std::function<std::unique_ptr<Indicator>()> make;
  bool cumulative = false;  // ADL, OBV: level depends on the start, differences do not
};

std::vector<Case> AllCases() {
  auto w = [](auto k, int outputs) {
    std::vector<std::string> names;
    for (int i = 0; i < outputs; ++i) names.push_back("out" + std::to_string(i));
    using K = decltype(k);
    return std::function<std::unique_ptr<Indicator>()>(
        [k, names] { return std::make_unique<KernelIndicator<K>>(k, names); });
  };
  return {
      {"mfi14", w(Mfi(14), 1)},
      {"mfi3", w(Mfi(3), 1)},
      {"adl", w(Adl(), 1), true},
      {"obv", w(Obv(), 1), true},
      {"ao", w(AwesomeOscillator(5, 34), 1)},
      {"tickvol20", w(TickVolumeStats(20), 2)},
      {"spread20", w(SpreadStats(20), 2)},
      {"spread7", w(SpreadStats(7), 2)},
      {"session", w(SessionFlags(), SessionFlags::kOutputs)},
      {"slippage", w(SlippageEstimate(20, 250), 3)},
  };
}

// ---- Independent references
// ----------------------------------------------------------------------

// MFI by its published definition: sums over the window recomputed from scratch for each bar.
std::vector<double> RefMfi(const std::vector<BarInput>& b, int period) {
  std::vector<double> out(b.size(), NAN);
  std::vector<double> tp(b.size());
  for (size_t i = 0; i < b.size(); ++i) tp[i] = (b[i].high + b[i].low + b[i].close) / 3.0;
  for (size_t t = period; t < b.size(); ++t) {
    double pos = 0, neg = 0;
    for (size_t i = t + 1 - period; i <= t; ++i) {
      if (tp[i] > tp[i - 1]) pos += tp[i] * b[i].volume;
      if (tp[i] < tp[i - 1]) neg += tp[i] * b[i].volume;
    }
    out[t] = pos + neg < 1 ? 0.0 : 100.0 * pos / (pos + neg);
  }
  return out;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}

double PopStd(const std::vector<double>& v) {
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

std::vector<double> Window(const std::vector<double>& x, size_t end, int n) {
  return std::vector<double>(x.begin() + static_cast<long>(end + 1 - n), x.begin() + end + 1);
}

// ---- Hand-worked values
// --------------------------------------------------------------------------

BarInput Hlcv(double h, double l, double c, double v) {
  BarInput b;
  b.high = h;
  b.low = l;
  b.close = c;
  b.open = c;
  b.volume = v;
  return b;
}

TEST(VolumeKernels, ObvHandWorked) {
  // TA-Lib: starts from the first volume, +v on up close, -v on down, unchanged when equal.
  Obv k;
  EXPECT_FALSE(k.IsReady());
  EXPECT_TRUE(std::isnan(k.value()));
  const double closes[] = {1.0, 2.0, 2.0, 1.5, 1.7};
  const double vols[] = {10, 20, 30, 40, 5};
  const double want[] = {10, 30, 30, -10, -5};
  for (int i = 0; i < 5; ++i) {
    k.Update(Hlcv(closes[i], closes[i], closes[i], vols[i]));
    EXPECT_EQ(k.value(), want[i]) << i;
  }
}

TEST(VolumeKernels, AdlHandWorked) {
  Adl k;
  // CLV = ((C-L) - (H-C)) / (H-L): close at the high adds the whole volume, at the low subtracts
  // it, in the middle adds nothing, and a bar without range adds nothing.
  k.Update(Hlcv(2.0, 1.0, 2.0, 100));  // +100
  EXPECT_EQ(k.value(), 100);
  k.Update(Hlcv(2.0, 1.0, 1.0, 50));  // -50
  EXPECT_EQ(k.value(), 50);
  k.Update(Hlcv(2.0, 1.0, 1.5, 70));  // 0
  EXPECT_EQ(k.value(), 50);
  k.Update(Hlcv(1.5, 1.5, 1.5, 70));  // no range
  EXPECT_EQ(k.value(), 50);
  k.Update(Hlcv(2.0, 1.0, 1.75, 40));  // CLV 0.5 -> +20
  EXPECT_EQ(k.value(), 70);
  EXPECT_EQ(k.StablePeriod(), kNeverStable);
}

TEST(VolumeKernels, MfiHandWorked) {
  // period 2. Typical prices 1, 2, 3, 2, 2 (H=L=C), volumes 1, 10, 10, 20, 5.
  // flows: +20 (tp 2), +30 (tp 3), -40 (tp 2), 0 (equal)
  // MFI after bar 3: 100*50/50 = 100; after bar 4: 30/(30+40) = 42.857...; after bar 5: 0/40 = 0.
  Mfi k(2);
  const double tp[] = {1, 2, 3, 2, 2};
  const double v[] = {1, 10, 10, 20, 5};
  std::vector<double> got;
  for (int i = 0; i < 5; ++i) {
    k.Update(Hlcv(tp[i], tp[i], tp[i], v[i]));
    got.push_back(k.value());
  }
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_DOUBLE_EQ(got[2], 100.0);
  EXPECT_DOUBLE_EQ(got[3], 100.0 * 30 / 70);
  EXPECT_DOUBLE_EQ(got[4], 0.0);
  EXPECT_EQ(k.WarmupPeriod(), 3);
  // TA-Lib: a total money flow below 1 gives 0.
  Mfi small(1);
  small.Update(Hlcv(1, 1, 1, 0.1));
  small.Update(Hlcv(2, 2, 2, 0.1));  // flow 0.2
  EXPECT_EQ(small.value(), 0.0);
}

TEST(VolumeKernels, AwesomeOscillatorHandWorked) {
  // fast 2, slow 3 on medians 1, 2, 4, 8: after bar 3 AO = (2+4)/2 - (1+2+4)/3 = 3 - 7/3.
  AwesomeOscillator k(2, 3);
  const double med[] = {1, 2, 4, 8};
  for (int i = 0; i < 4; ++i) {
    k.Update(Hlcv(med[i] + 0.5, med[i] - 0.5, med[i], 1));
    if (i < 2) {
      EXPECT_TRUE(std::isnan(k.value()));
    }
    if (i == 2) {
      EXPECT_NEAR(k.value(), 3 - 7.0 / 3, 1e-15);
    }
    if (i == 3) {
      EXPECT_NEAR(k.value(), 6 - 14.0 / 3, 1e-15);
    }
  }
  EXPECT_EQ(AwesomeOscillator().WarmupPeriod(), 34);
}

TEST(VolumeKernels, TickVolumeHandWorked) {
  TickVolumeStats k(4);
  const double counts[] = {10, 20, 30, 40};
  for (double c : counts) {
    BarInput b;
    b.tick_count = c;
    b.volume = 999;  // ignored while tick_count is known
    k.Update(b);
  }
  // mean 25, population sd sqrt(125) = 11.18...
  EXPECT_DOUBLE_EQ(k.rel(), 40.0 / 25);
  EXPECT_NEAR(k.z(), 15 / std::sqrt(125.0), 1e-14);
  // tick_count unknown: the volume is the activity measure.
  TickVolumeStats v(2);
  BarInput b;
  b.volume = 3;
  v.Update(b);
  b.volume = 1;
  v.Update(b);
  EXPECT_DOUBLE_EQ(v.rel(), 0.5);
  EXPECT_DOUBLE_EQ(v.z(), -1.0);
  // Constant activity: z is 0, not NaN.
  TickVolumeStats c(3);
  for (int i = 0; i < 5; ++i) {
    b.tick_count = 7;
    c.Update(b);
  }
  EXPECT_EQ(c.z(), 0.0);
  EXPECT_EQ(c.rel(), 1.0);
}

TEST(VolumeKernels, SpreadHandWorked) {
  SpreadStats k(5);
  const double s[] = {1e-4, 5e-4, 2e-4, 1e-4, 3e-4, 9e-4};
  for (int i = 0; i < 6; ++i) {
    BarInput b;
    b.spread_mean = s[i];
    k.Update(b);
    if (i < 4) {
      EXPECT_TRUE(std::isnan(k.rel()));
    }
  }
  // window 5e-4, 2e-4, 1e-4, 3e-4, 9e-4: median 3e-4.
  EXPECT_DOUBLE_EQ(k.median(), 3e-4);
  EXPECT_DOUBLE_EQ(k.rel(), 3.0);
  // Even window: mean of the middle two.
  SpreadStats e(4);
  for (double x : {4e-4, 1e-4, 2e-4, 8e-4}) {
    BarInput b;
    b.spread_mean = x;
    e.Update(b);
  }
  EXPECT_DOUBLE_EQ(e.median(), 3e-4);
  // Unknown spreads (0): the ratio is undefined.
  SpreadStats z(2);
  z.Update(BarInput{});
  z.Update(BarInput{});
  EXPECT_TRUE(z.IsReady());
  EXPECT_TRUE(std::isnan(z.rel()));
  EXPECT_EQ(z.z(), 0.0);
}

TEST(VolumeKernels, SlippageHandWorked) {
  // period 2, latency 15 s on M1 bars: scale = sqrt(15/60) = 0.5.
  SlippageEstimate k(2, 15'000);
  const double closes[] = {1.0, 1.0003, 1.0007};
  const double spreads[] = {0.0004, 0.0001, 0.0003};
  UnixNanos t = T("2024-03-05T10:00:00Z");
  for (int i = 0; i < 3; ++i) {
    BarInput b = Hlcv(closes[i], closes[i], closes[i], 1);
    b.ts_open = t;
    t += Duration(kNanosPerMinute);
    b.ts_close = t;
    b.spread_mean = spreads[i];
    k.Update(b);
    if (i < 2) {
      EXPECT_TRUE(std::isnan(k.value())) << i;
    }
  }
  // half spread = (0.0001 + 0.0003) / 2 / 2 = 0.0001; sigma = sqrt((0.0003^2 + 0.0004^2) / 2).
  const double sigma = std::sqrt((0.0003 * 0.0003 + 0.0004 * 0.0004) / 2);
  EXPECT_NEAR(k.half_spread(), 0.0001, 1e-18);
  EXPECT_NEAR(k.vol(), 0.5 * sigma, 1e-15);
  EXPECT_NEAR(k.value(), 0.0001 + 0.5 * sigma, 1e-15);
  EXPECT_EQ(k.WarmupPeriod(), 3);
}

// ---- Against the references on random data
// -------------------------------------------------------

TEST(VolumeKernels, MfiMatchesReference) {
  const std::vector<BarInput> bars = MakeBars(3000, 1);
  for (int period : {1, 2, 14, 50}) {
    const std::vector<double> ref = RefMfi(bars, period);
    Mfi k(period);
    for (size_t i = 0; i < bars.size(); ++i) {
      k.Update(bars[i]);
      ASSERT_EQ(std::isnan(ref[i]), std::isnan(k.value())) << i;
      if (!std::isnan(ref[i])) {
        ASSERT_NEAR(k.value(), ref[i], 1e-9) << "period " << period << " bar " << i;
      }
    }
  }
}

TEST(VolumeKernels, AdlObvAoMatchReference) {
  const std::vector<BarInput> bars = MakeBars(2000, 2);
  Adl adl;
  Obv obv;
  AwesomeOscillator ao;
  double ref_adl = 0, ref_obv = bars[0].volume;
  std::vector<double> med;
  for (size_t i = 0; i < bars.size(); ++i) {
    const BarInput& b = bars[i];
    adl.Update(b);
    obv.Update(b);
    ao.Update(b);
    if (b.high != b.low) ref_adl += b.volume * (2 * b.close - b.high - b.low) / (b.high - b.low);
    if (i > 0)
      ref_obv += b.close > bars[i - 1].close   ? b.volume
                 : b.close < bars[i - 1].close ? -b.volume
                                               : 0;
    med.push_back(0.5 * (b.high + b.low));
    ASSERT_NEAR(adl.value(), ref_adl, 1e-9 * (1 + std::fabs(ref_adl)));
    ASSERT_EQ(obv.value(), ref_obv);
    if (i + 1 < 34) {
      ASSERT_TRUE(std::isnan(ao.value()));
    } else {
      const double want = Mean(Window(med, i, 5)) - Mean(Window(med, i, 34));
      ASSERT_NEAR(ao.value(), want, 1e-13) << i;
    }
  }
}

TEST(VolumeKernels, TickVolumeAndSpreadMatchReference) {
  const std::vector<BarInput> bars = MakeBars(1500, 3);
  const int n = 20;
  TickVolumeStats tv(n);
  SpreadStats sp(n);
  std::vector<double> counts, spreads;
  for (size_t i = 0; i < bars.size(); ++i) {
    tv.Update(bars[i]);
    sp.Update(bars[i]);
    counts.push_back(bars[i].tick_count);
    spreads.push_back(bars[i].spread_mean);
    if (i + 1 < static_cast<size_t>(n)) continue;
    const std::vector<double> wc = Window(counts, i, n), ws = Window(spreads, i, n);
    ASSERT_NEAR(tv.rel(), counts[i] / Mean(wc), 1e-12);
    ASSERT_NEAR(tv.z(), (counts[i] - Mean(wc)) / PopStd(wc), 1e-9);
    std::vector<double> sorted = ws;
    std::sort(sorted.begin(), sorted.end());
    const double median = (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    ASSERT_DOUBLE_EQ(sp.median(), median);
    ASSERT_NEAR(sp.rel(), spreads[i] / median, 1e-12);
    ASSERT_NEAR(sp.z(), (spreads[i] - Mean(ws)) / PopStd(ws), 1e-9);
  }
}

TEST(VolumeKernels, SlippageMatchesReference) {
  const std::vector<BarInput> bars = MakeBars(800, 4);
  const int n = 10;
  SlippageEstimate k(n, 250);
  const double scale = std::sqrt(0.25 / 300.0);  // 250 ms on M5
  for (size_t i = 0; i < bars.size(); ++i) {
    k.Update(bars[i]);
    if (i < static_cast<size_t>(n)) {
      ASSERT_TRUE(std::isnan(k.value()));
      continue;
    }
    double sp = 0, sq = 0;
    for (size_t j = i + 1 - n; j <= i; ++j) {
      sp += bars[j].spread_mean;
      const double d = bars[j].close - bars[j - 1].close;
      sq += d * d;
    }
    ASSERT_NEAR(k.half_spread(), sp / n / 2, 1e-15);
    ASSERT_NEAR(k.vol(), std::sqrt(sq / n) * scale, 1e-15);
    ASSERT_NEAR(k.value(), sp / n / 2 + std::sqrt(sq / n) * scale, 1e-15);
  }
}

// ---- Rolling correlation
// -------------------------------------------------------------------------

double RefCorrelation(const std::vector<double>& x, const std::vector<double>& y, size_t end,
                      int n) {
  const std::vector<double> wx = Window(x, end, n), wy = Window(y, end, n);
  const double mx = Mean(wx), my = Mean(wy);
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    sxy += (wx[i] - mx) * (wy[i] - my);
    sxx += (wx[i] - mx) * (wx[i] - mx);
    syy += (wy[i] - my) * (wy[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(RollingCorrelation, HandWorked) {
  RollingCorrelation k(3);
  k.Update(1, 2);
  k.Update(2, 4);
  EXPECT_TRUE(std::isnan(k.value()));
  k.Update(3, 6);
  EXPECT_NEAR(k.value(), 1.0, 1e-15);
  // Window (2,4), (3,6), (4,0): means 3 and 10/3; deviations x -1, 0, 1 and y 2/3, 8/3, -10/3.
  // cov = (-2/3 + 0 - 10/3) / 3 = -4/3, var x = 2/3, var y = (4 + 64 + 100) / 9 / 3 = 56/9.
  k.Update(4, 0);
  EXPECT_NEAR(k.covariance(), -4.0 / 3, 1e-15);
  EXPECT_NEAR(k.variance_x(), 2.0 / 3, 1e-15);
  EXPECT_NEAR(k.variance_y(), 56.0 / 9, 1e-14);
  EXPECT_NEAR(k.value(), (-4.0 / 3) / std::sqrt(2.0 / 3 * 56.0 / 9), 1e-14);
  // A constant series: correlation undefined, reported as 0 (TA-Lib CORREL).
  RollingCorrelation c(4);
  for (int i = 0; i < 10; ++i) c.Update(1.2345, i * 0.1);
  EXPECT_EQ(c.variance_x(), 0.0);
  EXPECT_EQ(c.value(), 0.0);
}

TEST(RollingCorrelation, LongRunStaysAccurate) {
  // 200,000 updates of prices far from 0 (cancellation-prone) with a slow drift: the streaming
  // value must match a two-pass computation at the end and at checkpoints along the way.
  Rng rng(5);
  const int n = 50;
  std::vector<double> x, y;
  RollingCorrelation k(n);
  double px = 150.0, py = 1.1;
  for (int i = 0; i < 200'000; ++i) {
    const double e = rng.Sym();
    px += 0.01 * e + 0.0001;
    py += 0.00005 * (0.7 * e + 0.3 * rng.Sym());
    x.push_back(px);
    y.push_back(py);
    k.Update(px, py);
    if (i >= n && i % 9973 == 0) {
      ASSERT_NEAR(k.value(), RefCorrelation(x, y, x.size() - 1, n), 1e-10) << i;
    }
  }
  EXPECT_NEAR(k.value(), RefCorrelation(x, y, x.size() - 1, n), 1e-10);
}

TEST(RollingCorrelation, StartEarlierAgrees) {
  Rng rng(6);
  std::vector<double> x, y;
  for (int i = 0; i < 6000; ++i) {
    x.push_back(0.001 * rng.Sym());
    y.push_back(0.5 * x.back() + 0.001 * rng.Sym());
  }
  for (int n : {7, 100}) {
    RollingCorrelation early(n), late(n);
    for (size_t i = 0; i < x.size(); ++i) {
      early.Update(x[i], y[i]);
      if (i < 1000) continue;
      late.Update(x[i], y[i]);
      if (i >= 1000 + static_cast<size_t>(late.StablePeriod()) - 1) {
        ASSERT_NEAR(early.value(), late.value(), 1e-9) << i;
      }
    }
  }
  // Batch is the streaming loop.
  std::vector<double> out(x.size());
  RollingCorrelationBatch(x, y, 30, out);
  RollingCorrelation k(30);
  for (size_t i = 0; i < x.size(); ++i) {
    k.Update(x[i], y[i]);
    ASSERT_TRUE(SameBits(out[i], k.value())) << i;
  }
}

TEST(RollingCorrelation, SaveLoad) {
  RollingCorrelation a(20), b(20);
  Rng rng(7);
  for (int i = 0; i < 57; ++i) a.Update(rng.Sym(), rng.Sym());
  StateWriter w;
  a.Save(w);
  StateReader r(w.bytes());
  ASSERT_TRUE(b.Load(r).ok());
  EXPECT_TRUE(r.done());
  for (int i = 0; i < 100; ++i) {
    const double u = rng.Sym(), v = rng.Sym();
    a.Update(u, v);
    b.Update(u, v);
    ASSERT_TRUE(SameBits(a.value(), b.value()));
  }
  RollingCorrelation other(21);
  StateReader r2(w.bytes());
  const Status s = other.Load(r2);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("period"), std::string::npos) << s.ToString();
}

// ---- Sessions across the 2024 DST switches
// -------------------------------------------------------

struct SessionCase {
  const char* ts_close;
  bool sydney, tokyo, london, newyork;
};

uint8_t Mask(const SessionCase& c) {
  using fx::Session;
  return (c.sydney ? fx::SessionBit(Session::kSydney) : 0) |
         (c.tokyo ? fx::SessionBit(Session::kTokyo) : 0) |
         (c.london ? fx::SessionBit(Session::kLondon) : 0) |
         (c.newyork ? fx::SessionBit(Session::kNewYork) : 0);
}

TEST(SessionFlags, DstSwitchWeeks2024) {
  // Hand-worked in UTC. London 08-17 local (GMT until 31 Mar, BST to 27 Oct), New York 08-17
  // local (EST until 10 Mar, EDT to 3 Nov), Tokyo 09-18 JST = 00-09 UTC, Sydney 07-16 local
  // (AEDT UTC+11 until 7 Apr and from 6 Oct, AEST UTC+10 between).
  const SessionCase cases[] = {
      // Week of 4 Mar: both standard. London 08-17 UTC, New York 13-22 UTC.
      {"2024-03-05T12:55:00Z", false, false, true, false},
      {"2024-03-05T13:00:00Z", false, false, true, true},
      {"2024-03-05T16:55:00Z", false, false, true, true},
      {"2024-03-05T17:00:00Z", false, false, false, true},
      {"2024-03-05T21:55:00Z", true, false, false, true},  // Sydney Wed 08:55
      {"2024-03-05T22:00:00Z", true, false, false, false},
      // Week of 11 Mar: New York on EDT, London still GMT. New York 12-21 UTC.
      {"2024-03-12T12:00:00Z", false, false, true, true},
      {"2024-03-12T11:55:00Z", false, false, true, false},
      {"2024-03-12T16:55:00Z", false, false, true, true},
      {"2024-03-12T21:00:00Z", true, false, false, false},
      {"2024-03-12T07:55:00Z", false, true, false, false},
      {"2024-03-12T08:00:00Z", false, true, true, false},  // Tokyo until 09 UTC
      // Week of 1 Apr: London on BST (07-16 UTC), Sydney still AEDT (20-05 UTC).
      {"2024-04-02T07:00:00Z", false, true, true, false},
      {"2024-04-02T15:55:00Z", false, false, true, true},
      {"2024-04-02T16:00:00Z", false, false, false, true},
      {"2024-04-02T04:55:00Z", true, true, false, false},
      {"2024-04-02T05:00:00Z", false, true, false, false},
      {"2024-04-02T20:00:00Z", true, false, false, true},  // Sydney Wed 07:00, New York 16:00
      // Week of 8 Apr: Sydney on AEST (21-06 UTC).
      {"2024-04-09T05:00:00Z", true, true, false, false},
      {"2024-04-09T06:00:00Z", false, true, false, false},
      {"2024-04-09T20:55:00Z", false, false, false, true},
      {"2024-04-09T21:00:00Z", true, false, false, false},
      // Week of 28 Oct: London back on GMT, New York still EDT: overlap 12-17 UTC.
      {"2024-10-29T12:00:00Z", false, false, true, true},
      {"2024-10-29T16:55:00Z", false, false, true, true},
      {"2024-10-29T17:00:00Z", false, false, false, true},
      {"2024-10-29T07:55:00Z", false, true, false, false},
      // Week of 4 Nov: New York on EST again: overlap 13-17 UTC.
      {"2024-11-05T12:55:00Z", false, false, true, false},
      {"2024-11-05T13:00:00Z", false, false, true, true},
      {"2024-11-05T21:55:00Z", true, false, false, true},
      // Closed market: Saturday, and the Friday 17:00 New York close (21:00 UTC in summer).
      {"2024-03-16T12:00:00Z", false, false, false, false},
      {"2024-04-05T20:55:00Z", false, false, false, true},
      {"2024-04-05T21:00:00Z", false, false, false, false},
      // Sunday 17:00 New York reopen (21:00 UTC in summer): Sydney Monday 07:00 AEST.
      {"2024-04-07T21:00:00Z", true, false, false, false},
      {"2024-04-07T20:55:00Z", false, false, false, false},
  };
  SessionFlags k;
  for (const SessionCase& c : cases) {
    BarInput b;
    b.ts_close = T(c.ts_close);
    b.ts_open = b.ts_close - Duration(5 * kNanosPerMinute);
    k.Update(b);
    EXPECT_EQ(k.mask(), Mask(c)) << c.ts_close;
    double v[SessionFlags::kOutputs];
    k.Values(v);
    EXPECT_EQ(v[0], c.sydney) << c.ts_close;
    EXPECT_EQ(v[1], c.tokyo) << c.ts_close;
    EXPECT_EQ(v[2], c.london) << c.ts_close;
    EXPECT_EQ(v[3], c.newyork) << c.ts_close;
    EXPECT_EQ(v[4], (c.sydney + c.tokyo + c.london + c.newyork) >= 2) << c.ts_close;
    EXPECT_EQ(v[5], c.london && c.newyork) << c.ts_close;
    EXPECT_EQ(v[6], c.tokyo && c.london) << c.ts_close;
    EXPECT_EQ(v[7], c.sydney && c.tokyo) << c.ts_close;
  }
}

TEST(SessionFlags, HourlyCacheMatchesTheClockAllYear) {
  // The kernel looks the mask up once per UTC hour; check every 5 minutes of 2024 (both DST
  // seasons of all four cities, holidays, weekends) against the clock itself.
  const fx::SessionClock& clock = fx::SessionClock::Default();
  SessionFlags k;
  int active = 0;
  for (UnixNanos t = T("2024-01-01T00:00:00Z"); t < T("2025-01-01T00:00:00Z");
       t += Duration(5 * kNanosPerMinute)) {
    BarInput b;
    b.ts_close = t;
    k.Update(b);
    ASSERT_EQ(k.mask(), clock.ActiveMask(t)) << t.ToIso();
    active += k.mask() != 0;
  }
  EXPECT_GT(active, 50'000);
}

TEST(SessionFlags, UsesDecisionTimeNotOpen) {
  // An H1 bar 12:00-13:00 UTC on 5 Mar: New York opens at 13:00 UTC, so the flag is on because
  // the decision at the close trades into the New York session.
  SessionFlags k;
  BarInput b;
  b.ts_open = T("2024-03-05T12:00:00Z");
  b.ts_close = T("2024-03-05T13:00:00Z");
  k.Update(b);
  EXPECT_TRUE(k.mask() & fx::SessionBit(fx::Session::kNewYork));
}

// ---- Properties over every kernel
// ----------------------------------------------------------------

std::vector<double> Stream(Indicator& ind, const std::vector<BarInput>& bars, size_t from = 0) {
  const size_t k = ind.OutputNames().size();
  std::vector<double> out;
  std::vector<double> row(k);
  for (size_t i = from; i < bars.size(); ++i) {
    ind.Update(bars[i]);
    ind.Values(row.data());
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

TEST(VolumeKernels, StreamingEqualsBatchBitForBit) {
  const std::vector<BarInput> bars = MakeBars(1200, 8);
  const size_t n = bars.size();
  auto check = [&](const std::vector<double>& batch, const std::vector<double>& stream, size_t k,
                   size_t j, const char* what) {
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(SameBits(batch[i], stream[i * k + j])) << what << " bar " << i;
    }
  };
  std::vector<double> a(n), b(n), c(n);
  {
    KernelIndicator<Mfi> ind(Mfi(14), {"x"});
    MfiBatch(bars, 14, a);
    check(a, Stream(ind, bars), 1, 0, "mfi");
  }
  {
    KernelIndicator<Adl> ind(Adl(), {"x"});
    AdlBatch(bars, a);
    check(a, Stream(ind, bars), 1, 0, "adl");
  }
  {
    KernelIndicator<Obv> ind(Obv(), {"x"});
    ObvBatch(bars, a);
    check(a, Stream(ind, bars), 1, 0, "obv");
  }
  {
    KernelIndicator<AwesomeOscillator> ind(AwesomeOscillator(5, 34), {"x"});
    AwesomeOscillatorBatch(bars, 5, 34, a);
    check(a, Stream(ind, bars), 1, 0, "ao");
  }
  {
    KernelIndicator<TickVolumeStats> ind(TickVolumeStats(20), {"x", "y"});
    TickVolumeStatsBatch(bars, 20, a, b);
    const std::vector<double> s = Stream(ind, bars);
    check(a, s, 2, 0, "tickvol rel");
    check(b, s, 2, 1, "tickvol z");
  }
  {
    KernelIndicator<SpreadStats> ind(SpreadStats(20), {"x", "y"});
    SpreadStatsBatch(bars, 20, a, b);
    const std::vector<double> s = Stream(ind, bars);
    check(a, s, 2, 0, "spread rel");
    check(b, s, 2, 1, "spread z");
  }
  {
    KernelIndicator<SlippageEstimate> ind(SlippageEstimate(20, 250), {"x", "y", "z"});
    SlippageEstimateBatch(bars, 20, 250, a, b, c);
    const std::vector<double> s = Stream(ind, bars);
    check(a, s, 3, 0, "slippage");
    check(b, s, 3, 1, "slip spread");
    check(c, s, 3, 2, "slip vol");
  }
  {
    std::vector<uint8_t> masks(n);
    SessionFlagsBatch(bars, masks);
    SessionFlags k;
    for (size_t i = 0; i < n; ++i) {
      k.Update(bars[i]);
      ASSERT_EQ(masks[i], k.mask());
    }
  }
}

TEST(VolumeKernels, SaveLoadMidStreamEqualsUninterrupted) {
  const std::vector<BarInput> bars = MakeBars(400, 9);
  for (const Case& c : AllCases()) {
    for (size_t cut : {0, 1, 5, 37, 150}) {
      std::unique_ptr<Indicator> whole = c.make();
      const std::vector<double> want = Stream(*whole, bars);
      std::unique_ptr<Indicator> first = c.make();
      std::vector<BarInput> head(bars.begin(), bars.begin() + cut);
      std::vector<double> got = Stream(*first, head);
      StateWriter w;
      first->Save(w);
      std::unique_ptr<Indicator> second = c.make();
      StateReader r(w.bytes());
      ASSERT_TRUE(second->Load(r).ok()) << c.name;
      ASSERT_TRUE(r.done()) << c.name;
      const std::vector<double> rest = Stream(*second, bars, cut);
      got.insert(got.end(), rest.begin(), rest.end());
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_TRUE(SameBits(got[i], want[i])) << c.name << " cut " << cut << " value " << i;
      }
    }
  }
}

TEST(VolumeKernels, LoadRejectsTruncatedState) {
  const std::vector<BarInput> bars = MakeBars(60, 10);
  for (const Case& c : AllCases()) {
    std::unique_ptr<Indicator> ind = c.make();
    Stream(*ind, bars);
    StateWriter w;
    ind->Save(w);
    const std::vector<uint8_t>& bytes = w.bytes();
    for (size_t len : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
      std::unique_ptr<Indicator> fresh = c.make();
      StateReader r(std::span<const uint8_t>(bytes.data(), len));
      EXPECT_FALSE(fresh->Load(r).ok()) << c.name << " len " << len;
    }
  }
  // A checkpoint of another period is refused, naming the mismatch.
  TickVolumeStats a(20), b(21);
  StateWriter w;
  a.Save(w);
  StateReader r(w.bytes());
  EXPECT_FALSE(b.Load(r).ok());
}

TEST(VolumeKernels, StartThousandBarsEarlierAgrees) {
  const std::vector<BarInput> bars = MakeBars(4000, 11);
  const size_t skip = 1000;
  for (const Case& c : AllCases()) {
    std::unique_ptr<Indicator> early = c.make(), late = c.make();
    const size_t k = early->OutputNames().size();
    const std::vector<double> a = Stream(*early, bars);
    const std::vector<double> b = Stream(*late, bars, skip);
    std::vector<double> scale(k, 0);
    for (size_t i = 0; i < a.size(); ++i) {
      if (!std::isnan(a[i])) scale[i % k] = std::max(scale[i % k], std::fabs(a[i]));
    }
    const size_t stable = c.cumulative ? 1 : static_cast<size_t>(late->StablePeriod());
    ASSERT_LT(stable, 200u) << c.name;
    size_t compared = 0;
    for (size_t i = skip + stable - 1; i < bars.size(); ++i) {
      for (size_t j = 0; j < k; ++j) {
        double va = a[i * k + j], vb = b[(i - skip) * k + j];
        if (c.cumulative) {
          // The level depends on the start; the change since the late start does not.
          va -= a[(skip + stable - 1) * k + j];
          vb -= b[(stable - 1) * k + j];
        }
        ASSERT_TRUE(Close9(va, vb, scale[j]))
            << c.name << " bar " << i << " output " << j << ": " << va << " vs " << vb;
        ++compared;
      }
    }
    EXPECT_GT(compared, 2000u) << c.name;
  }
}

TEST(VolumeKernels, WarmupAndNaN) {
  const std::vector<BarInput> bars = MakeBars(100, 12);
  for (const Case& c : AllCases()) {
    std::unique_ptr<Indicator> ind = c.make();
    const size_t k = ind->OutputNames().size();
    std::vector<double> row(k);
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(ind->IsReady(), i >= ind->WarmupPeriod()) << c.name << " before bar " << i;
      ind->Update(bars[i]);
      ind->Values(row.data());
      const bool ready = i + 1 >= ind->WarmupPeriod();
      EXPECT_EQ(ind->IsReady(), ready) << c.name << " bar " << i;
      if (!ready) {
        for (double v : row) EXPECT_TRUE(std::isnan(v)) << c.name << " bar " << i;
      }
    }
  }
}

// ---- Registry
// ------------------------------------------------------------------------------------

TEST(VolumeRegistry, NamesAndOutputs) {
  struct Want {
    const char* spec;
    std::vector<std::string> outputs;
  };
  const Want wants[] = {
      {"mfi", {"mfi_14"}},
      {"mfi(10)", {"mfi_10"}},
      {"adl", {"adl"}},
      {"obv", {"obv"}},
      {"ao", {"ao"}},
      {"tickvol(20)", {"tickvol_rel_20", "tickvol_z_20"}},
      {"spread", {"spread_rel_20", "spread_z_20"}},
      {"session",
       {"session_sydney", "session_tokyo", "session_london", "session_newyork", "session_overlap",
        "session_london_newyork", "session_tokyo_london", "session_sydney_tokyo"}},
      {"slippage(20,500)", {"slippage_20_500", "slip_spread_20_500", "slip_vol_20_500"}},
  };
  const std::vector<BarInput> bars = MakeBars(300, 13);
  for (const Want& w : wants) {
    Result<IndicatorSpec> spec = ParseIndicatorSpec(w.spec);
    ASSERT_TRUE(spec.ok()) << w.spec << ": " << spec.status().ToString();
    Result<std::vector<std::string>> names = OutputNames(*spec);
    ASSERT_TRUE(names.ok()) << w.spec;
    EXPECT_EQ(*names, w.outputs) << w.spec;
    Result<std::unique_ptr<Indicator>> ind = MakeIndicator(*spec);
    ASSERT_TRUE(ind.ok()) << w.spec;
    EXPECT_EQ((*ind)->OutputNames(), w.outputs);
    const std::vector<double> v = RunBatch(**ind, bars);
    EXPECT_FALSE(std::isnan(v.back())) << w.spec;
  }
  // The registered MFI is the kernel.
  Result<IndicatorSpec> spec = ParseIndicatorSpec("mfi(7)");
  ASSERT_TRUE(spec.ok());
  Result<std::unique_ptr<Indicator>> ind = MakeIndicator(*spec);
  ASSERT_TRUE(ind.ok());
  const std::vector<double> v = RunBatch(**ind, bars);
  std::vector<double> want(bars.size());
  MfiBatch(bars, 7, want);
  for (size_t i = 0; i < bars.size(); ++i) ASSERT_TRUE(SameBits(v[i], want[i]));
  // Bad parameters are refused by the registry.
  EXPECT_FALSE(ParseIndicatorSpec("mfi(0)").ok() &&
               MakeIndicator(*ParseIndicatorSpec("mfi(0)")).ok());
  EXPECT_FALSE(ParseIndicatorSpec("tickvol(2.5)").ok() &&
               MakeIndicator(*ParseIndicatorSpec("tickvol(2.5)")).ok());
}

}  // namespace
}  // namespace arus::indicators
