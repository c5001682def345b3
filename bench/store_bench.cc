// Store throughput on realistic FX data built here.
// Ticks: a tick every 100-500 ms while the market is open, a random walk of 0-2 points per tick,
// spreads of 1-20 points, volumes from a few lot sizes. Prints append ticks/s (through
// TickStore::Append, fsync included), scan ticks/s (TickStore::Scan with a warm page cache, i.e.
// decode speed), codec-only figures and bytes/tick.
// Bars: a year of M1 bars over the open market (what aggregating such ticks gives: 20-250 ticks a
// minute, summed lot volumes, mean and max spreads, 1 % gap-filled bars). Prints bytes/bar per
// block size and per partition period (day / month / year), append and scan bars/s, and the cost
// of appending one trading day at a time into a month vs a year partition.
// Usage: store_bench [trading_days=20] [dir=/tmp/arus_store_bench]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "bars/bar_aggregator.h"
#include "fx/calendar.h"
#include "store/bar_codec.h"
#include "store/partition_file.h"
#include "store/tick_codec.h"
#include "store/tick_store.h"

namespace {

using arus::Duration;
using arus::Price;
using arus::QuoteTick;
using arus::UnixNanos;
using arus::bench::Clock;
using arus::bench::Seconds;

std::vector<QuoteTick> MakeTicks(int trading_days, uint64_t seed) {
  const auto& cal = arus::fx::FxCalendar::Default();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> gap_ms(100, 500), step(-2, 2), spread(1, 20), vol(0, 7);
  static constexpr float kVolumes[] = {0.75f, 1.0f, 1.5f, 2.25f, 3.0f, 4.5f, 0.5f, 2.0f};
  std::vector<QuoteTick> out;
  out.reserve(static_cast<size_t>(trading_days) * 290000);
  arus::fx::Date d = arus::fx::Date::FromYmd(2024, 3, 4);
  int64_t bid = 108500;
  for (int day = 0; day < trading_days; ++day, d = cal.NextTradingDay(d)) {
    if (!cal.IsTradingDay(d)) d = cal.NextTradingDay(d);
    const auto b = cal.Bounds(d);
    for (int64_t t = b.open.ns() + gap_ms(rng) * arus::kNanosPerMilli; t < b.close.ns();
         t += gap_ms(rng) * arus::kNanosPerMilli) {
      bid += step(rng);
      QuoteTick q;
      q.ts_event = UnixNanos(t);
      q.bid = Price::FromScaled(bid, 5);
      q.ask = Price::FromScaled(bid + spread(rng), 5);
      q.bid_volume = kVolumes[vol(rng)];
      q.ask_volume = kVolumes[vol(rng)];
      out.push_back(q);
    }
  }
  return out;
}

void Die(const arus::Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  std::exit(1);
}

void CodecFigures(const std::vector<QuoteTick>& ticks, int level, arus::store::AskEncoding enc,
                  const char* label) {
  using namespace arus::store;
  BlockEncoder encoder(level, enc);
  std::string stored;
  std::vector<EncodedBlock> metas;
  std::vector<size_t> offsets;
  const size_t n = ticks.size();
  stored.reserve(n * 8);
  double encode_best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    stored.clear();
    metas.clear();
    offsets.clear();
    const auto t0 = Clock::now();
    for (size_t i = 0; i < n; i += kDefaultBlockTicks) {
      const size_t m = std::min<size_t>(kDefaultBlockTicks, n - i);
      offsets.push_back(stored.size());
      EncodedBlock meta;
      const arus::Status s =
          encoder.Encode(std::span<const QuoteTick>(ticks).subspan(i, m), 5, &stored, &meta);
      if (!s.ok()) Die(s);
      metas.push_back(meta);
    }
    encode_best = std::min(encode_best, Seconds(t0, Clock::now()));
  }
  offsets.push_back(stored.size());
  BlockDecoder decoder;
  std::vector<QuoteTick> out;
  double best = 1e9;
  uint64_t sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto d0 = Clock::now();
    for (size_t b = 0; b < metas.size(); ++b) {
      const std::string_view blk(stored.data() + offsets[b], offsets[b + 1] - offsets[b]);
      const arus::Status s =
          decoder.Decode(blk, metas[b].checksum, metas[b].raw_size, metas[b].tick_count, 5, &out);
      if (!s.ok()) Die(s);
      sink += static_cast<uint64_t>(out.back().bid.raw());
    }
    best = std::min(best, Seconds(d0, Clock::now()));
  }
  uint64_t raw = 0;
  for (const auto& m : metas) raw += m.raw_size;
  std::printf(
      "  codec %-22s level %d: %5.2f bytes/tick (%.2f before zstd), encode %6.1f M ticks/s, "
      "decode %6.1f M ticks/s%s\n",
      label, level, static_cast<double>(stored.size()) / n, static_cast<double>(raw) / n,
      n / encode_best / 1e6, n / best / 1e6, sink == 42 ? " " : "");
}

// M1 bars of every open minute of `trading_days` trading days from 2023-01-02.
struct Bars {
  std::vector<arus::Bar> bars;
  std::vector<uint8_t> flags;
};

Bars MakeM1Bars(int trading_days, uint64_t seed) {
  const auto& cal = arus::fx::FxCalendar::Default();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> ticks(20, 250), move(-6, 6), wick(0, 5), lot(0, 7);
  static constexpr double kLots[] = {0.75, 1.0, 1.5, 2.25, 3.0, 4.5, 0.5, 2.0};
  Bars out;
  arus::fx::Date d = arus::fx::Date::FromYmd(2023, 1, 2);
  int64_t close = 106000;
  for (int day = 0; day < trading_days; ++day, d = cal.NextTradingDay(d)) {
    if (!cal.IsTradingDay(d)) d = cal.NextTradingDay(d);
    const auto b = cal.Bounds(d);
    for (int64_t t = b.open.ns(); t < b.close.ns(); t += arus::kNanosPerMinute) {
      arus::Bar bar;
      bar.ts_open = UnixNanos(t);
      bar.ts_close = UnixNanos(t + arus::kNanosPerMinute);
      uint8_t flag = 0;
      if (rng() % 100 == 0) {  // a gap a repair policy filled: flat at the previous close
        flag = arus::store::kBarFilled;
        bar.open = bar.high = bar.low = bar.close = Price::FromScaled(close, 5);
      } else {
        const int64_t o = close + (rng() % 4 == 0 ? move(rng) / 3 : 0);
        const int64_t c = o + move(rng);
        bar.open = Price::FromScaled(o, 5);
        bar.close = Price::FromScaled(c, 5);
        bar.high = Price::FromScaled(std::max(o, c) + wick(rng), 5);
        bar.low = Price::FromScaled(std::min(o, c) - wick(rng), 5);
        bar.tick_count = ticks(rng);
        double volume = 0;
        int64_t spread_sum = 0, spread_max = 0;
        for (int64_t k = 0; k < bar.tick_count; ++k) {
          const int64_t sp = 1 + static_cast<int64_t>(rng() % 20);
          spread_sum += sp;
          spread_max = std::max(spread_max, sp);
          volume += kLots[lot(rng)] + kLots[lot(rng)];
        }
        bar.volume = volume;
        // As bars::BarAggregator computes it: raw spread sum / count / 1e9.
        bar.spread_mean = static_cast<double>(spread_sum * 10000) /
                          static_cast<double>(bar.tick_count) /
                          static_cast<double>(arus::kPriceScale);
        bar.spread_max = Price::FromScaled(spread_max, 5);
        close = c;
      }
      out.bars.push_back(bar);
      out.flags.push_back(flag);
    }
  }
  return out;
}

// M1 bars made by the real aggregator from the tick set: the bytes per bar the store gives
// bars::BarAggregator's output (its spread_mean and volume forms are what the codec expects).
void AggregatedBarFigures(const std::vector<QuoteTick>& ticks) {
  using namespace arus::store;
  arus::bars::BarAggregator agg(arus::bars::Timeframe::kM1, arus::PriceSide::kBid,
                                arus::fx::FxCalendar::Default());
  if (auto s = agg.Update(ticks); !s.ok()) Die(s);
  agg.Flush();
  const std::vector<arus::Bar> bars = agg.TakeCompleted();
  BarBlockEncoder enc;
  std::string stored;
  for (size_t i = 0; i < bars.size(); i += kDefaultBlockBars) {
    EncodedBlock meta;
    const size_t m = std::min<size_t>(kDefaultBlockBars, bars.size() - i);
    if (auto s = enc.Encode(std::span<const arus::Bar>(bars).subspan(i, m), {}, 5, &stored, &meta);
        !s.ok()) {
      Die(s);
    }
  }
  std::printf(
      "\nM1 bars from bars::BarAggregator over the ticks above: %zu bars, %.2f bytes/bar "
      "(blocks only)\n",
      bars.size(), static_cast<double>(stored.size()) / bars.size());
}

void BarFigures(const std::string& dir) {
  using namespace arus::store;
  constexpr int kDays = 260;
  const Bars m1 = MakeM1Bars(kDays, 3);
  const size_t n = m1.bars.size();
  std::printf("\nbars: %zu M1 bars over %d trading days, %.1f MB as %zu-byte Bars\n", n, kDays,
              n * sizeof(arus::Bar) / 1e6, sizeof(arus::Bar));
  // Codec alone, by block size.
  for (uint32_t block : {1024u, 4096u, 8192u, 16384u, 65536u}) {
    BarBlockEncoder enc;
    BarBlockDecoder dec;
    std::string stored;
    std::vector<EncodedBlock> metas;
    std::vector<size_t> offsets;
    uint64_t raw = 0;
    const auto t0 = Clock::now();
    for (size_t i = 0; i < n; i += block) {
      const size_t m = std::min<size_t>(block, n - i);
      offsets.push_back(stored.size());
      EncodedBlock meta;
      const auto s =
          enc.Encode(std::span<const arus::Bar>(m1.bars).subspan(i, m),
                     std::span<const uint8_t>(m1.flags).subspan(i, m), 5, &stored, &meta);
      if (!s.ok()) Die(s);
      metas.push_back(meta);
      raw += meta.raw_size;
    }
    const double enc_s = Seconds(t0, Clock::now());
    offsets.push_back(stored.size());
    std::vector<arus::Bar> out;
    std::vector<uint8_t> flags;
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      const auto d0 = Clock::now();
      for (size_t b = 0; b < metas.size(); ++b) {
        const std::string_view blk(stored.data() + offsets[b], offsets[b + 1] - offsets[b]);
        const auto s = dec.Decode(blk, metas[b].checksum, metas[b].raw_size, metas[b].tick_count, 5,
                                  &out, &flags);
        if (!s.ok()) Die(s);
      }
      best = std::min(best, Seconds(d0, Clock::now()));
    }
    std::printf(
        "  bar codec, %5u bars/block: %5.2f bytes/bar (%.2f before zstd), encode %5.1f M "
        "bars/s, decode %5.1f M bars/s\n",
        block, static_cast<double>(stored.size()) / n, static_cast<double>(raw) / n,
        n / enc_s / 1e6, n / best / 1e6);
  }
  // Partition period: bytes per bar with each file's header and index, by period.
  const auto& cal = arus::fx::FxCalendar::Default();
  for (const char* period : {"day", "month", "year"}) {
    BarBlockEncoder enc;
    std::string stored;
    size_t files = 0, blocks = 0;
    size_t i = 0;
    while (i < n) {
      const auto d = cal.TradingDateOf(m1.bars[i].ts_open);
      auto same = [&](size_t j) {
        const auto e = cal.TradingDateOf(m1.bars[j].ts_open);
        if (period[0] == 'd') return e.days == d.days;
        if (period[0] == 'm') return e.year() == d.year() && e.month() == d.month();
        return e.year() == d.year();
      };
      size_t j = i;
      while (j < n && same(j)) ++j;
      for (size_t k = i; k < j; k += kDefaultBlockBars) {
        const size_t m = std::min<size_t>(kDefaultBlockBars, j - k);
        EncodedBlock meta;
        const auto s =
            enc.Encode(std::span<const arus::Bar>(m1.bars).subspan(k, m),
                       std::span<const uint8_t>(m1.flags).subspan(k, m), 5, &stored, &meta);
        if (!s.ok()) Die(s);
        ++blocks;
      }
      ++files;
      i = j;
    }
    const size_t bytes =
        stored.size() + files * (kPartitionHeaderSize + 8) + blocks * kBlockIndexEntrySize;
    std::printf("  partition by %-5s: %4zu files, %5.2f bytes/bar on disk\n", period, files,
                static_cast<double>(bytes) / n);
  }
  // Through the store.
  const BarSeriesKey key{"EURUSD", "M1", "bid"};
  std::filesystem::remove_all(dir);
  {
    auto store = TickStore::Open(dir, OpenMode::kReadWrite);
    if (!store.ok()) Die(store.status());
    const auto t0 = Clock::now();
    auto st = (*store)->AppendBars(key, m1.bars, m1.flags, 5);
    const double secs = Seconds(t0, Clock::now());
    if (!st.ok()) Die(st.status());
    auto info = (*store)->BarInfo(key);
    if (!info.ok()) Die(info.status());
    std::printf(
        "bar append (one call, %d month partitions, fsync per file): %.1f M bars/s "
        "(%.3f s); on disk %.2f bytes/bar, %.1fx smaller than Bars\n",
        st->partitions_written, n / secs / 1e6, secs, info->bytes_per_bar(),
        info->compression_ratio());
  }
  {
    auto store = TickStore::Open(dir, OpenMode::kReadOnly);
    if (!store.ok()) Die(store.status());
    double best = 1e9;
    size_t count = 0;
    int64_t sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = Clock::now();
      auto scanner = (*store)->ScanBars(key, UnixNanos::Min(), UnixNanos::Max());
      if (!scanner.ok()) Die(scanner.status());
      count = 0;
      while (true) {
        auto batch = (*scanner)->Next();
        if (!batch.ok()) Die(batch.status());
        if (batch->empty()) break;
        count += batch->size();
        sink += batch->bars.back().close.raw();
      }
      best = std::min(best, Seconds(t0, Clock::now()));
    }
    if (count != n) Die(arus::Internal("bar scan returned the wrong count"));
    const auto v0 = Clock::now();
    auto report = (*store)->Verify();
    if (!report.ok() || !report->ok()) Die(arus::Internal("bar verify failed"));
    std::printf("bar scan (warm cache, full range): %.1f M bars/s; verify %.3f s%s\n",
                n / best / 1e6, Seconds(v0, Clock::now()), sink == 42 ? " " : "");
  }
  // One trading day per call (what a daily import does): month partitions (M1) vs year
  // partitions (the same bars under a label that gets year partitions).
  for (const char* label : {"M1", "H1"}) {
    const std::string d2 = dir + "_daily";
    std::filesystem::remove_all(d2);
    auto store = TickStore::Open(d2, OpenMode::kReadWrite);
    if (!store.ok()) Die(store.status());
    const BarSeriesKey k{"EURUSD", label, "bid"};
    const size_t limit = std::min<size_t>(n, 130 * 1440);  // half a year
    size_t calls = 0;
    const auto t0 = Clock::now();
    for (size_t i = 0; i < limit; i += 1440, ++calls) {
      const size_t m = std::min<size_t>(1440, limit - i);
      auto st = (*store)->AppendBars(k, std::span<const arus::Bar>(m1.bars).subspan(i, m),
                                     std::span<const uint8_t>(m1.flags).subspan(i, m), 5);
      if (!st.ok()) Die(st.status());
    }
    const double secs = Seconds(t0, Clock::now());
    // A repair in the middle: one trading day replaced (decodes and re-encodes the partition).
    std::vector<arus::Bar> day(m1.bars.begin() + 40 * 1440, m1.bars.begin() + 41 * 1440);
    for (arus::Bar& b : day) b.volume += 1;
    AppendOptions replace;
    replace.replace = true;
    const auto r0 = Clock::now();
    auto st = (*store)->AppendBars(k, day, {}, 5, replace);
    const double replace_s = Seconds(r0, Clock::now());
    if (!st.ok()) Die(st.status());
    std::printf(
        "bar append into %s partitions: %.2f ms per call of one trading day at the end; "
        "%.2f ms to replace one day in the middle\n",
        DefaultBarPeriod(label) == BarPeriod::kMonth ? "month" : "year", secs * 1e3 / calls,
        replace_s * 1e3);
    std::filesystem::remove_all(d2);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace arus::store;
  const int days = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string dir =
      argc > 2 ? argv[2] : "/tmp/arus_store_bench_" + std::to_string(::getpid());
  std::printf("building %d trading days of realistic EURUSD ticks...\n", days);
  const std::vector<QuoteTick> ticks = MakeTicks(days, 1);
  const size_t n = ticks.size();
  std::printf("%zu ticks (%.0f per day), raw %.1f MB\n", n, static_cast<double>(n) / days,
              n * sizeof(QuoteTick) / 1e6);

  CodecFigures(ticks, 1, AskEncoding::kAuto, "ask auto");
  CodecFigures(ticks, 1, AskEncoding::kSpread, "ask as spread");
  CodecFigures(ticks, 1, AskEncoding::kDelta, "ask as delta");
  CodecFigures(ticks, 3, AskEncoding::kAuto, "ask auto");

  std::filesystem::remove_all(dir);
  {
    auto store = TickStore::Open(dir, OpenMode::kReadWrite);
    if (!store.ok()) Die(store.status());
    const auto t0 = Clock::now();
    auto stats = (*store)->Append("EURUSD", ticks, 5);
    const auto t1 = Clock::now();
    if (!stats.ok()) Die(stats.status());
    std::printf("append (one call, %d partitions, fsync per file): %.1f M ticks/s (%.2f s)\n",
                stats->partitions_written, n / Seconds(t0, t1) / 1e6, Seconds(t0, t1));
    auto info = (*store)->Info("EURUSD");
    if (!info.ok()) Die(info.status());
    std::printf("on disk: %.2f bytes/tick, compression ratio %.1fx vs 32-byte ticks\n",
                info->bytes_per_tick(), info->compression_ratio());
  }
  {
    // Incremental appends: one hour per call into the same symbol (rewrites the day's partition).
    std::filesystem::remove_all(dir + "_inc");
    auto store = TickStore::Open(dir + "_inc", OpenMode::kReadWrite);
    if (!store.ok()) Die(store.status());
    const size_t limit = std::min<size_t>(n, 2 * 290000);
    const auto t0 = Clock::now();
    size_t calls = 0;
    for (size_t i = 0; i < limit;) {
      size_t j = i;
      const int64_t hour_end = ticks[i].ts_event.ns() + arus::kNanosPerHour;
      while (j < limit && ticks[j].ts_event.ns() < hour_end) ++j;
      auto s = (*store)->Append("EURUSD", std::span<const QuoteTick>(ticks).subspan(i, j - i), 5);
      if (!s.ok()) Die(s.status());
      i = j;
      ++calls;
    }
    const double secs = Seconds(t0, Clock::now());
    std::printf("append (hourly calls, %zu calls): %.1f M ticks/s, %.2f ms per call\n", calls,
                limit / secs / 1e6, secs * 1e3 / calls);
    std::filesystem::remove_all(dir + "_inc");
  }
  {
    auto store = TickStore::Open(dir, OpenMode::kReadOnly);
    if (!store.ok()) Die(store.status());
    double best = 1e9;
    size_t count = 0;
    int64_t sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = Clock::now();
      auto scanner = (*store)->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max());
      if (!scanner.ok()) Die(scanner.status());
      count = 0;
      while (true) {
        auto run = (*scanner)->Next();
        if (!run.ok()) Die(run.status());
        if (run->empty()) break;
        count += run->size();
        sink += run->back().ask.raw();
      }
      best = std::min(best, Seconds(t0, Clock::now()));
    }
    if (count != n) {
      std::fprintf(stderr, "scan returned %zu ticks, expected %zu\n", count, n);
      return 1;
    }
    std::printf("scan (warm cache, full range): %.1f M ticks/s%s\n", n / best / 1e6,
                sink == 42 ? " " : "");
    const auto v0 = Clock::now();
    auto report = (*store)->Verify();
    if (!report.ok() || !report->ok()) {
      std::fprintf(stderr, "verify failed\n");
      return 1;
    }
    std::printf("verify: %lld ticks in %.2f s\n", static_cast<long long>(report->ticks),
                Seconds(v0, Clock::now()));
  }
  std::filesystem::remove_all(dir);
  AggregatedBarFigures(ticks);
  BarFigures(dir + "_bars");
  return 0;
}
