#include "indicators/tick_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace arus::indicators {
namespace {

constexpr double kPip = 0.0001;

// Times in tests are seconds after an epoch-scale base: kernels see realistic nanosecond stamps,
// while references work with small doubles (1.7e9 s as a double would only resolve 0.2 us).
constexpr int64_t kBase = 1'709'600'000LL * kNanosPerSecond;
UnixNanos Sec(double s) { return UnixNanos(kBase + static_cast<int64_t>(std::llround(s * 1e9))); }
double Seconds(UnixNanos t) { return static_cast<double>(t.ns() - kBase) * 1e-9; }

QuoteTick Tick(double t_seconds, double bid, double ask, float bv = 0, float av = 0) {
  QuoteTick q;
  q.ts_event = Sec(t_seconds);
  q.bid = Price::FromDouble(bid);
  q.ask = Price::FromDouble(ask);
  q.bid_volume = bv;
  q.ask_volume = av;
  return q;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

// Random quotes: exponential gaps (mean 0.5 s, with bursts and a few simultaneous ticks), a
// random-walk mid on the 1e-5 grid, spreads 0.3-2.5 pips, volumes sometimes missing.
std::vector<QuoteTick> MakeTicks(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<QuoteTick> ticks(n);
  int64_t t = kBase;
  int64_t mid = 110'000;  // 1e-5 units
  for (size_t i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    if (u > 0.03)
      t += static_cast<int64_t>(-std::log(1 - rng.Uniform()) * 0.5e9 * (u < 0.2 ? 0.1 : 1));
    mid += static_cast<int64_t>(rng.Next() % 5) - 2;
    const int64_t spread = 3 + static_cast<int64_t>(rng.Next() % 23);
    QuoteTick& q = ticks[i];
    q.ts_event = UnixNanos(t);
    q.bid = Price::FromScaled(mid - spread / 2, 5);
    q.ask = Price::FromScaled(mid - spread / 2 + spread, 5);
    if (rng.Uniform() < 0.9) {
      q.bid_volume = static_cast<float>(0.5 + 3 * rng.Uniform());
      q.ask_volume = static_cast<float>(0.5 + 3 * rng.Uniform());
    }
  }
  return ticks;
}

// ---- References: direct sums over the whole history (previous-tick interpolation) ------------

// Time average of a step signal that takes value v[i] on [t_i, t_{i+1}), started at v[0]:
//   E(t) = v0 * w(t - t0) + sum_i v_i * (w(t - t_{i+1}) - w(t - t_i)), w(d) = exp(-d / tau).
double RefStepAverage(const std::vector<double>& times, const std::vector<double>& v, double t,
                      double tau) {
  double e = v[0] * std::exp(-(t - times[0]) / tau);
  for (size_t i = 0; i < v.size(); ++i) {
    const double end = i + 1 < v.size() ? times[i + 1] : t;
    e += v[i] * (std::exp(-(t - end) / tau) - std::exp(-(t - times[i]) / tau));
  }
  return e;
}

TEST(TickKernels, SpreadEwmaHandWorked) {
  // Half-life 1 s. 1 pip from t=0, 3 pips from t=1: at t=1 the average still only saw 1 pip.
  SpreadEwma k(kPip, Duration(kNanosPerSecond));
  k.Update(Tick(0, 1.10000, 1.10010));
  EXPECT_DOUBLE_EQ(k.value(), 1.0);
  k.Update(Tick(1, 1.10000, 1.10030));
  EXPECT_DOUBLE_EQ(k.last(), 3.0);
  EXPECT_DOUBLE_EQ(k.value(), 1.0);
  EXPECT_DOUBLE_EQ(k.ValueAt(Sec(2)), 0.5 * 1 + 0.5 * 3);
  EXPECT_DOUBLE_EQ(k.ValueAt(Sec(3)), 0.25 * 1 + 0.75 * 3);
  // Querying does not change the state; an earlier query time is the last tick's.
  EXPECT_DOUBLE_EQ(k.ValueAt(Sec(0.5)), 1.0);
  // JPY pip.
  SpreadEwma j(0.01, Duration(kNanosPerSecond));
  j.Update(Tick(0, 150.100, 150.115));
  EXPECT_DOUBLE_EQ(j.value(), 1.5);
}

TEST(TickKernels, SpreadEwmaMatchesReference) {
  const std::vector<QuoteTick> ticks = MakeTicks(600, 1);
  const Duration hl(3 * kNanosPerSecond);
  const double tau = 3 / std::log(2.0);
  SpreadEwma k(kPip, hl);
  std::vector<double> times, spreads;
  for (const QuoteTick& q : ticks) {
    k.Update(q);
    times.push_back(Seconds(q.ts_event));
    spreads.push_back((q.ask.ToDouble() - q.bid.ToDouble()) / kPip);
  }
  const double t_last = times.back();
  for (double extra : {0.0, 0.7, 5.0, 60.0}) {
    const double want = RefStepAverage(times, spreads, t_last + extra, tau);
    EXPECT_NEAR(k.ValueAt(Sec(t_last + extra)), want, 1e-9 * want) << extra;
  }
}

TEST(TickKernels, BookImbalance) {
  BookImbalance k{Duration(kNanosPerSecond)};
  k.Update(Tick(0, 1.1, 1.1001));  // no volume: nothing known yet
  EXPECT_FALSE(k.IsReady());
  EXPECT_TRUE(std::isnan(k.value()));
  k.Update(Tick(1, 1.1, 1.1001, 3, 1));  // q = 0.5
  EXPECT_DOUBLE_EQ(k.last(), 0.5);
  EXPECT_DOUBLE_EQ(k.value(), 0.5);
  k.Update(Tick(2, 1.1, 1.1001, 1, 3));  // q = -0.5; average over [1, 2) still 0.5
  EXPECT_DOUBLE_EQ(k.value(), 0.5);
  EXPECT_DOUBLE_EQ(k.ValueAt(Sec(3)), 0.5 * 0.5 + 0.5 * -0.5);
  k.Update(Tick(3, 1.1, 1.1001));  // no volume: keeps q = -0.5
  EXPECT_DOUBLE_EQ(k.last(), -0.5);
  EXPECT_DOUBLE_EQ(k.value(), 0.0);
  EXPECT_DOUBLE_EQ(k.ValueAt(Sec(4)), -0.25);
  // Reference on random ticks (ticks without volume hold the previous q).
  const std::vector<QuoteTick> ticks = MakeTicks(500, 2);
  BookImbalance r(Duration(2 * kNanosPerSecond));
  std::vector<double> times, q;
  for (const QuoteTick& t : ticks) {
    r.Update(t);
    const double bv = t.bid_volume, av = t.ask_volume;
    if (bv + av > 0) {
      times.push_back(Seconds(t.ts_event));
      q.push_back((bv - av) / (bv + av));
    } else if (!q.empty()) {
      times.push_back(Seconds(t.ts_event));
      q.push_back(q.back());
    }
  }
  const double want = RefStepAverage(times, q, times.back() + 1, 2 / std::log(2.0));
  EXPECT_NEAR(r.ValueAt(Sec(times.back() + 1)), want, 1e-12);
}

TEST(TickKernels, TickIntensity) {
  // Regular ticks every 0.1 s for a long time: at a tick, lambda = (1/tau) / (1 - exp(-0.1/tau))
  // (a geometric series); averaged over the cycle it is 10 ticks/s.
  const Duration hl(2 * kNanosPerSecond);
  const double tau = 2 / std::log(2.0);
  TickIntensity k(hl);
  EXPECT_TRUE(std::isnan(k.value()));
  for (int i = 0; i <= 2000; ++i) k.Update(Sec(i * 0.1));
  EXPECT_NEAR(k.value(), (1 / tau) / (1 - std::exp(-0.1 / tau)), 1e-9);
  double avg = 0;
  for (int j = 0; j < 1000; ++j) avg += k.ValueAt(Sec(200 + (j + 0.5) * 1e-4));
  EXPECT_NEAR(avg / 1000, 10.0, 1e-3);
  // Decays in time without ticks: one half-life halves it.
  EXPECT_NEAR(k.ValueAt(Sec(202)), k.value() / 2, 1e-12);
  // Against the direct sum on random ticks.
  const std::vector<QuoteTick> ticks = MakeTicks(800, 3);
  TickIntensity r(hl);
  for (const QuoteTick& q : ticks) r.Update(q);
  const double t = Seconds(ticks.back().ts_event) + 0.3;
  double want = 0;
  for (const QuoteTick& q : ticks) want += std::exp(-(t - Seconds(q.ts_event)) / tau) / tau;
  EXPECT_NEAR(r.ValueAt(Sec(t)), want, 1e-9 * want);
}

TEST(TickKernels, TickSlippageMatchesReference) {
  const std::vector<QuoteTick> ticks = MakeTicks(700, 4);
  const Duration hl(5 * kNanosPerSecond), latency(200 * kNanosPerMilli);
  const double tau = 5 / std::log(2.0);
  TickSlippage k(kPip, hl, latency);
  EXPECT_TRUE(std::isnan(k.value()));
  std::vector<double> times, spreads;
  for (size_t i = 0; i < ticks.size(); ++i) {
    k.Update(ticks[i]);
    times.push_back(Seconds(ticks[i].ts_event));
    spreads.push_back((ticks[i].ask.ToDouble() - ticks[i].bid.ToDouble()) / kPip);
    if (i == 0) {
      EXPECT_FALSE(k.IsReady());
    }
  }
  const double t = times.back() + 0.25;
  double v = 0;  // realized variance rate of the mid, pips^2/s
  for (size_t i = 1; i < ticks.size(); ++i) {
    const double dm = (ticks[i].mid().ToDouble() - ticks[i - 1].mid().ToDouble()) / kPip;
    v += std::exp(-(t - times[i]) / tau) * dm * dm / tau;
  }
  const double half = 0.5 * RefStepAverage(times, spreads, t, tau);
  const double vol = std::sqrt(v * 0.2);
  EXPECT_NEAR(k.HalfSpreadAt(Sec(t)), half, 1e-9 * half);
  EXPECT_NEAR(k.VolAt(Sec(t)), vol, 1e-9 * vol);
  EXPECT_NEAR(k.ValueAt(Sec(t)), half + vol, 1e-9 * (half + vol));
  // Hand-worked: two quotes 1 s apart, half-life ln2 s (tau = 1 s), mid moves 1 pip, latency 1 s:
  // V = 1 pip^2 / 1 s, vol = 1 pip; spread 2 pips throughout -> half spread 1 pip.
  TickSlippage h(kPip, Duration(693'147'181), Duration(kNanosPerSecond));
  h.Update(Tick(0, 1.10000, 1.10020));
  h.Update(Tick(1, 1.10010, 1.10030));
  EXPECT_NEAR(h.VolAt(Sec(1)), 1.0, 1e-9);
  EXPECT_NEAR(h.HalfSpreadAt(Sec(1)), 1.0, 1e-12);
  EXPECT_NEAR(h.value(), 2.0, 1e-9);
}

TEST(TickKernels, OutOfOrderAndSimultaneousTicks) {
  // A tick older than the last is taken as simultaneous: no decay, time does not go back.
  TickIntensity a{Duration(kNanosPerSecond)}, b{Duration(kNanosPerSecond)};
  a.Update(Sec(10));
  a.Update(Sec(9));
  b.Update(Sec(10));
  b.Update(Sec(10));
  EXPECT_DOUBLE_EQ(a.value(), b.value());
  EXPECT_DOUBLE_EQ(a.ValueAt(Sec(11)), b.ValueAt(Sec(11)));
  SpreadEwma s(kPip, Duration(kNanosPerSecond));
  s.Update(Tick(10, 1.1, 1.1001));
  s.Update(Tick(10, 1.1, 1.1005));  // held for zero time: the average is unchanged
  EXPECT_DOUBLE_EQ(s.value(), 1.0);
  EXPECT_DOUBLE_EQ(s.ValueAt(Sec(11)), 0.5 * 1 + 0.5 * 5);
  // Absurd query times saturate instead of overflowing: far past = the last tick's time, far
  // future = fully decayed.
  EXPECT_DOUBLE_EQ(s.ValueAt(UnixNanos::Min()), s.value());
  EXPECT_DOUBLE_EQ(s.ValueAt(UnixNanos::Max()), 5.0);
  EXPECT_EQ(a.ValueAt(UnixNanos::Max()), 0.0);
  // Quotes without finite volume carry no imbalance.
  BookImbalance q{Duration(kNanosPerSecond)};
  q.Update(Tick(0, 1.1, 1.1001, NAN, 1));
  EXPECT_FALSE(q.IsReady());
}

// ---- Properties
// ----------------------------------------------------------------------------------

template <class K>
std::vector<double> StreamValues(K& k, const std::vector<QuoteTick>& ticks, size_t from = 0) {
  std::vector<double> out;
  for (size_t i = from; i < ticks.size(); ++i) {
    k.Update(ticks[i]);
    out.push_back(k.IsReady() ? k.value() : NAN);
  }
  return out;
}

TEST(TickKernels, StreamingEqualsBatchBitForBit) {
  const std::vector<QuoteTick> ticks = MakeTicks(3000, 5);
  const Duration hl(4 * kNanosPerSecond), lat(250 * kNanosPerMilli);
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameBits(a[i], b[i])) return false;
    }
    return true;
  };
  SpreadEwma s(kPip, hl);
  EXPECT_TRUE(same(SpreadEwmaBatch(ticks, kPip, hl), StreamValues(s, ticks)));
  BookImbalance b(hl);
  EXPECT_TRUE(same(BookImbalanceBatch(ticks, hl), StreamValues(b, ticks)));
  TickIntensity n(hl);
  EXPECT_TRUE(same(TickIntensityBatch(ticks, hl), StreamValues(n, ticks)));
  TickSlippage p(kPip, hl, lat);
  EXPECT_TRUE(same(TickSlippageBatch(ticks, kPip, hl, lat), StreamValues(p, ticks)));
}

template <class K, class Make>
void CheckSaveLoad(Make make, const std::vector<QuoteTick>& ticks, const char* name) {
  for (size_t cut : {size_t{0}, size_t{1}, size_t{2}, size_t{777}}) {
    K whole = make();
    const std::vector<double> want = StreamValues(whole, ticks);
    K first = make();
    std::vector<QuoteTick> head(ticks.begin(), ticks.begin() + cut);
    std::vector<double> got = StreamValues(first, head);
    StateWriter w;
    first.Save(w);
    K second = make();
    StateReader r(w.bytes());
    ASSERT_TRUE(second.Load(r).ok()) << name;
    ASSERT_TRUE(r.done()) << name;
    const std::vector<double> rest = StreamValues(second, ticks, cut);
    got.insert(got.end(), rest.begin(), rest.end());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_TRUE(SameBits(got[i], want[i])) << name << " cut " << cut << " tick " << i;
    }
    // The decayed value at a later time agrees too.
    const UnixNanos later = ticks.back().ts_event + Duration(3 * kNanosPerSecond);
    ASSERT_TRUE(SameBits(whole.ValueAt(later), second.ValueAt(later))) << name;
    // Truncated state is refused.
    for (size_t len : {size_t{0}, w.bytes().size() - 1}) {
      K t = make();
      StateReader tr(std::span<const uint8_t>(w.bytes().data(), len));
      EXPECT_FALSE(t.Load(tr).ok()) << name << " len " << len;
    }
  }
}

TEST(TickKernels, SaveLoadMidStreamEqualsUninterrupted) {
  const std::vector<QuoteTick> ticks = MakeTicks(1500, 6);
  const Duration hl(4 * kNanosPerSecond), lat(250 * kNanosPerMilli);
  CheckSaveLoad<SpreadEwma>([&] { return SpreadEwma(kPip, hl); }, ticks, "spread");
  CheckSaveLoad<BookImbalance>([&] { return BookImbalance(hl); }, ticks, "imbalance");
  CheckSaveLoad<TickIntensity>([&] { return TickIntensity(hl); }, ticks, "intensity");
  CheckSaveLoad<TickSlippage>([&] { return TickSlippage(kPip, hl, lat); }, ticks, "slippage");
}

TEST(TickKernels, LoadRejectsOtherParameters) {
  const std::vector<QuoteTick> ticks = MakeTicks(50, 7);
  const Duration hl(4 * kNanosPerSecond);
  SpreadEwma a(kPip, hl);
  StreamValues(a, ticks);
  StateWriter w;
  a.Save(w);
  {
    SpreadEwma other(0.01, hl);
    StateReader r(w.bytes());
    const Status s = other.Load(r);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("different parameters"), std::string::npos) << s.ToString();
  }
  {
    SpreadEwma other(kPip, Duration(5 * kNanosPerSecond));
    StateReader r(w.bytes());
    EXPECT_FALSE(other.Load(r).ok());
  }
  TickIntensity i(hl);
  StreamValues(i, ticks);
  StateWriter wi;
  i.Save(wi);
  TickIntensity other{Duration(kNanosPerSecond)};
  StateReader ri(wi.bytes());
  EXPECT_FALSE(other.Load(ri).ok());
}

template <class K, class Make>
void CheckStartEarlier(Make make, const std::vector<QuoteTick>& ticks, const char* name) {
  const size_t skip = 1000;
  K early = make(), late = make();
  const std::vector<double> a = StreamValues(early, ticks);
  const std::vector<double> b = StreamValues(late, ticks, skip);
  const UnixNanos stable_from = ticks[skip].ts_event + late.StableTime();
  size_t compared = 0;
  for (size_t i = skip; i < ticks.size(); ++i) {
    if (ticks[i].ts_event < stable_from) continue;
    const double x = a[i], y = b[i - skip];
    ASSERT_LE(std::fabs(x - y), 1e-9 * std::max(std::fabs(x), std::fabs(y)))
        << name << " tick " << i << ": " << x << " vs " << y;
    ++compared;
  }
  EXPECT_GT(compared, 500u) << name;
  const UnixNanos later = ticks.back().ts_event + Duration(kNanosPerSecond);
  EXPECT_LE(std::fabs(early.ValueAt(later) - late.ValueAt(later)),
            1e-9 * std::fabs(early.ValueAt(later)))
      << name;
}

TEST(TickKernels, StartThousandTicksEarlierAgrees) {
  const std::vector<QuoteTick> ticks = MakeTicks(4000, 8);
  const Duration hl(10 * kNanosPerSecond), lat(250 * kNanosPerMilli);
  // StableTime is 27.6 time constants = 398 s here; the data span ~1,700 s.
  CheckStartEarlier<SpreadEwma>([&] { return SpreadEwma(kPip, hl); }, ticks, "spread");
  CheckStartEarlier<BookImbalance>([&] { return BookImbalance(hl); }, ticks, "imbalance");
  CheckStartEarlier<TickIntensity>([&] { return TickIntensity(hl); }, ticks, "intensity");
  CheckStartEarlier<TickSlippage>([&] { return TickSlippage(kPip, hl, lat); }, ticks, "slippage");
}

}  // namespace
}  // namespace arus::indicators
