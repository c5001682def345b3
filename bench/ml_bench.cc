// ML benchmark: the cost arus adds around XGBoost, and the live single-row prediction latency.
//
// Part 1, overhead per fit (target: <= 10 % of XGBoost's own training time on 1 M x 50). A
// column-major dataset (features::Dataset layout) of 2 * rows rows x cols features with a planted
// signal; one walk-forward fold trains on the first `rows` rows and tests on the next `rows`.
//   xgboost train  XGBoosterUpdateOneIter x rounds (hist, depth 6, all cores) on a DMatrix built
//                  beforehand: XGBoost's own training time, the reference.
//   arus flow      WalkForwardFolds -> column-major to row-major copy of the training rows ->
//                  FitModel("xgboost") (preprocessing, input checks, DMatrix, the same training,
//                  model export and tree-predictor build) -> copy of the test rows ->
//                  Model::Predict of every test row through the tree predictor.
//   overhead       (arus flow - xgboost train) / xgboost train, and itemised: the DMatrix build
//                  and the model export / parse are timed on their own. The preprocessing of the
//                  xgboost defaults is the identity, which FitModel skips (no copy).
// Part 2, single-row prediction of a 100-tree depth-6 model on 50 features (target p50 <= 5 us):
// p50 / p99 over many calls of Model::PredictRow (preprocessing + tree predictor), of the bare
// TreeEnsemble, of XGBoost's in-place XGBoosterPredictFromDense on one row, and of XGBoost with a
// DMatrix per row. Also batch throughput of the tree predictor against XGBoost's.
//
// Usage: ml_bench [rows=1000000] [cols=50] [rounds=100] [threads=0 (all cores)]
#include <time.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/file.h"
#include "core/time.h"
#include "ml/model.h"
#include "ml/tree_predictor.h"
#include "validation/splits.h"

namespace {

using arus::UnixNanos;
using arus::ml::Matrix;
using arus::ml::MatrixView;
using arus::bench::Check;
using arus::bench::Clock;
using arus::bench::Seconds;
using arus::bench::ThreadCpuSeconds;

void CheckXgb(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", what, XGBGetLastError());
    std::exit(1);
  }
}

std::string Interface(const void* p, size_t rows, size_t cols) {
  return "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(p)) + ",true],\"shape\":[" +
         std::to_string(rows) + "," + std::to_string(cols) + "],\"typestr\":\"<f8\",\"version\":3}";
}

// A dataset laid out like features::Dataset: [column][row], decision times 5 minutes apart,
// labels that end 12 bars later. Class 1 iff x0 * x1 + 0.5 sin(2 x2) + 0.3 x3 + noise > 0.
struct ColumnData {
  std::vector<std::vector<double>> features;
  std::vector<double> label;
  std::vector<UnixNanos> time, label_end;
};

ColumnData MakeData(size_t rows, size_t cols) {
  ColumnData d;
  d.features.assign(cols, std::vector<double>(rows));
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  for (size_t c = 0; c < cols; ++c) {
    for (double& v : d.features[c]) v = unif(rng) < 0.01 ? NAN : normal(rng);
  }
  d.label.resize(rows);
  d.time.resize(rows);
  d.label_end.resize(rows);
  const int64_t t0 = 1704153600LL * arus::kNanosPerSecond;
  const int64_t bar = 5 * arus::kNanosPerMinute;
  for (size_t r = 0; r < rows; ++r) {
    auto v = [&](size_t c) { return std::isnan(d.features[c][r]) ? 0.0 : d.features[c][r]; };
    const double s = v(0) * v(1) + 0.5 * std::sin(2 * v(2)) + 0.3 * v(3) + 0.5 * normal(rng);
    d.label[r] = s > 0 ? 1 : 0;
    d.time[r] = UnixNanos(t0 + static_cast<int64_t>(r) * bar);
    d.label_end[r] = UnixNanos(t0 + static_cast<int64_t>(r + 12) * bar);
  }
  return d;
}

// Column-major rows (given by index) -> row-major matrix, cache-blocked.
Matrix Gather(const ColumnData& d, const std::vector<size_t>& rows) {
  const size_t cols = d.features.size();
  Matrix m(rows.size(), cols);
  constexpr size_t kBlock = 256;
  for (size_t r0 = 0; r0 < rows.size(); r0 += kBlock) {
    const size_t r1 = std::min(rows.size(), r0 + kBlock);
    for (size_t c = 0; c < cols; ++c) {
      const double* col = d.features[c].data();
      for (size_t r = r0; r < r1; ++r) m.data[r * cols + c] = col[rows[r]];
    }
  }
  return m;
}

arus::ml::ParamMap BoostParams(int threads, int64_t rounds) {
  return {{"n_estimators", rounds},
          {"max_depth", int64_t{6}},
          {"eta", 0.1},
          {"subsample", 0.8},
          {"colsample_bytree", 0.8},
          {"nthread", int64_t{threads}},
          {"calibration", std::string("none")}};
}

// The machine is shared: print the load so that figures can be judged.
void PrintLoad(const char* when) {
  double l1 = 0, l5 = 0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf", &l1, &l5) != 2) l1 = l5 = -1;
    std::fclose(f);
  }
  std::printf("  [load average %s: %.2f (1 min), %.2f (5 min)]\n", when, l1, l5);
}

struct Percentiles {
  double p50, p99;
};
Percentiles Summarise(std::vector<double>& ns) {
  std::sort(ns.begin(), ns.end());
  return {ns[ns.size() / 2], ns[ns.size() * 99 / 100]};
}

template <typename F>
Percentiles TimeCalls(size_t calls, F&& f) {
  for (size_t i = 0; i < std::min<size_t>(calls, 1000); ++i) f(i);  // warm-up
  std::vector<double> ns(calls);
  for (size_t i = 0; i < calls; ++i) {
    const auto a = Clock::now();
    f(i);
    const auto b = Clock::now();
    ns[i] = std::chrono::duration<double, std::nano>(b - a).count();
  }
  return Summarise(ns);
}

void PartOverhead(size_t rows, size_t cols, int64_t rounds, int threads) {
  std::printf(
      "== Part 1: overhead around XGBoost (%zu x %zu train, %zu test rows, %lld rounds, "
      "depth 6, %s threads)\n",
      rows, cols, rows, static_cast<long long>(rounds),
      threads == 0 ? "all" : std::to_string(threads).c_str());
  ColumnData d = MakeData(2 * rows, cols);
  std::vector<std::string> names;
  for (size_t c = 0; c < cols; ++c) names.push_back("f" + std::to_string(c));
  PrintLoad("before");

  // The arus flow.
  const auto t0 = Clock::now();
  arus::validation::WalkForwardOptions wf;
  wf.train_rows = rows;
  wf.test_rows = rows;
  wf.max_folds = 1;
  auto folds = arus::validation::WalkForwardFolds(d.time, d.label_end, wf);
  Check(folds.status(), "folds");
  const arus::validation::Fold& fold = folds->front();
  const auto t1 = Clock::now();
  Matrix xtrain = Gather(d, fold.train);
  std::vector<double> ytrain(fold.train.size());
  std::vector<UnixNanos> ttrain(fold.train.size()), etrain(fold.train.size());
  for (size_t i = 0; i < fold.train.size(); ++i) {
    ytrain[i] = d.label[fold.train[i]];
    ttrain[i] = d.time[fold.train[i]];
    etrain[i] = d.label_end[fold.train[i]];
  }
  const auto t2 = Clock::now();
  arus::ml::FitOptions fo{arus::ml::Task::kClassification, BoostParams(threads, rounds), names, 7};
  auto model =
      arus::ml::FitModel("xgboost", arus::ml::TrainSet{xtrain.view(), ytrain, ttrain, etrain}, fo);
  Check(model.status(), "fit");
  const auto t3 = Clock::now();
  std::vector<size_t> test_rows;
  for (size_t r = fold.test_begin; r < fold.test_end; ++r) test_rows.push_back(r);
  Matrix xtest = Gather(d, test_rows);
  const auto t4 = Clock::now();
  std::vector<double> prob(xtest.rows * 2);
  Check((*model)->Predict(xtest.view(), prob), "predict");
  const auto t5 = Clock::now();
  size_t hit = 0;
  for (size_t i = 0; i < test_rows.size(); ++i)
    hit += (prob[2 * i + 1] > 0.5) == (d.label[test_rows[i]] > 0.5);

  // XGBoost alone on the same rows and parameters, DMatrix prepared beforehand.
  XGBSetGlobalConfig("{\"verbosity\":0}");
  const auto x0 = Clock::now();
  DMatrixHandle dm = nullptr;
  const std::string dm_config = "{\"missing\":NaN,\"nthread\":" + std::to_string(threads) + "}";
  CheckXgb(XGDMatrixCreateFromDense(Interface(xtrain.data.data(), xtrain.rows, cols).c_str(),
                                    dm_config.c_str(), &dm),
           "dmatrix");
  std::vector<float> label(ytrain.begin(), ytrain.end());
  CheckXgb(XGDMatrixSetFloatInfo(dm, "label", label.data(), label.size()), "label");
  const auto x1 = Clock::now();
  BoosterHandle b = nullptr;
  CheckXgb(XGBoosterCreate(&dm, 1, &b), "booster");
  const std::pair<const char*, std::string> params[] = {
      {"tree_method", "hist"}, {"objective", "binary:logistic"},
      {"max_depth", "6"},      {"eta", "0.1"},
      {"subsample", "0.8"},    {"colsample_bytree", "0.8"},
      {"seed", "7"},           {"nthread", std::to_string(threads)}};
  for (const auto& [k, v] : params) {
    if (k == std::string("nthread") && threads == 0) continue;
    CheckXgb(XGBoosterSetParam(b, k, v.c_str()), k);
  }
  const auto x2 = Clock::now();
  for (int64_t i = 0; i < rounds; ++i) CheckXgb(XGBoosterUpdateOneIter(b, int(i), dm), "train");
  const auto x3 = Clock::now();
  bst_ulong len = 0;
  const char* bytes = nullptr;
  CheckXgb(XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &len, &bytes), "save");
  auto ensemble = arus::ml::TreeEnsemble::FromXgboostUbj(std::string_view(bytes, len), "bench");
  Check(ensemble.status(), "parse");
  const auto x4 = Clock::now();
  // XGBoost's own batch prediction of the test rows, for comparison.
  DMatrixHandle dtest = nullptr;
  CheckXgb(XGDMatrixCreateFromDense(Interface(xtest.data.data(), xtest.rows, cols).c_str(),
                                    dm_config.c_str(), &dtest),
           "dmatrix test");
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* xgb_pred = nullptr;
  const auto x5 = Clock::now();
  CheckXgb(XGBoosterPredictFromDMatrix(
               b, dtest,
               "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
               "\"strict_shape\":false}",
               &shape, &dim, &xgb_pred),
           "predict");
  const auto x6 = Clock::now();
  XGDMatrixFree(dtest);
  XGBoosterFree(b);
  XGDMatrixFree(dm);
  PrintLoad("after");
  const double folds_s = Seconds(t0, t1), gather_s = Seconds(t1, t2), fit_s = Seconds(t2, t3),
               gather_test_s = Seconds(t3, t4), predict_s = Seconds(t4, t5);
  const double arus_total = Seconds(t0, t5);
  const double dmatrix_s = Seconds(x0, x1), train_s = Seconds(x2, x3), export_s = Seconds(x3, x4);
  std::printf("  walk-forward folds            %8.3f s  (%zu train rows after purging %zu)\n",
              folds_s, fold.train.size(), fold.purged);
  std::printf("  train rows to row-major       %8.3f s\n", gather_s);
  std::printf("  FitModel (incl. training)     %8.3f s\n", fit_s);
  std::printf("  test rows to row-major        %8.3f s\n", gather_test_s);
  std::printf(
      "  Model::Predict %zu rows   %8.3f s  (%.2f M rows/s, nthread threads; accuracy %.3f)\n",
      xtest.rows, predict_s, xtest.rows / predict_s / 1e6,
      static_cast<double>(hit) / test_rows.size());
  std::printf("  arus flow total               %8.3f s\n", arus_total);
  std::printf("  -- XGBoost alone --\n");
  std::printf("  DMatrix from dense f8         %8.3f s  (inside FitModel too)\n", dmatrix_s);
  std::printf("  xgboost train (reference)     %8.3f s\n", train_s);
  std::printf("  model export + tree build     %8.3f s  (inside FitModel too)\n", export_s);
  std::printf("  XGBoost PredictFromDMatrix    %8.3f s  (%.2f M rows/s, its threads)\n",
              Seconds(x5, x6), xtest.rows / Seconds(x5, x6) / 1e6);
  const double overhead = (arus_total - train_s) / train_s;
  const double itemised = folds_s + gather_s + dmatrix_s + export_s + gather_test_s + predict_s;
  std::printf("  overhead = (arus flow - xgboost train) / xgboost train = %.1f %%\n",
              100 * overhead);
  std::printf(
      "  itemised (folds + copies + DMatrix + export + predict) / xgboost train = %.1f %%"
      " (FitModel - train - DMatrix - export = %.3f s of checks; noise when negative)\n",
      100 * itemised / train_s, fit_s - train_s - dmatrix_s - export_s);
  // In `arus train` the column-major dataset is transposed once per experiment (PrepareData) and
  // contiguous training / test windows are views of it, so what a fit adds is the DMatrix, the
  // export and the predictions.
  std::printf(
      "  per fit inside arus train (DMatrix + export + predict; rows transposed once per "
      "experiment) / xgboost train = %.1f %%\n",
      100 * (dmatrix_s + export_s + predict_s) / train_s);
}

void PartLatency(size_t cols, int threads) {
  std::printf("\n== Part 2: single-row prediction, 100 trees, depth 6, %zu features\n", cols);
  PrintLoad("now");
  const size_t rows = 200000;
  ColumnData d = MakeData(rows, cols);
  std::vector<size_t> all(rows);
  for (size_t i = 0; i < rows; ++i) all[i] = i;
  Matrix x = Gather(d, all);
  std::vector<std::string> names;
  for (size_t c = 0; c < cols; ++c) names.push_back("f" + std::to_string(c));
  arus::ml::FitOptions fo{arus::ml::Task::kClassification, BoostParams(threads, 100), names, 7};
  auto model = arus::ml::FitModel("xgboost", arus::ml::TrainSet{x.view(), d.label, {}, {}}, fo);
  Check(model.status(), "fit");
  const std::string dir = (std::filesystem::temp_directory_path() / "arus_ml_bench_model").string();
  Check((*model)->Save(dir), "save");
  auto ubj = arus::ReadFile(dir + "/xgboost.ubj");
  Check(ubj.status(), "read");
  auto ensemble = arus::ml::TreeEnsemble::FromXgboostUbj(*ubj, "bench");
  Check(ensemble.status(), "parse");
  std::printf("  model: %zu trees, %zu nodes (%.0f KiB of nodes)\n", ensemble->num_trees(),
              ensemble->num_nodes(), ensemble->num_nodes() * 16 / 1024.0);

  const size_t calls = 200000;
  const arus::ml::Model& m = **model;
  double out[2];
  double sink = 0;
  Percentiles model_row = TimeCalls(calls, [&](size_t i) {
    Check(m.PredictRow(std::span<const double>(x.row(i % rows), cols), out), "row");
    sink += out[1];
  });
  Percentiles bare = TimeCalls(calls, [&](size_t i) {
    ensemble->PredictRow(x.row(i % rows), out);
    sink += out[0];
  });

  BoosterHandle b = nullptr;
  CheckXgb(XGBoosterCreate(nullptr, 0, &b), "booster");
  CheckXgb(XGBoosterLoadModel(b, (dir + "/xgboost.ubj").c_str()), "load");
  CheckXgb(XGBoosterSetParam(b, "nthread", "1"), "nthread");
  const char* cfg =
      "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* res = nullptr;
  // The array interface text is part of the per-row cost of the in-place API.
  Percentiles inplace = TimeCalls(calls / 4, [&](size_t i) {
    CheckXgb(XGBoosterPredictFromDense(b, Interface(x.row(i % rows), 1, cols).c_str(), cfg, nullptr,
                                       &shape, &dim, &res),
             "inplace");
    sink += res[0];
  });
  std::vector<float> rowf(cols);
  Percentiles per_dmatrix = TimeCalls(calls / 20, [&](size_t i) {
    for (size_t c = 0; c < cols; ++c) rowf[c] = static_cast<float>(x.row(i % rows)[c]);
    DMatrixHandle dm = nullptr;
    CheckXgb(XGDMatrixCreateFromMat(rowf.data(), 1, cols, NAN, &dm), "dmatrix");
    CheckXgb(XGBoosterPredictFromDMatrix(
                 b, dm,
                 "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                 "\"strict_shape\":false}",
                 &shape, &dim, &res),
             "predict");
    sink += res[0];
    XGDMatrixFree(dm);
  });
  std::printf("  %-44s p50 %8.2f us   p99 %8.2f us\n", "Model::PredictRow (arus live path)",
              model_row.p50 / 1e3, model_row.p99 / 1e3);
  std::printf("  %-44s p50 %8.2f us   p99 %8.2f us\n", "TreeEnsemble::PredictRow (bare)",
              bare.p50 / 1e3, bare.p99 / 1e3);
  std::printf("  %-44s p50 %8.2f us   p99 %8.2f us\n", "XGBoost PredictFromDense, 1 row, 1 thread",
              inplace.p50 / 1e3, inplace.p99 / 1e3);
  std::printf("  %-44s p50 %8.2f us   p99 %8.2f us\n", "XGBoost DMatrix per row + predict",
              per_dmatrix.p50 / 1e3, per_dmatrix.p99 / 1e3);

  // Batch throughput on the same model (1 thread for ours).
  std::vector<double> prob(rows * 2);
  const auto a = Clock::now();
  Check(m.Predict(x.view(), prob), "batch");
  const auto bt = Clock::now();
  std::printf("  batch Model::Predict %zu rows: %.3f s (%.2f M rows/s)\n", rows, Seconds(a, bt),
              rows / Seconds(a, bt) / 1e6);
  std::vector<float> margin(rows);
  for (int t : {1, 2}) {
    double best = 1e9, best_cpu = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      const auto c0 = Clock::now();
      const double cpu0 = ThreadCpuSeconds();
      ensemble->MarginBatch(x.view(), margin.data(), t);
      best_cpu = std::min(best_cpu, ThreadCpuSeconds() - cpu0);
      best = std::min(best, Seconds(c0, Clock::now()));
    }
    std::printf("  TreeEnsemble::MarginBatch, %d thread(s): %.3f s (%.2f M rows/s, %.0f ns/row)", t,
                best, rows / best / 1e6, best / rows * 1e9);
    if (t == 1) std::printf(", CPU %.0f ns/row", best_cpu / rows * 1e9);
    std::printf("\n");
  }
  XGBoosterFree(b);
  std::filesystem::remove_all(dir);
  if (sink == 12345.678) std::printf(" ");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t cols = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 50;
  const int64_t rounds = argc > 3 ? std::strtoll(argv[3], nullptr, 10) : 100;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  std::printf("ml_bench: %u hardware threads\n", std::thread::hardware_concurrency());
  PartLatency(cols, threads);
  if (rows > 0) PartOverhead(rows, cols, rounds, threads);
  return 0;
}
