// Price kernels against independent references (direct formulas over each window, recursions
// written in TA-Lib's own arithmetic in long double, hand-worked values), streaming == batch bit
// for bit, Save/Load mid-stream, numerical robustness of the windowed sums.
#include "indicators/kernels_price.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace arus::indicators {
namespace {

using Series = std::vector<double>;
using LD = long double;

struct Hlc {
  Series high, low, close;
  size_t size() const { return close.size(); }
};

// A random walk around 1.1 with FX-sized moves, volatility regimes, flat stretches (identical
// bars) and zero-range bars, so that the degenerate branches run too.
Hlc MakeHlc(int n, uint64_t seed, double start = 1.1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  Hlc b;
  double close = start;
  for (int i = 0; i < n; ++i) {
    const double vol = (i / 500) % 3 == 1 ? 4e-4 : 1e-4;
    const bool flat = (i % 700) >= 650;  // 50 identical bars now and then
    double open = close, hi, lo;
    if (flat) {
      hi = lo = close;
    } else {
      close = open + vol * z(rng);
      hi = std::max(open, close) + vol * std::fabs(z(rng));
      lo = std::min(open, close) - vol * std::fabs(z(rng));
      if (i % 97 == 0) hi = lo = close = open;  // a zero-range bar
    }
    b.high.push_back(hi);
    b.low.push_back(lo);
    b.close.push_back(close);
  }
  return b;
}

// got/want: NaN in the same places, |got - want| <= abs + rel * |want| elsewhere.
void ExpectSeriesNear(const Series& got, const Series& want, double rel, double abs,
                      const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    if (std::isnan(want[i]) || std::isnan(got[i])) {
      if (std::isnan(want[i]) != std::isnan(got[i])) {
        ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", want " << want[i];
        ++failures;
      }
      continue;
    }
    if (!(std::fabs(got[i] - want[i]) <= abs + rel * std::fabs(want[i]))) {
      ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", want " << want[i] << ", diff "
                    << got[i] - want[i];
      ++failures;
    }
  }
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void ExpectBitEqual(const Series& a, const Series& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(SameBits(a[i], b[i])) << what << " [" << i << "]: " << a[i] << " vs " << b[i];
  }
}

size_t CountNaN(const Series& s) {
  size_t n = 0;
  for (double v : s) n += std::isnan(v);
  return n;
}

// ---- References ---------------------------------------------------------------------------------

Series RefSma(const Series& x, int n) {
  Series out(x.size(), kNaN);
  for (size_t i = n - 1; i < x.size(); ++i) {
    LD s = 0;
    for (int j = 0; j < n; ++j) s += x[i - j];
    out[i] = static_cast<double>(s / n);
  }
  return out;
}

// TA-Lib's EMA: the SMA of x[start .. start+n-1] is the first value, then prev + k*(x - prev).
Series RefEmaFrom(const Series& x, int n, size_t start) {
  Series out(x.size(), kNaN);
  if (start + n > x.size()) return out;
  const LD k = 2.0L / (n + 1);
  LD prev = 0;
  for (int j = 0; j < n; ++j) prev += x[start + j];
  prev /= n;
  out[start + n - 1] = static_cast<double>(prev);
  for (size_t i = start + n; i < x.size(); ++i) {
    prev = (x[i] - prev) * k + prev;
    out[i] = static_cast<double>(prev);
  }
  return out;
}

Series RefWma(const Series& x, int n) {
  Series out(x.size(), kNaN);
  for (size_t i = n - 1; i < x.size(); ++i) {
    LD s = 0;
    for (int w = 1; w <= n; ++w) s += w * static_cast<LD>(x[i - n + w]);
    out[i] = static_cast<double>(s / (n * (n + 1) / 2.0L));
  }
  return out;
}

Series RefRsi(const Series& x, int n) {
  Series out(x.size(), kNaN);
  if (x.size() <= static_cast<size_t>(n)) return out;
  LD gain = 0, loss = 0;
  for (int i = 1; i <= n; ++i) {
    const LD d = static_cast<LD>(x[i]) - x[i - 1];
    (d > 0 ? gain : loss) += std::fabs(d);
  }
  gain /= n;
  loss /= n;
  auto rsi = [&] {
    return gain + loss == 0 ? 0.0 : static_cast<double>(100 * gain / (gain + loss));
  };
  out[n] = rsi();
  for (size_t i = n + 1; i < x.size(); ++i) {
    const LD d = static_cast<LD>(x[i]) - x[i - 1];
    gain = (gain * (n - 1) + (d > 0 ? d : 0)) / n;
    loss = (loss * (n - 1) + (d < 0 ? -d : 0)) / n;
    out[i] = rsi();
  }
  return out;
}

// Population mean and standard deviation of x[i-n+1 .. i], two passes.
void WindowMoments(const Series& x, size_t i, int n, LD* mean, LD* sd) {
  LD s = 0;
  for (int j = 0; j < n; ++j) s += x[i - j];
  *mean = s / n;
  LD v = 0;
  for (int j = 0; j < n; ++j) v += (x[i - j] - *mean) * (x[i - j] - *mean);
  *sd = std::sqrt(v / n);
}

Series TrueRange(const Hlc& b) {
  Series tr(b.size(), kNaN);
  for (size_t i = 1; i < b.size(); ++i) {
    tr[i] = std::max({b.high[i] - b.low[i], std::fabs(b.high[i] - b.close[i - 1]),
                      std::fabs(b.low[i] - b.close[i - 1])});
  }
  return tr;
}

Series RefAtr(const Hlc& b, int n) {
  const Series tr = TrueRange(b);
  Series out(b.size(), kNaN);
  if (b.size() <= static_cast<size_t>(n)) return out;
  LD atr = 0;
  for (int i = 1; i <= n; ++i) atr += tr[i];
  atr /= n;
  out[n] = static_cast<double>(atr);
  for (size_t i = n + 1; i < b.size(); ++i) {
    atr = (atr * (n - 1) + tr[i]) / n;
    out[i] = static_cast<double>(atr);
  }
  return out;
}

// ADX from arrays, following TA-Lib's schedule: sums of the first n-1 DM/TR values, Wilder
// smoothing of the sums, first ADX = mean of the DX at bars n .. 2n-1.
Series RefAdx(const Hlc& b, int n) {
  const size_t m = b.size();
  const Series tr = TrueRange(b);
  Series pdm(m, 0), mdm(m, 0);
  for (size_t i = 1; i < m; ++i) {
    const double up = b.high[i] - b.high[i - 1];
    const double down = b.low[i - 1] - b.low[i];
    if (down > 0 && up < down) mdm[i] = down;
    if (up > 0 && up > down) pdm[i] = up;
  }
  Series out(m, kNaN);
  if (m < static_cast<size_t>(2 * n)) return out;
  LD sp = 0, sm = 0, st = 0;
  for (int i = 1; i < n; ++i) {
    sp += pdm[i];
    sm += mdm[i];
    st += tr[i];
  }
  std::vector<LD> dx(m, -1);  // -1: undefined
  for (size_t i = n; i < m; ++i) {
    sp = sp - sp / n + pdm[i];
    sm = sm - sm / n + mdm[i];
    st = st - st / n + tr[i];
    if (st != 0) {
      const LD p = 100 * sp / st, q = 100 * sm / st;
      if (p + q != 0) dx[i] = 100 * std::fabs(p - q) / (p + q);
    }
  }
  LD adx = 0;
  for (int i = n; i < 2 * n; ++i) adx += dx[i] < 0 ? 0 : dx[i];
  adx /= n;
  out[2 * n - 1] = static_cast<double>(adx);
  for (size_t i = 2 * n; i < m; ++i) {
    if (dx[i] >= 0) adx = (adx * (n - 1) + dx[i]) / n;
    out[i] = static_cast<double>(adx);
  }
  return out;
}

LD WindowMax(const Series& x, size_t i, int n) {
  LD v = x[i];
  for (int j = 1; j < n; ++j) v = std::max<LD>(v, x[i - j]);
  return v;
}
LD WindowMin(const Series& x, size_t i, int n) {
  LD v = x[i];
  for (int j = 1; j < n; ++j) v = std::min<LD>(v, x[i - j]);
  return v;
}

// Moving mean over a series with a NaN prefix.
Series RefSmaAfterNaN(const Series& x, int n) {
  Series out(x.size(), kNaN);
  for (size_t i = 0; i < x.size(); ++i) {
    if (i + 1 < static_cast<size_t>(n) || std::isnan(x[i + 1 - n])) continue;
    LD s = 0;
    for (int j = 0; j < n; ++j) s += x[i - j];
    out[i] = static_cast<double>(s / n);
  }
  return out;
}

// ---- Streaming helpers --------------------------------------------------------------------------

template <class K>
Series StreamScalar(K k, const Series& x) {
  Series out;
  for (double v : x) {
    const double r = k.Update(v);
    EXPECT_TRUE(SameBits(r, k.value()));
    out.push_back(r);
  }
  return out;
}

template <class K, class F>
std::vector<Series> StreamValues(K k, const Hlc& b, int outputs, F update) {
  std::vector<Series> out(outputs);
  std::vector<double> v(outputs);
  for (size_t i = 0; i < b.size(); ++i) {
    update(k, i);
    k.Values(v.data());
    for (int j = 0; j < outputs; ++j) out[j].push_back(v[j]);
  }
  return out;
}

// Save after `cut` updates, Load into a fresh kernel, continue: identical to uninterrupted.
template <class K, class Update>
void ExpectSaveLoadContinues(const K& fresh, size_t n, int outputs, Update update) {
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, n / 3, n / 2 + 5}) {
    K a = fresh;
    K b = fresh;
    std::vector<double> va(outputs), vb(outputs);
    for (size_t i = 0; i < cut; ++i) update(a, i);
    StateWriter w;
    a.Save(w);
    StateReader r(w.bytes());
    ASSERT_TRUE(b.Load(r).ok()) << "cut " << cut;
    EXPECT_TRUE(r.done()) << "Load left bytes unread";
    for (size_t i = cut; i < n; ++i) {
      update(a, i);
      update(b, i);
      a.Values(va.data());
      b.Values(vb.data());
      for (int j = 0; j < outputs; ++j) {
        ASSERT_TRUE(SameBits(va[j], vb[j])) << "cut " << cut << " at " << i << " output " << j;
      }
      ASSERT_EQ(a.IsReady(), b.IsReady());
    }
    // Truncated state is an error, never a crash.
    for (size_t len : {size_t{0}, w.bytes().size() / 2, w.bytes().size() - 1}) {
      K c = fresh;
      StateReader tr(std::span<const uint8_t>(w.bytes().data(), len));
      EXPECT_FALSE(c.Load(tr).ok()) << "truncated to " << len;
    }
  }
}

// Warm-up contract: NaN before, a value from the WarmupPeriod()-th update on.
template <class K>
void ExpectWarmup(const K& k, const Series& first_output) {
  const size_t w = static_cast<size_t>(k.WarmupPeriod());
  ASSERT_LT(w, first_output.size());
  for (size_t i = 0; i + 1 < w; ++i) EXPECT_TRUE(std::isnan(first_output[i])) << i;
  EXPECT_FALSE(std::isnan(first_output[w - 1])) << "first value at update " << w;
}

const Hlc& Bars() {
  static const Hlc b = MakeHlc(3000, 42);
  return b;
}

// ---- SMA / EMA / WMA ----------------------------------------------------------------------------

TEST(Sma, HandWorked) {
  Sma s(3);
  EXPECT_TRUE(std::isnan(s.Update(1)));
  EXPECT_TRUE(std::isnan(s.Update(2)));
  EXPECT_FALSE(s.IsReady());
  EXPECT_DOUBLE_EQ(s.Update(3), 2);
  EXPECT_TRUE(s.IsReady());
  EXPECT_DOUBLE_EQ(s.Update(4), 3);
  EXPECT_DOUBLE_EQ(s.Update(8), 5);
  EXPECT_EQ(s.WarmupPeriod(), 3);
}

TEST(Sma, MatchesDirectMeanStreamingAndBatch) {
  const Series& x = Bars().close;
  for (int n : {1, 2, 5, 20, 200}) {
    const Series got = StreamScalar(Sma(n), x);
    ExpectSeriesNear(got, RefSma(x, n), 1e-14, 0, "sma");
    Series batch(x.size());
    SmaBatch(x, n, batch);
    ExpectBitEqual(batch, got, "sma batch");
    ExpectWarmup(Sma(n), got);
  }
}

TEST(Sma, SaveLoad) {
  const Series& x = Bars().close;
  ExpectSaveLoadContinues(Sma(20), x.size(), 1, [&](Sma& k, size_t i) { k.Update(x[i]); });
}

TEST(Sma, WindowOfIdenticalValuesIsExact) {
  Sma s(4);
  for (double v : {1.3, 7.9, -2.25, 1e-3, 1.10001, 1.10001, 1.10001, 1.10001}) s.Update(v);
  EXPECT_EQ(s.value(), 1.10001);
}

TEST(Sma, NoDriftOverLongSeries) {
  // Two million updates of values with a large offset: the renormalised sum stays exact to
  // rounding of one window.
  Sma s(50);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> window;
  for (int i = 0; i < 2'000'000; ++i) {
    const double v = 1000.0 + u(rng);
    s.Update(v);
    window.push_back(v);
    if (window.size() > 50) window.erase(window.begin());
  }
  LD sum = 0;
  for (double v : window) sum += v;
  EXPECT_NEAR(s.value(), static_cast<double>(sum / 50), 1e-12);
}

TEST(Ema, HandWorked) {
  Ema e(3);  // k = 0.5
  EXPECT_TRUE(std::isnan(e.Update(1)));
  EXPECT_TRUE(std::isnan(e.Update(2)));
  EXPECT_DOUBLE_EQ(e.Update(3), 2);  // seed: SMA of the first three
  EXPECT_DOUBLE_EQ(e.Update(6), 4);  // 2 + 0.5 * (6 - 2)
  EXPECT_DOUBLE_EQ(e.Update(0), 2);
  EXPECT_EQ(e.WarmupPeriod(), 3);
  Ema one(1);
  EXPECT_EQ(one.Update(5), 5);
  EXPECT_EQ(one.Update(7), 7);
}

TEST(Ema, MatchesTaLibRecursion) {
  const Series& x = Bars().close;
  for (int n : {2, 12, 26, 100}) {
    const Series got = StreamScalar(Ema(n), x);
    ExpectSeriesNear(got, RefEmaFrom(x, n, 0), 1e-14, 0, "ema");
    Series batch(x.size());
    EmaBatch(x, n, batch);
    ExpectBitEqual(batch, got, "ema batch");
    ExpectWarmup(Ema(n), got);
  }
  ExpectSaveLoadContinues(Ema(20), x.size(), 1, [&](Ema& k, size_t i) { k.Update(x[i]); });
}

TEST(Ema, StablePeriodFromDecay) {
  // (1 - 2/21)^d <= 1e-12 first at d = 277.
  EXPECT_EQ(Ema(20).StablePeriod(), 20 + 277);
}

TEST(Wma, HandWorkedAndReference) {
  Wma w(3);
  w.Update(1);
  w.Update(2);
  EXPECT_DOUBLE_EQ(w.Update(3), 14.0 / 6);  // (1 + 2*2 + 3*3) / 6
  EXPECT_DOUBLE_EQ(w.Update(4), 20.0 / 6);
  const Series& x = Bars().close;
  for (int n : {1, 2, 9, 30}) {
    const Series got = StreamScalar(Wma(n), x);
    ExpectSeriesNear(got, RefWma(x, n), 1e-14, 0, "wma");
    Series batch(x.size());
    WmaBatch(x, n, batch);
    ExpectBitEqual(batch, got, "wma batch");
    ExpectWarmup(Wma(n), got);
  }
  ExpectSaveLoadContinues(Wma(9), x.size(), 1, [&](Wma& k, size_t i) { k.Update(x[i]); });
}

// ---- RSI ----------------------------------------------------------------------------------------

TEST(Rsi, HandWorked) {
  Rsi r(2);
  EXPECT_TRUE(std::isnan(r.Update(10)));
  EXPECT_TRUE(std::isnan(r.Update(11)));                 // +1
  EXPECT_NEAR(r.Update(10.5), 100 * 0.5 / 0.75, 1e-12);  // gain (1+0)/2, loss 0.5/2
  EXPECT_NEAR(r.Update(12), 100 * 1.0 / 1.125, 1e-12);   // gain (0.5+1.5)/2, loss 0.125
  EXPECT_NEAR(r.Update(12), 100 * 0.5 / 0.5625, 1e-12);  // no change: both halve
  EXPECT_EQ(r.WarmupPeriod(), 3);
  Rsi flat(3);
  for (int i = 0; i < 10; ++i) flat.Update(1.25);
  EXPECT_EQ(flat.value(), 0.0);  // TA-Lib: 0 when there was no movement at all
}

TEST(Rsi, MatchesWilderReference) {
  const Series& x = Bars().close;
  for (int n : {2, 14, 50}) {
    const Series got = StreamScalar(Rsi(n), x);
    ExpectSeriesNear(got, RefRsi(x, n), 0, 1e-9, "rsi");
    Series batch(x.size());
    RsiBatch(x, n, batch);
    ExpectBitEqual(batch, got, "rsi batch");
    ExpectWarmup(Rsi(n), got);
    for (double v : got) {
      if (!std::isnan(v)) {
        ASSERT_TRUE(v >= 0 && v <= 100) << v;
      }
    }
  }
  ExpectSaveLoadContinues(Rsi(14), x.size(), 1, [&](Rsi& k, size_t i) { k.Update(x[i]); });
}

// ---- MACD ---------------------------------------------------------------------------------------

TEST(Macd, HandWorkedTaLibAlignment) {
  // fast 2 (k = 2/3), slow 3 (k = 1/2), signal 2. The fast EMA starts one value late, so it is
  // seeded with (4 + 2) / 2 at the same bar as the slow one (TA-Lib).
  Macd m(2, 3, 2);
  const double x[] = {1, 4, 2, 8, 5, 7};
  const double slow2 = 7.0 / 3, slow3 = (slow2 + 8) / 2, slow4 = (slow3 + 5) / 2,
               slow5 = (slow4 + 7) / 2;
  const double fast2 = 3, fast3 = fast2 / 3 + 8 * 2.0 / 3, fast4 = fast3 / 3 + 5 * 2.0 / 3,
               fast5 = fast4 / 3 + 7 * 2.0 / 3;
  const double l2 = fast2 - slow2, l3 = fast3 - slow3, l4 = fast4 - slow4, l5 = fast5 - slow5;
  const double s3 = (l2 + l3) / 2, s4 = s3 / 3 + l4 * 2.0 / 3, s5 = s4 / 3 + l5 * 2.0 / 3;
  for (int i = 0; i < 3; ++i) {
    m.Update(x[i]);
    EXPECT_TRUE(std::isnan(m.line()));
  }
  m.Update(x[3]);
  EXPECT_NEAR(m.line(), l3, 1e-12);
  EXPECT_NEAR(m.signal(), s3, 1e-12);
  EXPECT_NEAR(m.hist(), l3 - s3, 1e-12);
  m.Update(x[4]);
  EXPECT_NEAR(m.line(), l4, 1e-12);
  EXPECT_NEAR(m.signal(), s4, 1e-12);
  m.Update(x[5]);
  EXPECT_NEAR(m.line(), l5, 1e-12);
  EXPECT_NEAR(m.signal(), s5, 1e-12);
  EXPECT_NEAR(m.hist(), l5 - s5, 1e-12);
  EXPECT_EQ(m.WarmupPeriod(), 4);
}

TEST(Macd, MatchesReference) {
  const Series& x = Bars().close;
  for (auto [f, s, g] : {std::tuple{12, 26, 9}, std::tuple{3, 10, 1}, std::tuple{5, 6, 4}}) {
    const Series slow = RefEmaFrom(x, s, 0);
    const Series fast = RefEmaFrom(x, f, s - f);
    Series line(x.size(), kNaN);
    for (size_t i = s - 1; i < x.size(); ++i) line[i] = fast[i] - slow[i];
    const Series sig = RefEmaFrom(line, g, s - 1);
    Series want_line(x.size(), kNaN), want_hist(x.size(), kNaN);
    for (size_t i = s + g - 2; i < x.size(); ++i) {
      want_line[i] = line[i];
      want_hist[i] = line[i] - sig[i];
    }
    Series got_line(x.size()), got_sig(x.size()), got_hist(x.size());
    MacdBatch(x, f, s, g, got_line, got_sig, got_hist);
    ExpectSeriesNear(got_line, want_line, 0, 1e-14, "macd line");
    ExpectSeriesNear(got_sig, sig, 0, 1e-14, "macd signal");
    ExpectSeriesNear(got_hist, want_hist, 0, 1e-14, "macd hist");
    const auto streamed =
        StreamValues(Macd(f, s, g), Bars(), 3, [&](Macd& k, size_t i) { k.Update(x[i]); });
    ExpectBitEqual(streamed[0], got_line, "macd streaming line");
    ExpectBitEqual(streamed[1], got_sig, "macd streaming signal");
    ExpectBitEqual(streamed[2], got_hist, "macd streaming hist");
    ExpectWarmup(Macd(f, s, g), got_hist);
  }
  ExpectSaveLoadContinues(Macd(12, 26, 9), x.size(), 3, [&](Macd& k, size_t i) { k.Update(x[i]); });
}

// ---- Bollinger, stddev, z-score -----------------------------------------------------------------

TEST(Bbands, HandWorked) {
  Bbands b(2, 1.5);
  b.Update(1);
  EXPECT_TRUE(std::isnan(b.mid()));
  b.Update(3);
  EXPECT_DOUBLE_EQ(b.mid(), 2);
  EXPECT_DOUBLE_EQ(b.up(), 3.5);  // population sd of {1, 3} is 1
  EXPECT_DOUBLE_EQ(b.dn(), 0.5);
}

TEST(Bbands, StdDevZScoreMatchTwoPassReference) {
  const Series& x = Bars().close;
  for (int n : {2, 5, 20, 100}) {
    Series mid(x.size(), kNaN), up(x.size(), kNaN), dn(x.size(), kNaN), sd(x.size(), kNaN),
        zs(x.size(), kNaN);
    for (size_t i = n - 1; i < x.size(); ++i) {
      LD m, s;
      WindowMoments(x, i, n, &m, &s);
      mid[i] = static_cast<double>(m);
      up[i] = static_cast<double>(m + 2.5L * s);
      dn[i] = static_cast<double>(m - 2.5L * s);
      sd[i] = static_cast<double>(s);
      zs[i] = s == 0 ? 0.0 : static_cast<double>((x[i] - m) / s);
    }
    Series gm(x.size()), gu(x.size()), gd(x.size()), gs(x.size()), gz(x.size());
    BbandsBatch(x, n, 2.5, gm, gu, gd);
    StdDevBatch(x, n, gs);
    ZScoreBatch(x, n, gz);
    ExpectSeriesNear(gm, mid, 1e-15, 0, "bb mid");
    ExpectSeriesNear(gu, up, 1e-15, 0, "bb up");
    ExpectSeriesNear(gd, dn, 1e-15, 0, "bb dn");
    // Standard deviations of ~1e-4 on prices of ~1.1: the shifted sums keep 1e-9 relative.
    ExpectSeriesNear(gs, sd, 1e-9, 1e-17, "stddev");
    ExpectSeriesNear(gz, zs, 1e-9, 1e-9, "zscore");
    // Flat stretches give exactly 0.
    for (size_t i = 0; i < x.size(); ++i) {
      if (sd[i] == 0) {
        EXPECT_EQ(gs[i], 0.0) << i;
        EXPECT_EQ(gz[i], 0.0) << i;
        EXPECT_EQ(gu[i], gm[i]) << i;
      }
    }
    const auto streamed =
        StreamValues(Bbands(n, 2.5), Bars(), 3, [&](Bbands& k, size_t i) { k.Update(x[i]); });
    ExpectBitEqual(streamed[0], gm, "bb streaming mid");
    ExpectBitEqual(streamed[1], gu, "bb streaming up");
    ExpectBitEqual(streamed[2], gd, "bb streaming dn");
    ExpectBitEqual(StreamScalar(StdDev(n), x), gs, "stddev streaming");
    ExpectBitEqual(StreamScalar(ZScore(n), x), gz, "zscore streaming");
    ExpectWarmup(Bbands(n, 2), gm);
    ExpectWarmup(StdDev(n), gs);
  }
  ExpectSaveLoadContinues(Bbands(20, 2), x.size(), 3, [&](Bbands& k, size_t i) { k.Update(x[i]); });
  ExpectSaveLoadContinues(ZScore(20), x.size(), 1, [&](ZScore& k, size_t i) { k.Update(x[i]); });
}

TEST(StdDev, SmallDeviationOnLargeOffsetAfterVolatileStretch) {
  // Naive sum-of-squares loses everything here (variance 1e-10 under 1e4^2); a rolling update
  // that never re-sums would keep residue from the volatile stretch.
  StdDev s(10);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-50, 50);
  for (int i = 0; i < 1007; ++i) s.Update(10000 + u(rng));
  std::vector<double> last;
  for (int i = 0; i < 10; ++i) {
    last.push_back(10000 + (i % 2 ? 1e-5 : -1e-5));
    s.Update(last.back());
  }
  LD m, sd;
  WindowMoments(last, 9, 10, &m, &sd);
  EXPECT_NEAR(s.value(), static_cast<double>(sd), 1e-9 * 1e-5);
}

// ---- ROC ----------------------------------------------------------------------------------------

TEST(Roc, HandWorkedAndReference) {
  Roc r(1);
  EXPECT_TRUE(std::isnan(r.Update(2)));
  EXPECT_DOUBLE_EQ(r.Update(3), 50);
  EXPECT_DOUBLE_EQ(r.Update(1.5), -50);
  Roc z(1);
  z.Update(0);
  EXPECT_EQ(z.Update(1), 0.0);  // TA-Lib: 0 when the old value is 0
  const Series& x = Bars().close;
  for (int n : {1, 10, 60}) {
    Series want(x.size(), kNaN);
    for (size_t i = n; i < x.size(); ++i) want[i] = (x[i] / x[i - n] - 1) * 100;
    const Series got = StreamScalar(Roc(n), x);
    ExpectBitEqual(got, want, "roc");  // same expression: exact
    Series batch(x.size());
    RocBatch(x, n, batch);
    ExpectBitEqual(batch, got, "roc batch");
    ExpectWarmup(Roc(n), got);
  }
  ExpectSaveLoadContinues(Roc(10), x.size(), 1, [&](Roc& k, size_t i) { k.Update(x[i]); });
}

// ---- ATR, ADX -----------------------------------------------------------------------------------

Hlc SmallBars() { return Hlc{{2, 3, 2.6, 2.2}, {1, 2, 1.6, 2.0}, {1.5, 2.5, 2, 2.1}}; }

TEST(Atr, HandWorked) {
  const Hlc b = SmallBars();
  Atr a(2);
  a.Update(b.high[0], b.low[0], b.close[0]);
  EXPECT_TRUE(std::isnan(a.true_range()));
  a.Update(b.high[1], b.low[1], b.close[1]);
  EXPECT_DOUBLE_EQ(a.true_range(), 1.5);  // 3 - min(2, 1.5)
  EXPECT_FALSE(a.IsReady());
  a.Update(b.high[2], b.low[2], b.close[2]);
  EXPECT_DOUBLE_EQ(a.true_range(), 1.0);  // max(2.6, 2.5) - 1.6
  EXPECT_DOUBLE_EQ(a.value(), 1.25);
  a.Update(b.high[3], b.low[3], b.close[3]);
  EXPECT_NEAR(a.value(), (1.25 + 0.2) / 2, 1e-15);
  BarInput bar;
  bar.high = 2.4;
  bar.low = 2.3;
  bar.close = 2.35;
  a.Update(bar);  // TR = 2.4 - 2.1
  EXPECT_NEAR(a.value(), (0.725 + 0.3) / 2, 1e-15);
}

TEST(Atr, MatchesReference) {
  const Hlc& b = Bars();
  for (int n : {1, 2, 14, 50}) {
    Series got(b.size());
    AtrBatch(b.high, b.low, b.close, n, got);
    ExpectSeriesNear(got, RefAtr(b, n), 1e-13, 0, "atr");
    const auto streamed = StreamValues(
        Atr(n), b, 1, [&](Atr& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
    ExpectBitEqual(streamed[0], got, "atr streaming");
    ExpectWarmup(Atr(n), got);
  }
  ExpectSaveLoadContinues(Atr(14), b.size(), 1,
                          [&](Atr& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
}

TEST(Adx, RisingMarketIsAllTrend) {
  Adx a(3);
  for (int i = 0; i < 12; ++i) a.Update(1.0 + 0.01 * i, 0.99 + 0.01 * i, 0.995 + 0.01 * i);
  EXPECT_NEAR(a.value(), 100, 1e-12);  // -DM is always 0, so DX = 100
  EXPECT_NEAR(a.minus_di(), 0, 1e-12);
  EXPECT_GT(a.plus_di(), 0);
}

TEST(Adx, MatchesReference) {
  const Hlc& b = Bars();
  for (int n : {2, 14, 30}) {
    Series got(b.size());
    AdxBatch(b.high, b.low, b.close, n, got);
    ExpectSeriesNear(got, RefAdx(b, n), 0, 1e-9, "adx");
    const auto streamed = StreamValues(
        Adx(n), b, 1, [&](Adx& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
    ExpectBitEqual(streamed[0], got, "adx streaming");
    ExpectWarmup(Adx(n), got);
    for (double v : got) {
      if (!std::isnan(v)) {
        ASSERT_TRUE(v >= 0 && v <= 100) << v;
      }
    }
  }
  ExpectSaveLoadContinues(Adx(14), b.size(), 1,
                          [&](Adx& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
}

// ---- CCI, Williams %R, Stochastic, Donchian, Keltner --------------------------------------------

TEST(Cci, HandWorkedAndReference) {
  const Hlc s = SmallBars();
  Cci c(2);
  c.Update(s.high[0], s.low[0], s.close[0]);  // tp 1.5
  EXPECT_TRUE(std::isnan(c.value()));
  c.Update(s.high[1], s.low[1], s.close[1]);  // tp 2.5, mean 2, mean deviation 0.5
  EXPECT_NEAR(c.value(), 0.5 / (0.015 * 0.5), 1e-9);
  const Hlc& b = Bars();
  for (int n : {2, 20}) {
    Series want(b.size(), kNaN);
    Series tp(b.size());
    for (size_t i = 0; i < b.size(); ++i) tp[i] = (b.high[i] + b.low[i] + b.close[i]) / 3;
    for (size_t i = n - 1; i < b.size(); ++i) {
      LD m = 0, md = 0;
      for (int j = 0; j < n; ++j) m += tp[i - j];
      m /= n;
      for (int j = 0; j < n; ++j) md += std::fabs(tp[i - j] - m);
      md /= n;
      want[i] = (md == 0 || tp[i] == m) ? 0.0 : static_cast<double>((tp[i] - m) / (0.015L * md));
    }
    Series got(b.size());
    CciBatch(b.high, b.low, b.close, n, got);
    ExpectSeriesNear(got, want, 1e-9, 1e-6, "cci");
    const auto streamed = StreamValues(
        Cci(n), b, 1, [&](Cci& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
    ExpectBitEqual(streamed[0], got, "cci streaming");
    ExpectWarmup(Cci(n), got);
  }
  ExpectSaveLoadContinues(Cci(20), b.size(), 1,
                          [&](Cci& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
}

TEST(WilliamsR, HandWorkedAndReference) {
  const Hlc s = SmallBars();
  WilliamsR w(2);
  w.Update(s.high[0], s.low[0], s.close[0]);
  EXPECT_TRUE(std::isnan(w.value()));
  w.Update(s.high[1], s.low[1], s.close[1]);
  EXPECT_DOUBLE_EQ(w.value(), -25);  // (3 - 2.5) / (3 - 1)
  w.Update(s.high[2], s.low[2], s.close[2]);
  EXPECT_NEAR(w.value(), -100 * (3 - 2.0) / (3 - 1.6), 1e-12);
  const Hlc& b = Bars();
  for (int n : {1, 14, 60}) {
    Series want(b.size(), kNaN);
    for (size_t i = n - 1; i < b.size(); ++i) {
      const LD hi = WindowMax(b.high, i, n), lo = WindowMin(b.low, i, n);
      want[i] = hi == lo ? 0.0 : static_cast<double>(-100 * (hi - b.close[i]) / (hi - lo));
    }
    Series got(b.size());
    WilliamsRBatch(b.high, b.low, b.close, n, got);
    ExpectSeriesNear(got, want, 1e-12, 1e-9, "willr");
    for (double v : got) {
      if (!std::isnan(v)) {
        ASSERT_TRUE(v >= -100 && v <= 0) << v;
      }
    }
    const auto streamed = StreamValues(WilliamsR(n), b, 1, [&](WilliamsR& k, size_t i) {
      k.Update(b.high[i], b.low[i], b.close[i]);
    });
    ExpectBitEqual(streamed[0], got, "willr streaming");
    ExpectWarmup(WilliamsR(n), got);
  }
  ExpectSaveLoadContinues(WilliamsR(14), b.size(), 1, [&](WilliamsR& k, size_t i) {
    k.Update(b.high[i], b.low[i], b.close[i]);
  });
}

TEST(Stoch, HandWorkedAndReference) {
  const Hlc s = SmallBars();
  Stoch st(2, 1, 1);
  st.Update(s.high[0], s.low[0], s.close[0]);
  EXPECT_FALSE(st.IsReady());
  st.Update(s.high[1], s.low[1], s.close[1]);
  EXPECT_DOUBLE_EQ(st.fast_k(), 75);  // (2.5 - 1) / (3 - 1)
  EXPECT_DOUBLE_EQ(st.k(), 75);
  EXPECT_DOUBLE_EQ(st.d(), 75);
  const Hlc& b = Bars();
  for (auto [fk, sk, sd] : {std::tuple{14, 3, 3}, std::tuple{5, 1, 4}, std::tuple{1, 2, 2}}) {
    Series fast(b.size(), kNaN);
    for (size_t i = fk - 1; i < b.size(); ++i) {
      const LD hi = WindowMax(b.high, i, fk), lo = WindowMin(b.low, i, fk);
      fast[i] = hi == lo ? 0.0 : static_cast<double>(100 * (b.close[i] - lo) / (hi - lo));
    }
    const Series slow_k = RefSmaAfterNaN(fast, sk);
    const Series want_d = RefSmaAfterNaN(slow_k, sd);
    Series want_k = slow_k;
    for (size_t i = 0; i < b.size(); ++i) {
      if (std::isnan(want_d[i])) want_k[i] = kNaN;  // TA-Lib aligns both outputs
    }
    Series gk(b.size()), gd(b.size());
    StochBatch(b.high, b.low, b.close, fk, sk, sd, gk, gd);
    ExpectSeriesNear(gk, want_k, 1e-12, 1e-9, "stoch k");
    ExpectSeriesNear(gd, want_d, 1e-12, 1e-9, "stoch d");
    const auto streamed = StreamValues(Stoch(fk, sk, sd), b, 2, [&](Stoch& k, size_t i) {
      k.Update(b.high[i], b.low[i], b.close[i]);
    });
    ExpectBitEqual(streamed[0], gk, "stoch streaming k");
    ExpectBitEqual(streamed[1], gd, "stoch streaming d");
    ExpectWarmup(Stoch(fk, sk, sd), gd);
  }
  ExpectSaveLoadContinues(Stoch(14, 3, 3), b.size(), 2,
                          [&](Stoch& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
}

TEST(Donchian, MatchesWindowExtremes) {
  const Hlc& b = Bars();
  for (int n : {1, 3, 20, 55}) {
    Series gm(b.size()), gu(b.size()), gd(b.size());
    DonchianBatch(b.high, b.low, n, gm, gu, gd);
    EXPECT_EQ(CountNaN(gu), static_cast<size_t>(n - 1));
    for (size_t i = n - 1; i < b.size(); ++i) {
      ASSERT_EQ(gu[i], static_cast<double>(WindowMax(b.high, i, n))) << i;
      ASSERT_EQ(gd[i], static_cast<double>(WindowMin(b.low, i, n))) << i;
      ASSERT_EQ(gm[i], (gu[i] + gd[i]) / 2) << i;
    }
    const auto streamed = StreamValues(Donchian(n), b, 3, [&](Donchian& k, size_t i) {
      BarInput bar;
      bar.high = b.high[i];
      bar.low = b.low[i];
      k.Update(bar);
    });
    ExpectBitEqual(streamed[0], gm, "donchian streaming mid");
    ExpectBitEqual(streamed[1], gu, "donchian streaming up");
    ExpectBitEqual(streamed[2], gd, "donchian streaming dn");
  }
  ExpectSaveLoadContinues(Donchian(20), b.size(), 3,
                          [&](Donchian& k, size_t i) { k.Update(b.high[i], b.low[i]); });
}

TEST(Donchian, ExtremesLeavingTheWindow) {
  // Strictly falling highs: the maximum leaves the window at every step (rescans).
  Donchian d(3);
  const double highs[] = {10, 9, 8, 7, 6, 9.5, 5, 5, 5};
  const double want[] = {kNaN, kNaN, 10, 9, 8, 9.5, 9.5, 9.5, 5};
  for (int i = 0; i < 9; ++i) {
    d.Update(highs[i], 0);
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(d.up())) << i;
    } else {
      EXPECT_EQ(d.up(), want[i]) << i;
    }
  }
}

TEST(Keltner, MatchesEmaAndAtrReferences) {
  const Hlc& b = Bars();
  Series tp(b.size());
  for (size_t i = 0; i < b.size(); ++i) tp[i] = (b.high[i] + b.low[i] + b.close[i]) / 3.0;
  for (auto [n, k, m] : {std::tuple{20, 2.0, 10}, std::tuple{5, 1.5, 30}}) {
    const Series ema = RefEmaFrom(tp, n, 0);
    const Series atr = RefAtr(b, m);
    Series wm(b.size(), kNaN), wu(b.size(), kNaN), wd(b.size(), kNaN);
    for (size_t i = 0; i < b.size(); ++i) {
      if (std::isnan(ema[i]) || std::isnan(atr[i])) continue;
      wm[i] = ema[i];
      wu[i] = ema[i] + k * atr[i];
      wd[i] = ema[i] - k * atr[i];
    }
    Series gm(b.size()), gu(b.size()), gd(b.size());
    KeltnerBatch(b.high, b.low, b.close, n, k, m, gm, gu, gd);
    ExpectSeriesNear(gm, wm, 1e-14, 0, "kc mid");
    ExpectSeriesNear(gu, wu, 1e-14, 0, "kc up");
    ExpectSeriesNear(gd, wd, 1e-14, 0, "kc dn");
    ExpectWarmup(Keltner(n, k, m), gm);
    const auto streamed = StreamValues(Keltner(n, k, m), b, 3, [&](Keltner& kk, size_t i) {
      kk.Update(b.high[i], b.low[i], b.close[i]);
    });
    ExpectBitEqual(streamed[1], gu, "kc streaming up");
  }
  ExpectSaveLoadContinues(Keltner(20, 2, 10), b.size(), 3,
                          [&](Keltner& k, size_t i) { k.Update(b.high[i], b.low[i], b.close[i]); });
}

// ---- Load rejects state from another configuration ----------------------------------------------

TEST(SaveLoad, RejectsOtherConfiguration) {
  StateWriter w;
  Sma(20).Save(w);
  {
    Sma other(21);
    StateReader r(w.bytes());
    const Status s = other.Load(r);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("another period"), std::string::npos) << s.message();
  }
  StateWriter wb;
  Bbands(20, 2).Save(wb);
  Bbands other(20, 3);
  StateReader rb(wb.bytes());
  EXPECT_FALSE(other.Load(rb).ok());
  StateWriter wm;
  Macd(12, 26, 9).Save(wm);
  Macd om(12, 26, 8);
  StateReader rm(wm.bytes());
  EXPECT_FALSE(om.Load(rm).ok());
}

TEST(SaveLoad, RejectsCorruptWindowPosition) {
  Sma s(4);
  s.Update(1);
  StateWriter w;
  s.Save(w);
  std::vector<uint8_t> bytes = w.bytes();
  const int64_t bad_head = 99;
  std::memcpy(bytes.data() + 8, &bad_head, 8);  // head follows the period
  Sma t(4);
  StateReader r(bytes);
  const Status st = t.Load(r);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace arus::indicators
