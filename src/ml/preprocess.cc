#include "ml/preprocess.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "ml/json_util.h"

namespace arus::ml {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// MAD -> standard deviation for normal data.
constexpr double kMadScale = 1.4826;

// Median of `v` (reordered); 0 when empty. Even counts average the two middle values.
double MedianOf(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + mid);
  return 0.5 * lower + 0.5 * upper;
}

}  // namespace

Preprocessor Preprocessor::Fit(MatrixView x, const PreprocessOptions& options) {
  Preprocessor p;
  p.options_ = options;
  const size_t cols = x.cols;
  p.median_.assign(cols, 0);
  p.mad_.assign(cols, 0);
  p.lo_.assign(cols, -kInf);
  p.hi_.assign(cols, kInf);
  p.mean_.assign(cols, 0);
  p.sd_.assign(cols, 1);
  if (p.IsIdentity()) return p;
  std::vector<double> vals;
  vals.reserve(x.rows);
  for (size_t c = 0; c < cols; ++c) {
    vals.clear();
    for (size_t r = 0; r < x.rows; ++r) {
      const double v = x.row(r)[c];
      if (std::isfinite(v)) vals.push_back(v);
    }
    const double med = MedianOf(vals);
    for (double& v : vals) v = std::fabs(v - med);
    const double mad = MedianOf(vals);
    p.median_[c] = med;
    p.mad_[c] = mad;
    if (options.clip > 0 && mad > 0) {
      const double half = options.clip * kMadScale * mad;
      p.lo_[c] = med - half;
      p.hi_[c] = med + half;
    }
  }
  if (options.standardize) {
    // Statistics of the values after imputation and clipping, as Transform produces them.
    std::vector<double> sum(cols, 0), count(cols, 0);
    auto value = [&p](double v, size_t c) {
      if (p.options_.impute && !std::isfinite(v)) v = p.median_[c];
      if (!std::isnan(v)) v = std::min(std::max(v, p.lo_[c]), p.hi_[c]);
      return v;
    };
    for (size_t r = 0; r < x.rows; ++r) {
      const double* row = x.row(r);
      for (size_t c = 0; c < cols; ++c) {
        const double v = value(row[c], c);
        if (std::isfinite(v)) {
          sum[c] += v;
          count[c] += 1;
        }
      }
    }
    std::vector<double> ss(cols, 0);
    for (size_t c = 0; c < cols; ++c) p.mean_[c] = count[c] > 0 ? sum[c] / count[c] : 0;
    for (size_t r = 0; r < x.rows; ++r) {
      const double* row = x.row(r);
      for (size_t c = 0; c < cols; ++c) {
        const double v = value(row[c], c);
        if (std::isfinite(v)) ss[c] += (v - p.mean_[c]) * (v - p.mean_[c]);
      }
    }
    for (size_t c = 0; c < cols; ++c) {
      const double sd = count[c] > 0 ? std::sqrt(ss[c] / count[c]) : 0;
      if (!std::isfinite(p.mean_[c]) || !std::isfinite(sd) || !(sd > 0)) {
        p.sd_[c] = 1;
        if (!std::isfinite(p.mean_[c])) p.mean_[c] = 0;
      } else {
        p.sd_[c] = sd;
      }
    }
  }
  return p;
}

void Preprocessor::TransformRow(const double* in, double* out) const {
  const size_t cols = median_.size();
  const bool impute = options_.impute;
  const bool standardize = options_.standardize;
  for (size_t c = 0; c < cols; ++c) {
    double v = in[c];
    if (impute && !std::isfinite(v)) v = median_[c];
    if (!std::isnan(v)) v = std::min(std::max(v, lo_[c]), hi_[c]);
    if (standardize) v = (v - mean_[c]) / sd_[c];
    out[c] = v;
  }
}

void Preprocessor::Transform(MatrixView x, size_t begin, size_t end, double* out) const {
  const size_t cols = median_.size();
  for (size_t r = begin; r < end; ++r) TransformRow(x.row(r), out + (r - begin) * cols);
}

nlohmann::json Preprocessor::ToJson() const {
  return nlohmann::json{
      {"impute", options_.impute},           {"clip", JsonFromDouble(options_.clip)},
      {"standardize", options_.standardize}, {"median", JsonFromDoubles(median_)},
      {"mad", JsonFromDoubles(mad_)},        {"lo", JsonFromDoubles(lo_)},
      {"hi", JsonFromDoubles(hi_)},          {"mean", JsonFromDoubles(mean_)},
      {"sd", JsonFromDoubles(sd_)}};
}

Result<Preprocessor> Preprocessor::FromJson(const nlohmann::json& j, size_t cols,
                                            const std::string& where) {
  auto bad = [&where](const std::string& field, const std::string& what) {
    return ParseError(where, 0, field.empty() ? "preprocess" : "preprocess." + field, what);
  };
  if (!j.is_object()) return bad("", "not an object");
  Preprocessor p;
  for (const char* key : {"impute", "standardize"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_boolean()) return bad(key, "missing or not true/false");
    (key[0] == 'i' ? p.options_.impute : p.options_.standardize) = it->get<bool>();
  }
  auto clip = j.find("clip");
  if (clip == j.end() || !DoubleFromJson(*clip, &p.options_.clip) ||
      !std::isfinite(p.options_.clip) || p.options_.clip < 0) {
    return bad("clip", "missing or not a finite number >= 0");
  }
  struct Field {
    const char* name;
    std::vector<double>* v;
  };
  for (const Field& f : {Field{"median", &p.median_}, Field{"mad", &p.mad_}, Field{"lo", &p.lo_},
                         Field{"hi", &p.hi_}, Field{"mean", &p.mean_}, Field{"sd", &p.sd_}}) {
    auto it = j.find(f.name);
    if (it == j.end() || !DoublesFromJson(*it, cols, f.v)) {
      return bad(f.name, "missing or not an array of " + std::to_string(cols) + " numbers");
    }
  }
  for (size_t c = 0; c < cols; ++c) {
    if (!std::isfinite(p.median_[c]) || !std::isfinite(p.mean_[c]) || !std::isfinite(p.sd_[c]) ||
        !(p.sd_[c] > 0) || std::isnan(p.lo_[c]) || std::isnan(p.hi_[c]) ||
        !(p.lo_[c] <= p.hi_[c])) {
      return Corruption(where + ": field 'preprocess': inconsistent state for column " +
                        std::to_string(c));
    }
  }
  return p;
}

}  // namespace arus::ml
