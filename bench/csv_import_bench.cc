// Text tick import throughput: writes realistic TrueFX, HistData.com, MT5 and generic CSV tick files
// (~380 MB in all) to a temporary directory, imports each through ImportTicks (the real path:
// read(2) in 8 MiB chunks, hand parsing, zone conversion, checks) on one thread (and two at once on two threads), and prints MB/s
// (1 MB = 10^6 bytes) and ticks/s with a no-op sink and with a sink appending to a vector (a new
// one per run, which pays for growth and page faults, and a reused one).
// Files are read from the page cache (one warm-up run first). The directory is deleted at the end.
// Usage: csv_import_bench [scale]   (scale multiplies the file sizes; default 1)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fx/instrument.h"
#include "ingest/importer.h"

namespace arus::ingest {
namespace {

// Appends `v` as exactly `width` digits.
void Digits(std::string* out, int64_t v, int width) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

void PriceText(std::string* out, int64_t scaled, int decimals) {
  const int64_t p = Pow10(decimals);
  out->append(std::to_string(scaled / p));
  out->push_back('.');
  Digits(out, scaled % p, decimals);
}

struct Row {
  int64_t ms;  // since the epoch, UTC
  int64_t bid, ask;
};

// A realistic quote stream: ticks 1-400 ms apart (busier in the day), a random walk of 0-2
// points, spreads of 1-15 points, across several days.
class Market {
 public:
  explicit Market(uint64_t seed) : rng_(seed) {}
  Row Next() {
    ms_ += 1 + static_cast<int64_t>(rng_() % 400);
    bid_ += static_cast<int64_t>(rng_() % 5) - 2;
    return Row{ms_, bid_, bid_ + 1 + static_cast<int64_t>(rng_() % 15)};
  }

 private:
  std::mt19937_64 rng_;
  int64_t ms_ = 1704153600000;  // 2024-01-02T00:00:00Z
  int64_t bid_ = 110411;
};

void AppendDateTime(std::string* out, int64_t ms, char date_sep, char mid, bool colons,
                    bool dot) {
  const int64_t d = ms / 86'400'000;
  int64_t y;
  unsigned m, dd;
  CivilFromDays(d, &y, &m, &dd);
  const int64_t tod = ms % 86'400'000;
  Digits(out, y, 4);
  if (date_sep) out->push_back(date_sep);
  Digits(out, m, 2);
  if (date_sep) out->push_back(date_sep);
  Digits(out, dd, 2);
  out->push_back(mid);
  Digits(out, tod / 3'600'000, 2);
  if (colons) out->push_back(':');
  Digits(out, tod / 60'000 % 60, 2);
  if (colons) out->push_back(':');
  Digits(out, tod / 1000 % 60, 2);
  if (dot) out->push_back('.');
  Digits(out, tod % 1000, 3);
}

enum class Kind { kTrueFx, kHistData, kMt5, kCsv };

// Writes about `bytes` of the format; returns the number of rows.
int64_t WriteFile(const std::string& path, Kind kind, size_t bytes, uint64_t seed) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  Market mkt(seed);
  std::string buf;
  size_t written = 0;
  int64_t rows = 0;
  if (kind == Kind::kMt5) buf += "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\r\n";
  if (kind == Kind::kCsv) buf += "time,bid,ask\n";
  while (written + buf.size() < bytes) {
    const Row r = mkt.Next();
    // Sources other than TrueFX write local time; shifting the text keeps it monotonic.
    switch (kind) {
      case Kind::kTrueFx:
        buf += "EUR/USD,";
        AppendDateTime(&buf, r.ms, 0, ' ', true, true);
        buf += ',';
        PriceText(&buf, r.bid, 5);
        buf += ',';
        PriceText(&buf, r.ask, 5);
        buf += '\n';
        break;
      case Kind::kHistData:
        AppendDateTime(&buf, r.ms - 5 * 3'600'000, 0, ' ', false, false);
        buf += ',';
        PriceText(&buf, r.bid, 5);
        buf += ',';
        PriceText(&buf, r.ask, 5);
        buf += ",0\n";
        break;
      case Kind::kMt5:
        AppendDateTime(&buf, r.ms + 2 * 3'600'000, '.', '\t', true, true);
        buf += '\t';
        PriceText(&buf, r.bid, 5);
        buf += '\t';
        PriceText(&buf, r.ask, 5);
        buf += "\t\t\t6\r\n";
        break;
      case Kind::kCsv:
        AppendDateTime(&buf, r.ms, '-', 'T', true, true);
        buf += "Z,";
        PriceText(&buf, r.bid, 5);
        buf += ',';
        PriceText(&buf, r.ask, 5);
        buf += '\n';
        break;
    }
    ++rows;
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      written += buf.size();
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  return rows;
}

struct Figures {
  double seconds = 1e30;
  ImportStats stats;
};

enum class SinkKind { kNoop, kFreshVector, kReusedVector };

Figures Measure(SourceFormat format, const std::string& path, const ImportOptions& o,
                SinkKind sink, int reps) {
  Figures best;
  std::vector<QuoteTick> out;
  const std::vector<std::string> in = {path};
  const bool vec = sink != SinkKind::kNoop;
  for (int i = 0; i < reps; ++i) {
    out.clear();
    // A fresh vector pays for its growth and for faulting in new pages; a reused one does not.
    if (sink == SinkKind::kFreshVector) out.shrink_to_fit();
    Quarantine q;
    const auto t0 = std::chrono::steady_clock::now();
    Result<ImportStats> r =
        vec ? ImportTicks(format, in, o, &q,
                          [&](std::span<const QuoteTick> t) {
                            out.insert(out.end(), t.begin(), t.end());
                            return Status::Ok();
                          })
            : ImportTicks(format, in, o, &q,
                          [](std::span<const QuoteTick>) { return Status::Ok(); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "import failed: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    if (r->quarantined != 0) {
      std::fprintf(stderr, "unexpected quarantined rows: %lld\n",
                   static_cast<long long>(r->quarantined));
      std::exit(1);
    }
    if (s < best.seconds) best = Figures{s, *r};
  }
  return best;
}

// Two imports of the file at once on two threads (as when importing two symbols together): the
// wall time of the pair, best of `reps`. A text file is parsed by one thread (rows depend on the
// previous row: time order, MT5 sides carried forward), so 2 threads help across files.
double TwoAtOnce(SourceFormat format, const std::string& path, const ImportOptions& o, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    std::thread other([&] { Measure(format, path, o, SinkKind::kNoop, 1); });
    Measure(format, path, o, SinkKind::kNoop, 1);
    other.join();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                              .count());
  }
  return best;
}

int Main(int argc, char** argv) {
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  const char* base = std::getenv("ARUS_BENCH_TMP");
  const std::filesystem::path dir =
      (base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
      ("arus_csv_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  struct Spec {
    const char* label;
    SourceFormat format;
    Kind kind;
    double mb;
  };
  const Spec specs[] = {
      {"truefx", SourceFormat::kTrueFx, Kind::kTrueFx, 160},
      {"histdata-tick", SourceFormat::kHistDataTick, Kind::kHistData, 140},
      {"mt5-ticks", SourceFormat::kMt5Ticks, Kind::kMt5, 40},
      {"csv (iso)", SourceFormat::kCsv, Kind::kCsv, 40},
  };
  const fx::Instrument& eurusd = **fx::InstrumentTable::Builtin().Find("EURUSD");
  std::printf("text tick import, 1 thread, files in the page cache (MB = 1e6 bytes)\n");
  std::printf("%-24s | %-17s | %-17s | %-17s | %-17s\n", "", "no-op sink", "new vector sink",
              "reused vector sink", "2 threads, 2 files");
  std::printf("%-14s %7s %9s | %7s %9s | %7s %9s | %7s %9s | %7s %9s\n", "format", "MB", "ticks",
              "MB/s", "ticks/s", "MB/s", "ticks/s", "MB/s", "ticks/s", "MB/s", "ticks/s");
  for (const Spec& s : specs) {
    const std::string path = (dir / (std::string(s.label) + ".csv")).string();
    const int64_t rows =
        WriteFile(path, s.kind, static_cast<size_t>(s.mb * scale * 1e6), 0x5EED + s.mb);
    ImportOptions o;
    o.instrument = eurusd;
    o.zone = *fx::SourceZone::Parse(DefaultZoneSpec(s.format));
    Measure(s.format, path, o, SinkKind::kNoop, 1);  // warm the page cache
    const Figures noop = Measure(s.format, path, o, SinkKind::kNoop, 3);
    const Figures fresh = Measure(s.format, path, o, SinkKind::kFreshVector, 2);
    const Figures reused = Measure(s.format, path, o, SinkKind::kReusedVector, 3);
    const double two = TwoAtOnce(s.format, path, o, 2);
    for (const Figures* f : {&noop, &fresh, &reused}) {
      if (f->stats.accepted != rows) {
        std::fprintf(stderr, "%s: expected %lld ticks, got %lld\n", s.label,
                     static_cast<long long>(rows), static_cast<long long>(f->stats.accepted));
        return 1;
      }
    }
    const double mb = static_cast<double>(noop.stats.bytes) / 1e6;
    std::printf("%-14s %7.1f %9lld | %7.0f %9.3g | %7.0f %9.3g | %7.0f %9.3g | %7.0f %9.3g\n",
                s.label, mb, static_cast<long long>(rows), mb / noop.seconds, rows / noop.seconds,
                mb / fresh.seconds, rows / fresh.seconds, mb / reused.seconds,
                rows / reused.seconds, 2 * mb / two, 2 * rows / two);
    std::filesystem::remove(path);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace arus::ingest

int main(int argc, char** argv) { return arus::ingest::Main(argc, argv); }
