// Deep-learning benchmark (docs/dl.md, "Benchmarks"): training throughput and inference latency
// of the dl learners, on one core (torch threads = 1), against the same models in PyTorch.
//
//   train lstm         FitModel("lstm"): 2 layers, hidden 64, window L = 64, 30 features,
//                      batch 64, AdamW, gradient clipping, dropout 0.1, burn-in 32: windows/s
//                      (forward + backward + step, batch assembly from the row-major matrix
//                      included; no validation slice).
//   train transformer  FitModel("transformer"): d_model 64, 4 heads, ff 128, 2 layers, L = 64,
//                      30 features, batch 64: windows/s.
//   stream step        ModelStream::Step of the fitted models (preprocessing + one step):
//                      p50 / p99 per bar. The lstm carries (h, c): one step per bar (target
//                      p50 <= 100 us); windowed models recompute their window.
//   full window        Model::Predict over one window of 64 rows (the lstm from a zero state,
//                      i.e. 64 steps; windowed models: 64 windows): latency, and rows/s over a
//                      long run.
// With --pytorch SCRIPT (bench/dl_pytorch_compare.py) it runs the same workloads in PyTorch
// (/usr/bin/python3, torch.set_num_threads(1)) and prints the ratios.
//
// Usage: dl_bench [--rows N (20000)] [--epochs E (2)] [--pytorch bench/dl_pytorch_compare.py]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "dl/learners.h"
#include "bench_util.h"
#include "ml/model.h"

namespace {

using arus::ml::Matrix;
using arus::ml::MatrixView;
using arus::ml::ParamMap;
using arus::bench::Check;
using arus::bench::Clock;
using arus::bench::Seconds;
using arus::bench::ThreadCpuSeconds;

constexpr size_t kFeatures = 30;

struct Data {
  Matrix x;
  std::vector<double> y;
};

// 30 AR(1) features, label = sign of a noisy combination of lagged values (something to learn).
Data Make(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> norm(0, 1);
  Data d;
  d.x = Matrix(rows, kFeatures);
  for (size_t c = 0; c < kFeatures; ++c) {
    double v = 0;
    for (size_t r = 0; r < rows; ++r) {
      v = 0.9 * v + norm(rng);
      d.x.at(r, c) = v;
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    const double s = (r >= 3 ? d.x.at(r - 3, 0) : 0) - 0.5 * d.x.at(r, 1) + norm(rng);
    d.y.push_back(s > 0 ? 1 : -1);
  }
  return d;
}

std::vector<std::string> Names() {
  std::vector<std::string> n;
  for (size_t c = 0; c < kFeatures; ++c) n.push_back("f" + std::to_string(c));
  return n;
}

struct Fit {
  std::unique_ptr<arus::ml::Model> model;
  double windows_per_s = 0, cpu_windows_per_s = 0;
};

Fit Train(const std::string& learner, const Data& d, ParamMap p, size_t windows) {
  arus::ml::FitOptions o;
  o.params = std::move(p);
  o.feature_names = Names();
  o.seed = 1;
  arus::ml::TrainSet t{d.x.view(), d.y, {}, {}};
  const auto t0 = Clock::now();
  const double c0 = ThreadCpuSeconds();
  auto m = arus::ml::FitModel(learner, t, o);
  const double cpu = ThreadCpuSeconds() - c0;
  const double wall = Seconds(t0, Clock::now());
  Check(m.status(), learner.c_str());
  Fit f;
  f.model = std::move(m).value();
  f.windows_per_s = windows / wall;
  f.cpu_windows_per_s = windows / cpu;
  return f;
}

struct Latency {
  double p50_us = 0, p99_us = 0;
};

template <typename F>
Latency Measure(size_t calls, F&& f) {
  std::vector<double> us(calls);
  for (size_t i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    f(i);
    us[i] = Seconds(t0, Clock::now()) * 1e6;
  }
  std::sort(us.begin(), us.end());
  return {us[calls / 2], us[calls * 99 / 100]};
}

Latency StreamLatency(const arus::ml::Model& m, const Data& d, size_t steps) {
  auto s = m.NewStream();
  std::vector<double> out(m.info().outputs());
  const size_t rows = d.x.rows;
  for (size_t i = 0; i < 256; ++i) {  // warm up (and fill windowed rings)
    Check(s->Step(std::span<const double>(d.x.row(i % rows), kFeatures), out), "step");
  }
  return Measure(steps, [&](size_t i) {
    Check(s->Step(std::span<const double>(d.x.row(i % rows), kFeatures), out), "step");
  });
}

Latency WindowLatency(const arus::ml::Model& m, const Data& d, size_t calls) {
  std::vector<double> out(64 * m.info().outputs());
  return Measure(calls, [&](size_t i) {
    Check(m.Predict(MatrixView{d.x.row((i * 97) % (d.x.rows - 64)), 64, kFeatures}, out), "predict");
  });
}

double PredictRowsPerSecond(const arus::ml::Model& m, const Data& d, size_t rows) {
  rows = std::min(rows, d.x.rows);
  std::vector<double> out(rows * m.info().outputs());
  const auto t0 = Clock::now();
  Check(m.Predict(MatrixView{d.x.row(0), rows, kFeatures}, out), "predict");
  return rows / Seconds(t0, Clock::now());
}

nlohmann::json RunPyTorch(const std::string& script, size_t rows, size_t epochs) {
  const std::string cmd = "/usr/bin/python3 " + script + " --json --rows " +
                          std::to_string(rows) + " --epochs " + std::to_string(epochs);
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return nullptr;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  ::pclose(p);
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 20000, epochs = 2;
  std::string pytorch;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--epochs")) epochs = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--pytorch")) pytorch = argv[i + 1];
  }
  arus::dl::RegisterLearners();
  const Data d = Make(rows, 7);
  std::printf("dl_bench: %zu rows x %zu features, %zu epochs, 1 torch thread\n", rows, kFeatures,
              epochs);

  // LSTM: stateful windows of 64 rows, stride 32 (window - burn-in).
  ParamMap lstm{{"window", int64_t{64}},      {"hidden", int64_t{64}},
                {"layers", int64_t{2}},       {"batch_size", int64_t{64}},
                {"epochs", int64_t(epochs)},  {"validation_fraction", 0.0},
                {"lr_schedule", std::string("constant")}};
  const size_t lstm_windows = epochs * ((rows - 64) / 32 + 2);
  Fit l = Train("lstm", d, lstm, lstm_windows);
  // Transformer: one window per row, capped per epoch.
  const size_t tw = std::min<size_t>(rows, 4096);
  ParamMap tr{{"window", int64_t{64}},         {"d_model", int64_t{64}},
              {"heads", int64_t{4}},           {"ff", int64_t{128}},
              {"layers", int64_t{2}},          {"batch_size", int64_t{64}},
              {"epochs", int64_t(epochs)},     {"validation_fraction", 0.0},
              {"max_windows_per_epoch", int64_t(tw)}, {"lr_schedule", std::string("constant")}};
  Fit t = Train("transformer", d, tr, epochs * tw);
  ParamMap cnn{{"window", int64_t{64}}, {"epochs", int64_t{1}}, {"validation_fraction", 0.0},
               {"max_windows_per_epoch", int64_t{512}}};
  Fit c = Train("cnn", d, cnn, 512);
  ParamMap cl{{"window", int64_t{64}}, {"epochs", int64_t{1}}, {"validation_fraction", 0.0},
              {"max_windows_per_epoch", int64_t{512}}};
  Fit k = Train("cnn_lstm", d, cl, 512);

  std::printf("\ntraining throughput (wall; thread CPU in parentheses)\n");
  std::printf("  %-34s %9.0f windows/s  (%.0f)\n", "lstm 2x64, L=64, 30 features", l.windows_per_s,
              l.cpu_windows_per_s);
  std::printf("  %-34s %9.0f windows/s  (%.0f)\n", "transformer d64 h4 ff128 2 layers",
              t.windows_per_s, t.cpu_windows_per_s);
  std::printf("  %-34s %9.0f windows/s  (%.0f)\n", "cnn 2x32 k3, dense 64", c.windows_per_s,
              c.cpu_windows_per_s);
  std::printf("  %-34s %9.0f windows/s  (%.0f)\n", "cnn_lstm 2x32 k3, lstm 32", k.windows_per_s,
              k.cpu_windows_per_s);

  const Latency ls = StreamLatency(*l.model, d, 20000);
  const Latency ts = StreamLatency(*t.model, d, 2000);
  const Latency cs = StreamLatency(*c.model, d, 2000);
  const Latency ks = StreamLatency(*k.model, d, 2000);
  std::printf("\nstreaming, one bar (ModelStream::Step incl. preprocessing)\n");
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   (target p50 <= 100 us)\n", "lstm",
              ls.p50_us, ls.p99_us);
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us\n", "transformer (recomputes L=64)",
              ts.p50_us, ts.p99_us);
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us\n", "cnn (recomputes L=64)", cs.p50_us,
              cs.p99_us);
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us\n", "cnn_lstm (recomputes L=64)", ks.p50_us,
              ks.p99_us);

  const Latency lw = WindowLatency(*l.model, d, 2000);
  const Latency tw64 = WindowLatency(*t.model, d, 100);
  std::printf("\nfull window: Predict over 64 rows\n");
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   (64 steps from a zero state)\n", "lstm",
              lw.p50_us, lw.p99_us);
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   (64 windows)\n", "transformer",
              tw64.p50_us, tw64.p99_us);
  const double lrows = PredictRowsPerSecond(*l.model, d, 20000);
  const double trows = PredictRowsPerSecond(*t.model, d, 2000);
  std::printf("  batch Predict: lstm %.0f rows/s, transformer %.0f rows/s\n", lrows, trows);

  if (pytorch.empty()) return 0;
  const nlohmann::json py = RunPyTorch(pytorch, rows, epochs);
  if (!py.is_object()) {
    std::fprintf(stderr, "PyTorch comparison failed (is torch installed for /usr/bin/python3?)\n");
    return 1;
  }
  const double py_lstm = py["lstm_train_windows_per_s"], py_tr = py["transformer_train_windows_per_s"];
  const double py_step = py["lstm_step_p50_us"], py_lw = py["lstm_window_p50_us"];
  const double py_tw = py["transformer_window_p50_us"];
  std::printf("\nPyTorch %s (Python, 1 thread), same models\n",
              py["torch_version"].get<std::string>().c_str());
  std::printf("  %-34s %9.0f windows/s   arus / PyTorch = %.2f\n", "train lstm", py_lstm,
              l.windows_per_s / py_lstm);
  std::printf("  %-34s %9.0f windows/s   arus / PyTorch = %.2f\n", "train transformer", py_tr,
              t.windows_per_s / py_tr);
  std::printf("  %-34s p50 %8.1f us      PyTorch / arus = %.1f\n", "lstm stream step", py_step,
              py_step / ls.p50_us);
  std::printf("  %-34s p50 %8.1f us      PyTorch / arus = %.1f\n",
              "lstm full window (one output)", py_lw, py_lw / lw.p50_us);
  std::printf("  %-34s p50 %8.1f us      (arus computes 64 outputs: %.1f us)\n",
              "transformer window (one output)", py_tw, tw64.p50_us);
  std::printf("  %-34s p50 %8.1f us      PyTorch / arus = %.1f\n", "transformer one window",
              py_tw, py_tw / ts.p50_us);
  return 0;
}
