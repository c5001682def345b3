// Tick store throughput on realistic FX data built here: a tick every 100-500 ms while the market
// is open, a random walk of 0-2 points per tick, spreads of 1-20 points, volumes from a few lot
// sizes. Prints append ticks/s (through TickStore::Append, fsync included), scan ticks/s
// (TickStore::Scan with a warm page cache, i.e. decode speed), codec-only figures and bytes/tick.
// Usage: store_bench [trading_days=20] [dir=/tmp/arus_store_bench]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "fx/calendar.h"
#include "store/tick_codec.h"
#include "store/tick_store.h"

namespace {

using arus::Duration;
using arus::Price;
using arus::QuoteTick;
using arus::UnixNanos;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

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
  return 0;
}
