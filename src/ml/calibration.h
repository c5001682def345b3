// Internal to ml/: probability calibration of a classifier's K-class output, fitted on a held-out
// tail of the training window (FitModel purges it with PurgedHoldout) and applied after the
// learner (docs/ml.md, "Calibration").
//   none         probabilities pass through.
//   temperature  p'_c = exp(ln p_c / T) / sum_j exp(ln p_j / T), probabilities clipped to
//                [1e-12, 1] before ln; T minimises the mean log loss of the held-out rows
//                (golden-section search on ln T in [-4, 4]). T > 1 softens over-confident output.
//   isotonic     per class, a one-vs-rest isotonic (pool-adjacent-violators) fit of [y == c] on
//                p_c; a prediction interpolates linearly between the block means (constant beyond
//                the end blocks); the row is then renormalised to sum 1 (left uncalibrated if
//                every class maps to 0).
// Thread-safety: immutable after Fit / FromJson; Apply* may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arus::ml {

enum class CalibrationMethod : uint8_t { kNone, kTemperature, kIsotonic };
std::string_view CalibrationMethodName(CalibrationMethod method);  // "none", ...
Result<CalibrationMethod> ParseCalibrationMethod(std::string_view name);

class Calibrator {
 public:
  Calibrator() = default;  // none

  // `probs` holds rows * k uncalibrated probabilities, `labels` the class index (0..k-1) of each
  // row. InvalidArgument for k < 2, size mismatches, labels out of range or non-finite
  // probabilities; kNone needs no data.
  static Result<Calibrator> Fit(CalibrationMethod method, std::span<const double> probs,
                                std::span<const int> labels, int k);

  CalibrationMethod method() const { return method_; }
  int classes() const { return k_; }
  double temperature() const { return temperature_; }  // 1 unless kTemperature

  // One row of k probabilities, in place; no allocation.
  void ApplyRow(double* p) const;
  // `rows` consecutive rows of k probabilities, in place; same numbers as ApplyRow.
  void Apply(double* probs, size_t rows) const;
  // The isotonic map of class c before the row is renormalised (kIsotonic only).
  double IsotonicValue(int c, double p) const;

  nlohmann::json ToJson() const;
  // `k` is the model's class count (0 for regression, which only accepts "none").
  static Result<Calibrator> FromJson(const nlohmann::json& j, int k, const std::string& where);

 private:
  struct Knots {
    std::vector<double> x;  // block means of p_c, strictly increasing
    std::vector<double> y;  // block means of [y == c], non-decreasing
  };
  CalibrationMethod method_ = CalibrationMethod::kNone;
  int k_ = 0;
  double temperature_ = 1;
  std::vector<Knots> iso_;  // one per class
};

}  // namespace arus::ml
