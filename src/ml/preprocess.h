// Internal to ml/: the preprocessing step of a model pipeline, fitted on the training window only
// and applied unchanged to every later row (docs/ml.md, "Preprocessing"). Per column, in order:
//   1. impute      missing values (NaN, +-inf) -> the training median of the column (0 when the
//                  column has no finite training value);
//   2. clip        winsorise at median +- clip * 1.4826 * MAD (median and MAD of the finite
//                  training values; no clipping for a column whose MAD is 0);
//   3. standardize (x - mean) / sd, mean and population sd of the column after steps 1-2
//                  (finite values only; sd 0 -> 1).
// With impute off, missing values pass through untouched (clip and standardize leave NaN alone).
// Thread-safety: immutable after Fit / FromJson; Transform* may run concurrently.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "ml/model.h"

namespace arus::ml {

struct PreprocessOptions {
  bool impute = true;
  double clip = 0;  // 0: off
  bool standardize = false;
};

class Preprocessor {
 public:
  Preprocessor() = default;  // zero columns

  // Fits on every row of `x` (pass a view of the training window only). options.clip must be
  // finite and >= 0.
  static Preprocessor Fit(MatrixView x, const PreprocessOptions& options);

  size_t cols() const { return median_.size(); }
  // True when every step is off (no imputation, clipping or standardisation): Transform copies
  // its input unchanged, and Fit computes no statistics (median and MAD are left at 0).
  bool IsIdentity() const {
    return !options_.impute && !(options_.clip > 0) && !options_.standardize;
  }
  const PreprocessOptions& options() const { return options_; }

  // One row of cols() values; `in` and `out` may be the same array. No allocation.
  void TransformRow(const double* in, double* out) const;
  // Rows [begin, end) of `x` into `out` ((end - begin) * cols values). Same numbers as
  // TransformRow.
  void Transform(MatrixView x, size_t begin, size_t end, double* out) const;

  // Fitted state per column (for tests and docs): median and MAD of the finite training values,
  // the clipping bounds (-inf / +inf when off), and the standardisation mean / sd (0 / 1 when off).
  const std::vector<double>& median() const { return median_; }
  const std::vector<double>& mad() const { return mad_; }
  const std::vector<double>& lo() const { return lo_; }
  const std::vector<double>& hi() const { return hi_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& sd() const { return sd_; }

  nlohmann::json ToJson() const;
  // `where` names the file for error messages; cols is the model's feature count.
  static Result<Preprocessor> FromJson(const nlohmann::json& j, size_t cols,
                                       const std::string& where);

 private:
  PreprocessOptions options_;
  std::vector<double> median_, mad_, lo_, hi_, mean_, sd_;
};

}  // namespace arus::ml
