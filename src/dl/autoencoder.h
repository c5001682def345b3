// Anomaly detection with a window autoencoder (docs/anomaly.md). Trained on "normal" windows of
// the training rows, its reconstruction error flags market states unlike those it was fitted on;
// `arus anomaly` exposes the error as a dataset feature and as the "ae_anomaly" rule of the
// data-quality report.
//
// Model: each row is standardised with per-column mean / sd of the training rows; the window of
// the last L rows (L x C values, oldest first) is flattened and passed through an MLP
// D -> H (tanh) -> B (linear bottleneck) -> H (tanh) -> D, D = L * C. The error of a row is the
// mean squared difference between the window ending at it and its reconstruction. Trained with
// LibTorch (float64, Adam, early stopping on a later validation slice); scoring evaluates the
// same network in plain C++ (double), one window at a time, so that streaming equals batch bit
// for bit and scoring does not need torch. A row is an anomaly when its error exceeds the
// threshold, the `quantile` (nearest rank) of the errors of the training windows.
//
// Point in time: the error of row i reads rows i-L+1..i only; NaN for the first L-1 rows and for
// windows holding a non-finite value.
//
// Thread-safety: a fitted AnomalyDetector is immutable; Score may run from several threads. An
// AnomalyStream is single-threaded and must not outlive its detector. Fit sets torch's global
// thread count (options.threads). Ownership: detectors are held by std::unique_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ml/model.h"
#include "ml/registry.h"

namespace arus::dl {

// The manifest's `learner` of an anomaly detector in a model registry.
inline constexpr const char* kAutoencoderLearner = "autoencoder";

struct AnomalyOptions {
  int64_t window = 16;     // L, rows per window, 1..4096
  int64_t hidden = 32;     // H, 1..4096
  int64_t bottleneck = 4;  // B, 1..H and < L * C
  double learning_rate = 1e-3;
  double weight_decay = 0;
  int64_t batch_size = 64;
  int64_t max_epochs = 200;
  int64_t patience = 10;              // epochs without a better validation loss before stopping
  double validation_fraction = 0.2;   // last fraction of the normal windows, in (0, 0.5]
  double quantile = 0.99;             // threshold quantile of the training errors, in (0, 1)
  uint64_t seed = 42;
  int64_t threads = 1;                // torch intra-op threads while training
};

// The options as registry parameters (manifest.json "params") and back; InvalidArgument naming
// `origin` and the parameter for a missing, mistyped or out-of-range one.
ml::ParamMap AnomalyParams(const AnomalyOptions& o);
Result<AnomalyOptions> AnomalyOptionsFromParams(const ml::ParamMap& p, const std::string& origin);
// InvalidArgument naming the first option out of range (`cols`: feature count, 0 = unknown).
Status ValidateAnomalyOptions(const AnomalyOptions& o, size_t cols);

// What a fit did. Window counts refer to windows ending at a training row.
struct AnomalyFitInfo {
  std::vector<std::string> feature_names;
  AnomalyOptions options;
  size_t train_rows = 0;
  size_t excluded_rows = 0;          // training rows flagged by the exclusion mask
  size_t windows_incomplete = 0;     // first L-1 rows, or a non-finite value in the window
  size_t windows_excluded = 0;       // a flagged row in the window
  size_t windows_fit = 0;            // normal windows the network was fitted on
  size_t windows_purged = 0;         // overlapping the first validation window
  size_t windows_validation = 0;     // normal windows used for early stopping
  int64_t epochs = 0;                // epochs run
  int64_t best_epoch = 0;            // 1-based epoch whose weights were kept
  double fit_loss = 0;               // mean error of the fit windows at best_epoch (torch)
  double validation_loss_torch = 0;  // best mean validation error, computed by torch
  double validation_loss = 0;        // the same windows through the scoring forward pass
  size_t threshold_windows = 0;      // normal windows the threshold quantile was taken over
  double threshold = 0;
  double error_median = 0;  // of those windows
  double error_max = 0;
  std::vector<double> mean, sd;  // standardisation per column
};

class AnomalyStream;

class AnomalyDetector {
 public:
  // Fits on every row of `x` (rows in time order: pass the training rows only); `exclude`
  // (empty or x.rows values, non-zero = not normal) keeps flagged rows out of the statistics and
  // their windows out of training and of the threshold. InvalidArgument for no rows or columns,
  // names that do not match the columns, a window longer than the rows, options out of range, or
  // too few normal windows; Internal for a torch failure.
  static Result<std::unique_ptr<AnomalyDetector>> Fit(ml::MatrixView x,
                                                      std::vector<std::string> feature_names,
                                                      const AnomalyOptions& options,
                                                      std::span<const uint8_t> exclude = {});
  ~AnomalyDetector();
  AnomalyDetector(const AnomalyDetector&) = delete;
  AnomalyDetector& operator=(const AnomalyDetector&) = delete;

  const AnomalyFitInfo& info() const;
  size_t cols() const;
  size_t window() const;
  double threshold() const;

  // Error of every row of `x` (cols() columns, rows in time order) into `error` (x.rows
  // values); NaN before the first full window and for windows with a non-finite value.
  // InvalidArgument on a shape mismatch.
  Status Score(ml::MatrixView x, std::span<double> error) const;
  // 1 above the threshold, 0 at or below it, NaN for a NaN error.
  double Flag(double error) const;

  // model.json and autoencoder.pt (torch::save) into `dir` (created if missing).
  Status Save(const std::string& dir) const;
  // What Save wrote; ParseError / Corruption naming the file for missing, damaged or hostile
  // files (torch errors are caught and reported, never thrown).
  static Result<std::unique_ptr<AnomalyDetector>> Load(const std::string& dir);

  struct Impl;  // opaque: defined in autoencoder.cc (holds the torch network)

 private:
  friend class AnomalyStream;
  explicit AnomalyDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The live path: one row at a time through a ring of the last L standardised rows; returns the
// same numbers as AnomalyDetector::Score bit for bit (Score is a loop over it). No allocation
// after construction.
class AnomalyStream {
 public:
  explicit AnomalyStream(const AnomalyDetector& detector);
  // Pushes the next row (cols() values; a shorter span is InvalidArgument in Score, asserted
  // here) and returns its error (NaN until L rows were seen or while the window holds a
  // non-finite value).
  double Update(std::span<const double> row);
  bool IsReady() const { return seen_ >= window_; }
  size_t WarmupPeriod() const { return window_; }
  void Reset();

 private:
  const AnomalyDetector* detector_;
  size_t cols_, window_;
  size_t pos_ = 0;   // ring slot the next row goes to
  size_t seen_ = 0;  // rows pushed since the last Reset
  size_t bad_in_window_ = 0;
  std::vector<double> ring_;   // 2 * L rows: each row stored at slot and slot + L
  std::vector<uint8_t> bad_;   // per slot: the row holds a non-finite value
  std::vector<double> scratch_;
};

// Saves `detector` into a model registry (ModelRegistry::Save: ROOT/<id>/ with model.json,
// autoencoder.pt and manifest.json; learner "autoencoder", task "regression"). Fill the
// manifest's name, feature set, dataset, data range and created_at; returns the id.
Result<std::string> SaveAnomalyDetector(const AnomalyDetector& detector,
                                        const ml::ModelRegistry& registry,
                                        ml::ModelManifest manifest);
// Loads detector `id`: NotFound for an unknown id, FailedPrecondition when `feature_set_hash`
// is non-empty and differs from the manifest's (naming both) or when the model is not an
// autoencoder, Corruption when manifest and model disagree.
Result<std::unique_ptr<AnomalyDetector>> LoadAnomalyDetector(
    const ml::ModelRegistry& registry, const std::string& id,
    const std::string& feature_set_hash = "", ml::ModelManifest* manifest = nullptr);

}  // namespace arus::dl
