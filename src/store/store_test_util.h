// Helpers shared by the store's tests: scratch directories, tick and bar generators.
#pragma once

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/tick.h"
#include "core/time.h"
#include "store/bar_codec.h"

namespace arus::store::testing {

// A fresh, empty directory under $ARUS_TEST_TMP (or the system temp dir).
inline std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "store_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

inline bool BitIdentical(std::span<const QuoteTick> a, std::span<const QuoteTick> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(QuoteTick)) == 0);
}

inline Price P(int64_t scaled, int decimals) { return Price::FromScaled(scaled, decimals); }

// Realistic FX: a tick every 100-500 ms (whole ms), a random walk of 0-2 points per tick, spreads
// of 1-20 points and volumes from a small set of lot sizes (millions).
inline std::vector<QuoteTick> RealisticTicks(uint64_t seed, UnixNanos start, size_t n,
                                             int decimals = 5, int64_t start_price = 110000) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> gap_ms(100, 500);
  std::uniform_int_distribution<int> step(-2, 2);
  std::uniform_int_distribution<int> spread(1, 20);
  static constexpr float kVolumes[] = {0.75f, 1.0f, 1.5f, 2.25f, 3.0f, 4.5f, 0.5f, 2.0f};
  std::uniform_int_distribution<int> vol(0, 7);
  std::vector<QuoteTick> out(n);
  int64_t t = start.ns();
  int64_t bid = start_price;
  for (size_t i = 0; i < n; ++i) {
    t += gap_ms(rng) * kNanosPerMilli;
    bid += step(rng);
    out[i].ts_event = UnixNanos(t);
    out[i].bid = P(bid, decimals);
    out[i].ask = P(bid + spread(rng), decimals);
    out[i].bid_volume = kVolumes[vol(rng)];
    out[i].ask_volume = kVolumes[vol(rng)];
  }
  return out;
}

// Adversarial but valid ticks: equal timestamps, ns-granular and huge gaps (weekends), prices
// that jump across the whole int64 range at 9 decimals or stay on a `decimals` grid, odd floats.
inline std::vector<QuoteTick> WildTicks(uint64_t seed, UnixNanos start, size_t n, int decimals,
                                        bool extreme_prices) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> kind(0, 99);
  const int64_t grid = Pow10(9 - decimals);
  std::vector<QuoteTick> out(n);
  int64_t t = start.ns();
  int64_t bid = 150 * Pow10(decimals);  // 150.0 at `decimals`
  const float odd[] = {0.0f,
                       -0.0f,
                       1.5f,
                       2.25f,
                       std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::denorm_min(),
                       3.4e38f,
                       -1.0f,
                       std::numeric_limits<float>::quiet_NaN()};
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = rng() % 10000;
    if (k < 1500) {
      // equal timestamp
    } else if (k < 7000) {
      t += static_cast<int64_t>(rng() % 500) * kNanosPerMilli;
    } else if (k < 9900) {
      t += static_cast<int64_t>(rng() % 2'000'000'000);  // ns granular
    } else if (k < 9995) {
      t += static_cast<int64_t>(rng() % (3 * kNanosPerHour));
    } else {
      t += 2 * kNanosPerDay + static_cast<int64_t>(rng() % kNanosPerDay);  // weekend-sized gap
    }
    QuoteTick& q = out[i];
    q.ts_event = UnixNanos(t);
    if (extreme_prices && kind(rng) < 10) {
      q.bid = Price::FromRaw(static_cast<int64_t>(rng()) / grid * grid);
      q.ask = Price::FromRaw(static_cast<int64_t>(rng()) / grid * grid);
    } else {
      const int m = kind(rng);
      bid += m < 80 ? static_cast<int64_t>(rng() % 5) - 2
                    : static_cast<int64_t>(rng() % 20001) - 10000;
      q.bid = P(bid, decimals);
      q.ask = P(bid + static_cast<int64_t>(rng() % 40) - 5, decimals);  // occasionally crossed
    }
    if (kind(rng) < 90) {
      q.bid_volume = static_cast<float>(1 + rng() % 8) * 0.75f;
      q.ask_volume = static_cast<float>(1 + rng() % 4) * 0.5f;
    } else {
      q.bid_volume = odd[rng() % std::size(odd)];
      q.ask_volume = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    }
  }
  return out;
}

inline bool BitIdentical(std::span<const Bar> a, std::span<const Bar> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(Bar)) == 0);
}

// Bars and their flags, as the store takes and returns them.
struct BarRows {
  std::vector<Bar> bars;
  std::vector<uint8_t> flags;
  size_t size() const { return bars.size(); }
  BarRows Slice(size_t begin, size_t n) const {
    BarRows r;
    r.bars.assign(bars.begin() + static_cast<ptrdiff_t>(begin),
                  bars.begin() + static_cast<ptrdiff_t>(begin + n));
    r.flags.assign(flags.begin() + static_cast<ptrdiff_t>(begin),
                   flags.begin() + static_cast<ptrdiff_t>(begin + n));
    return r;
  }
  void Append(const BarRows& o) {
    bars.insert(bars.end(), o.bars.begin(), o.bars.end());
    flags.insert(flags.end(), o.flags.begin(), o.flags.end());
  }
};

// Realistic FX bars of `step` each (consecutive, no weekend gaps: the store does not care): a
// random walk of the close, highs and lows a few points around the body, tick counts, summed
// lot volumes, mean and max spreads (mean as the aggregator computes it). About 1 bar in 50 is
// "filled" (flat at the previous close,
// no ticks), as a gap-repair policy would invent it.
inline BarRows RealisticBars(uint64_t seed, UnixNanos start, size_t n, Duration step,
                             int decimals = 5, int64_t start_price = 110000) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> move(-8, 8), wick(0, 6), ticks(20, 250), spread(1, 20);
  BarRows out;
  out.bars.resize(n);
  out.flags.resize(n);
  int64_t close = start_price;
  int64_t t = start.ns();
  for (size_t i = 0; i < n; ++i, t += step.count()) {
    Bar& b = out.bars[i];
    b.ts_open = UnixNanos(t);
    b.ts_close = UnixNanos(t + step.count());
    if (rng() % 50 == 0) {
      out.flags[i] = kBarFilled;
      b.open = b.high = b.low = b.close = P(close, decimals);
      b.spread_max = P(0, decimals);
      continue;
    }
    const int64_t o = close + (rng() % 4 == 0 ? move(rng) / 4 : 0);
    const int64_t c = o + move(rng);
    b.open = P(o, decimals);
    b.close = P(c, decimals);
    b.high = P(std::max(o, c) + wick(rng), decimals);
    b.low = P(std::min(o, c) - wick(rng), decimals);
    b.tick_count = ticks(rng);
    b.volume = static_cast<double>(b.tick_count) * 0.75 * static_cast<double>(1 + rng() % 4);
    const int sp = spread(rng);
    b.spread_max = P(sp + 3, decimals);
    // As bars::BarAggregator computes it: the raw spread sum over the ticks / count / 1e9.
    const int64_t spread_sum =
        (b.tick_count * sp + static_cast<int64_t>(rng() % 7)) * Pow10(kPriceDecimals - decimals);
    b.spread_mean = static_cast<double>(spread_sum) / static_cast<double>(b.tick_count) /
                    static_cast<double>(kPriceScale);
    close = c;
  }
  return out;
}

// Adversarial but valid bars: irregular gaps (1 ns to weeks), ts_close equal to ts_open or far
// away, prices anywhere in int64 on the `decimals` grid (with extreme_prices), odd doubles, any
// flags byte.
inline BarRows WildBars(uint64_t seed, UnixNanos start, size_t n, int decimals,
                        bool extreme_prices) {
  std::mt19937_64 rng(seed);
  const int64_t grid = Pow10(9 - decimals);
  const double odd[] = {0.0,
                        -0.0,
                        1.5,
                        std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::denorm_min(),
                        1.7e308,
                        -1.0,
                        std::numeric_limits<double>::quiet_NaN()};
  BarRows out;
  out.bars.resize(n);
  out.flags.resize(n);
  int64_t t = start.ns();
  int64_t price = 150 * Pow10(decimals);
  auto any_price = [&] { return Price::FromRaw(static_cast<int64_t>(rng()) / grid * grid); };
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = rng() % 100;
    t += k < 30   ? 1 + static_cast<int64_t>(rng() % 1000)
         : k < 90 ? kNanosPerMinute * (1 + static_cast<int64_t>(rng() % 60))
                  : static_cast<int64_t>(rng() % (14 * kNanosPerDay)) + 1;
    Bar& b = out.bars[i];
    b.ts_open = UnixNanos(t);
    const uint64_t c = rng() % 10;
    b.ts_close = c == 0   ? b.ts_open
                 : c == 1 ? UnixNanos::Max()
                          : UnixNanos(t + static_cast<int64_t>(rng() % (2 * kNanosPerDay)));
    if (extreme_prices && rng() % 10 == 0) {
      b.open = any_price();
      b.high = any_price();
      b.low = any_price();
      b.close = any_price();
      b.spread_max = any_price();
      b.tick_count = static_cast<int64_t>(rng());
    } else {
      price += static_cast<int64_t>(rng() % 41) - 20;
      b.open = P(price, decimals);
      b.close = P(price + static_cast<int64_t>(rng() % 21) - 10, decimals);
      b.high = P(price + static_cast<int64_t>(rng() % 40) - 5, decimals);  // may be below open
      b.low = P(price - static_cast<int64_t>(rng() % 40) + 5, decimals);
      b.spread_max = P(static_cast<int64_t>(rng() % 30), decimals);
      b.tick_count = static_cast<int64_t>(rng() % 500);
    }
    b.volume = rng() % 5 == 0 ? odd[rng() % std::size(odd)] : static_cast<double>(rng() % 1000) / 4;
    b.spread_mean = rng() % 5 == 0 ? std::bit_cast<double>(rng()) : (rng() % 100) * 1e-6;
    out.flags[i] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0);
  }
  return out;
}

}  // namespace arus::store::testing
