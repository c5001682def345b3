// Dukascopy bi5 import throughput on realistic files built here: one week (Mon-Fri, 24 hours a
// day) of EURUSD hours, 3-8k ticks each, ticks 0-2 points apart, sticky spreads of 2-15 points,
// volumes from a few lot sizes (1.5, 2.25, ...), LZMA "alone" with the size in the header and no
// end marker, as Dukascopy publishes them. Prints, best of several runs with a warm page cache:
//   - liblzma alone: decompressing the same files from memory (the ceiling for any bi5 reader),
//   - ImportDukascopy with 1 and 2 threads (read + decode + validate + deliver to a sink).
// Usage: bi5_bench [days=5] [dir=/tmp/arus_bi5_bench]
#include <lzma.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/time.h"
#include "fx/instrument.h"
#include "ingest/dukascopy.h"

namespace {

namespace fs = std::filesystem;
using arus::bench::Clock;
using arus::bench::Seconds;

// CPU seconds used by the whole process (all threads): throughput per core on a busy machine.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall = 1e9;
  double cpu = 1e9;
  void Keep(double w, double c) {
    if (w < wall) {
      wall = w;
      cpu = c;
    }
  }
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(1);
}

void PutBe32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Dukascopy-style .lzma: props, dictionary size, decoded size, then an LZMA1 stream without an
// end marker.
std::string Compress(const std::string& raw) {
  lzma_options_lzma opt{};
  if (lzma_lzma_preset(&opt, 6)) Die("lzma preset");
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA1EXT, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream s{};
  if (lzma_raw_encoder(&s, filters) != LZMA_OK) Die("lzma encoder");
  std::string out;
  out.push_back(static_cast<char>((opt.pb * 5 + opt.lp) * 9 + opt.lc));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((opt.dict_size >> (8 * i)) & 0xff));
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((uint64_t{raw.size()} >> (8 * i)) & 0xff));
  const size_t head = out.size();
  out.resize(head + raw.size() + raw.size() / 2 + 4096);
  s.next_in = reinterpret_cast<const uint8_t*>(raw.data());
  s.avail_in = raw.size();
  s.next_out = reinterpret_cast<uint8_t*>(out.data()) + head;
  s.avail_out = out.size() - head;
  if (lzma_code(&s, LZMA_FINISH) != LZMA_STREAM_END) Die("lzma encode");
  out.resize(out.size() - s.avail_out);
  lzma_end(&s);
  return out;
}

struct Fixture {
  std::vector<std::string> files;  // compressed bytes, one per hour
  int64_t ticks = 0;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
};

Fixture Build(const std::string& dir, int days) {
  fs::remove_all(dir);
  std::mt19937_64 rng(20240108);
  std::uniform_int_distribution<int> per_hour(3000, 8000), step(-2, 2), spread(2, 15), vol(0, 7);
  static constexpr float kVolumes[] = {1.5f, 2.25f, 0.75f, 1.0f, 3.0f, 4.5f, 0.5f, 2.0f};
  Fixture fx;
  int64_t bid = 109500;
  int cur_spread = 5;
  const int64_t monday = arus::DaysFromCivil(2024, 1, 8);
  for (int day = 0; day < days; ++day) {
    int64_t y;
    unsigned m, d;
    arus::CivilFromDays(monday + day, &y, &m, &d);
    for (int h = 0; h < 24; ++h) {
      const int n = per_hour(rng);
      std::vector<uint32_t> ms(static_cast<size_t>(n));
      for (uint32_t& t : ms) t = static_cast<uint32_t>(rng() % 3600000);
      std::sort(ms.begin(), ms.end());
      std::string raw;
      raw.reserve(static_cast<size_t>(n) * 20);
      for (int i = 0; i < n; ++i) {
        bid += step(rng);
        if (rng() % 16 == 0) cur_spread = spread(rng);
        const uint32_t ask = static_cast<uint32_t>(bid + cur_spread);
        PutBe32(&raw, ms[static_cast<size_t>(i)]);
        PutBe32(&raw, ask);
        PutBe32(&raw, static_cast<uint32_t>(bid));
        uint32_t bits;
        std::memcpy(&bits, &kVolumes[vol(rng)], 4);
        PutBe32(&raw, bits);
        std::memcpy(&bits, &kVolumes[vol(rng)], 4);
        PutBe32(&raw, bits);
      }
      std::string z = Compress(raw);
      char rel[64];
      std::snprintf(rel, sizeof(rel), "/EURUSD/%04d/%02u/%02u/%02dh_ticks.bi5", static_cast<int>(y),
                    m - 1, d, h);
      const std::string path = dir + rel;
      fs::create_directories(fs::path(path).parent_path());
      std::ofstream(path, std::ios::binary).write(z.data(), static_cast<std::streamsize>(z.size()));
      fx.ticks += n;
      fx.raw_bytes += raw.size();
      fx.compressed_bytes += z.size();
      fx.files.push_back(std::move(z));
    }
  }
  return fx;
}

// Plain liblzma decompression of every file from memory, reusing one stream and buffer.
double LzmaOnly(const Fixture& fx) {
  std::vector<uint8_t> buf(size_t{4} << 20);
  lzma_stream s{};
  uint64_t total = 0;
  const auto t0 = Clock::now();
  for (const std::string& f : fx.files) {
    if (lzma_alone_decoder(&s, UINT64_MAX) != LZMA_OK) Die("lzma decoder");
    s.next_in = reinterpret_cast<const uint8_t*>(f.data());
    s.avail_in = f.size();
    s.next_out = buf.data();
    s.avail_out = buf.size();
    if (lzma_code(&s, LZMA_FINISH) != LZMA_STREAM_END) Die("lzma decode");
    total += buf.size() - s.avail_out;
  }
  const double secs = Seconds(t0, Clock::now());
  lzma_end(&s);
  if (total != fx.raw_bytes) Die("lzma decoded size mismatch");
  return secs;
}

double Import(const std::string& dir, int threads, int64_t expect_ticks) {
  arus::ingest::ImportOptions o;
  o.instrument = *arus::fx::InstrumentTable::Builtin().Find("EURUSD").value();
  o.threads = threads;
  arus::ingest::Quarantine q;
  int64_t got = 0;
  uint64_t checksum = 0;
  const auto t0 = Clock::now();
  auto stats = arus::ingest::ImportDukascopy(
      std::vector<std::string>{dir}, o, &q, [&](std::span<const arus::QuoteTick> c) {
        got += static_cast<int64_t>(c.size());
        checksum += static_cast<uint64_t>(c.back().bid.raw());
        return arus::Status::Ok();
      });
  const double secs = Seconds(t0, Clock::now());
  if (!stats.ok()) Die(stats.status().ToString());
  if (got != expect_ticks || q.total() != 0) Die("import lost or quarantined ticks");
  if (checksum == 0) Die("empty");
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  const int days = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string dir = argc > 2 ? argv[2] : "/tmp/arus_bi5_bench";
  if (days < 1) Die("days must be >= 1");

  const auto b0 = Clock::now();
  const Fixture fx = Build(dir, days);
  std::printf(
      "bi5 fixture: %zu hours, %lld ticks (%.0f per hour), %.1f MB decoded, %.1f MB "
      "compressed (%.2f bytes/tick, ratio %.2f), built in %.1f s\n",
      fx.files.size(), static_cast<long long>(fx.ticks),
      static_cast<double>(fx.ticks) / static_cast<double>(fx.files.size()),
      static_cast<double>(fx.raw_bytes) / 1e6, static_cast<double>(fx.compressed_bytes) / 1e6,
      static_cast<double>(fx.compressed_bytes) / static_cast<double>(fx.ticks),
      static_cast<double>(fx.raw_bytes) / static_cast<double>(fx.compressed_bytes),
      Seconds(b0, Clock::now()));

  auto report = [&](const char* label, const Timing& t) {
    std::printf(
        "  %-26s %6.3f s  %5.2f M ticks/s  %5.1f MB/s compressed  %5.1f MB/s decoded"
        "  | %5.2f M ticks per CPU-second\n",
        label, t.wall, static_cast<double>(fx.ticks) / t.wall / 1e6,
        static_cast<double>(fx.compressed_bytes) / t.wall / 1e6,
        static_cast<double>(fx.raw_bytes) / t.wall / 1e6,
        static_cast<double>(fx.ticks) / t.cpu / 1e6);
  };
  constexpr int kReps = 7;
  auto timed = [](Timing* t, auto&& fn) {
    const double c0 = CpuSeconds();
    const auto w0 = Clock::now();
    fn();
    t->Keep(Seconds(w0, Clock::now()), CpuSeconds() - c0);
  };
  Timing lz, one, two;
  for (int r = 0; r < kReps; ++r) {
    timed(&lz, [&] { LzmaOnly(fx); });
    timed(&one, [&] { Import(dir, 1, fx.ticks); });
    timed(&two, [&] { Import(dir, 2, fx.ticks); });
  }
  report("liblzma only (ceiling)", lz);
  report("ImportDukascopy 1 thread", one);
  report("ImportDukascopy 2 threads", two);
  std::printf("  2-thread speed-up (wall): %.2fx\n", one.wall / two.wall);
  fs::remove_all(dir);
  return 0;
}
