// Dataset file throughput: writes and reads a dataset of 1 M rows x 60 features + 3 labels (with
// their end times and a 64 KiB checkpoint), about 536 MB. Prints seconds and MB/s for:
// Fresh memory matters: on small VMs the first touch of a page costs more than copying it, so
// "read" (new vectors) can be several times slower than "read into" (reused buffers).
//   write      WriteDataset (checksums, temp file, fsync, rename, directory fsync)
//   disk       the same bytes through WriteFileAtomic: what the disk allows
//   read       ReadDataset of everything, warm page cache (checksums verified), into fresh memory
//   read into  every column into buffers the caller reuses (DatasetReader::Read*Into)
//   read cols  DatasetReader::Read of 6 features + 1 label over all rows
//   read rows  DatasetReader::Read of all columns over 10 % of the rows (time range)
//   csv        WriteDatasetCsv of the first 100 000 rows (text is not a fast path)
// Usage: dataset_bench [rows=1000000] [features=60] [path=/tmp/arus_dataset_bench.ads]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "bench_util.h"
#include "core/file.h"
#include "features/dataset.h"

namespace {

using arus::UnixNanos;
using arus::features::Dataset;
using arus::bench::Clock;
using arus::bench::Seconds;

Dataset Make(size_t rows, size_t nf) {
  Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "bench";
  ds.feature_set_hash = "0123456789abcdef";
  ds.feature_set_text = "symbol = \"EURUSD\"\n";
  const int64_t t0 = 1704153600LL * arus::kNanosPerSecond;
  ds.time.resize(rows);
  for (size_t r = 0; r < rows; ++r)
    ds.time[r] = UnixNanos(t0 + int64_t(r) * 5 * arus::kNanosPerMinute);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0, 1);
  for (size_t c = 0; c < nf; ++c) {
    ds.feature_names.push_back("f" + std::to_string(c));
    std::vector<double> col(rows);
    double x = 0;
    for (size_t r = 0; r < rows; ++r) col[r] = r < 20 ? NAN : (x += n(rng));  // warm-up NaNs
    ds.features.push_back(std::move(col));
  }
  for (int l = 0; l < 3; ++l) {
    ds.label_names.push_back("y" + std::to_string(l));
    std::vector<double> col(rows);
    std::vector<UnixNanos> end(rows);
    for (size_t r = 0; r < rows; ++r) {
      col[r] = r + 12 < rows ? n(rng) : NAN;
      end[r] = r + 12 < rows ? ds.time[r + 12] : UnixNanos::Max();
    }
    ds.labels.push_back(std::move(col));
    ds.label_end.push_back(std::move(end));
  }
  ds.checkpoint.assign(64 << 10, 7);
  return ds;
}

struct Cpu {
  double user = 0, sys = 0;
};
Cpu CpuNow() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return {double(u.ru_utime.tv_sec) + double(u.ru_utime.tv_usec) * 1e-6,
          double(u.ru_stime.tv_sec) + double(u.ru_stime.tv_usec) * 1e-6};
}

// `cpu` (when given) splits the time: user = arus's work (checksums, copies), sys = the kernel
// (page cache, page faults); the rest of the wall time is waiting for the disk.
void Report(const char* what, double seconds, double bytes, const Cpu* cpu = nullptr) {
  std::printf("%-10s %8.3f s  %9.0f MB/s", what, seconds, bytes / seconds / 1e6);
  if (cpu != nullptr) std::printf("   (user %.3f s, sys %.3f s)", cpu->user, cpu->sys);
  std::printf("\n");
}

Cpu operator-(Cpu a, Cpu b) { return {a.user - b.user, a.sys - b.sys}; }

}  // namespace

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t nf = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 60;
  const std::string path = argc > 3 ? argv[3] : "/tmp/arus_dataset_bench.ads";
  const Dataset ds = Make(rows, nf);

  Cpu c0 = CpuNow();
  auto t0 = Clock::now();
  arus::Status s = arus::features::WriteDataset(path, ds);
  auto t1 = Clock::now();
  Cpu c1 = CpuNow();
  if (!s.ok()) {
    std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
    return 1;
  }
  const double bytes = double(std::filesystem::file_size(path));
  std::printf("dataset: %zu rows x %zu features + 3 labels, %.1f MB on disk\n", rows, nf,
              bytes / 1e6);
  const Cpu write_cpu = c1 - c0;
  Report("write", Seconds(t0, t1), bytes, &write_cpu);

  {
    // The disk's own limit: the same number of bytes through WriteFileAtomic (fsync included).
    const std::string raw(static_cast<size_t>(bytes), 'x');
    c0 = CpuNow();
    t0 = Clock::now();
    s = arus::WriteFileAtomic(path + ".raw", raw);
    t1 = Clock::now();
    c1 = CpuNow();
    std::remove((path + ".raw").c_str());
    if (!s.ok()) return 1;
    const Cpu disk_cpu = c1 - c0;
    Report("disk", Seconds(t0, t1), bytes, &disk_cpu);
  }
  double best = 1e9;
  Cpu best_cpu;
  for (int i = 0; i < 3; ++i) {
    c0 = CpuNow();
    t0 = Clock::now();
    auto r = arus::features::ReadDataset(path);
    t1 = Clock::now();
    c1 = CpuNow();
    if (!r.ok() || !(*r == ds)) {
      std::fprintf(stderr, "read: %s\n", r.ok() ? "differs" : r.status().ToString().c_str());
      return 1;
    }
    if (Seconds(t0, t1) < best) {
      best = Seconds(t0, t1);
      best_cpu = c1 - c0;
    }
  }
  Report("read", best, bytes, &best_cpu);

  auto reader = arus::features::DatasetReader::Open(path);
  if (!reader.ok()) return 1;
  {
    // Every column into buffers allocated (and touched) once, as a training loop would.
    Dataset buf = ds;
    best = 1e9;
    for (int i = 0; i < 3; ++i) {
      t0 = Clock::now();
      const auto& rd = **reader;
      bool ok = rd.ReadTimeInto(0, buf.time).ok();
      for (size_t c = 0; c < nf; ++c) ok &= rd.ReadFeatureInto(c, 0, buf.features[c]).ok();
      for (size_t l = 0; l < 3; ++l) {
        ok &= rd.ReadLabelInto(l, 0, buf.labels[l]).ok();
        ok &= rd.ReadLabelEndInto(l, 0, buf.label_end[l]).ok();
      }
      t1 = Clock::now();
      if (!ok || !(buf == ds)) {
        std::fprintf(stderr, "read into: failed\n");
        return 1;
      }
      best = std::min(best, Seconds(t0, t1));
    }
    Report("read into", best, bytes);
  }
  arus::features::DatasetReadOptions cols;
  cols.features = std::vector<std::string>{};
  for (size_t c = 0; c < std::min<size_t>(nf, 6); ++c) {
    cols.features->push_back("f" + std::to_string(c * nf / std::min<size_t>(nf, 6)));
  }
  cols.labels = std::vector<std::string>{"y1"};
  t0 = Clock::now();
  auto c = (*reader)->Read(cols);
  t1 = Clock::now();
  if (!c.ok()) return 1;
  Report("read cols", Seconds(t0, t1), double(rows) * 8 * (3 + cols.features->size()));

  arus::features::DatasetReadOptions range;
  range.from = ds.time[rows / 2];
  range.to = ds.time[rows / 2 + rows / 10];
  t0 = Clock::now();
  auto rr = (*reader)->Read(range);
  t1 = Clock::now();
  if (!rr.ok() || rr->rows() != rows / 10) return 1;
  Report("read rows", Seconds(t0, t1), double(rows / 10) * 8 * (1 + nf + 6) + rows * 8);

  const Dataset head = ds.Slice(0, std::min<size_t>(rows, 100000));
  const std::string csv = path + ".csv";
  t0 = Clock::now();
  s = arus::features::WriteDatasetCsv(csv, head);
  t1 = Clock::now();
  if (!s.ok()) return 1;
  Report("csv", Seconds(t0, t1), double(std::filesystem::file_size(csv)));
  std::remove(csv.c_str());
  std::remove(path.c_str());
  return 0;
}
