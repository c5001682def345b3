#include "ml/calibration.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "ml/json_util.h"

namespace arus::ml {

namespace {

constexpr double kMinProb = 1e-12;
constexpr double kLnTMin = -4, kLnTMax = 4;
constexpr int kGoldenIterations = 90;  // bracket 8 * 0.618^90 ~ 1e-18: converged to rounding

double LnClipped(double p) { return std::log(std::min(std::max(p, kMinProb), 1.0)); }

// Mean log loss of softmax(beta * lnp) against the labels.
double TemperatureLoss(const std::vector<double>& lnp, std::span<const int> labels, int k,
                       double beta) {
  double total = 0;
  const size_t rows = labels.size();
  for (size_t r = 0; r < rows; ++r) {
    const double* z = lnp.data() + r * k;
    double mx = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c) mx = std::max(mx, beta * z[c]);
    double s = 0;
    for (int c = 0; c < k; ++c) s += std::exp(beta * z[c] - mx);
    total += mx + std::log(s) - beta * z[labels[r]];
  }
  return total / static_cast<double>(rows);
}

// Weighted pool-adjacent-violators on points sorted by x; equal x are pooled first.
void FitIsotonic(std::vector<std::pair<double, double>>& pts, std::vector<double>* kx,
                 std::vector<double>* ky) {
  std::sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  struct Block {
    double w, sx, sy;
    double y() const { return sy / w; }
  };
  std::vector<Block> blocks;
  for (size_t i = 0; i < pts.size();) {
    Block b{0, 0, 0};
    const double x = pts[i].first;
    for (; i < pts.size() && pts[i].first == x; ++i) {
      b.w += 1;
      b.sx += pts[i].first;
      b.sy += pts[i].second;
    }
    blocks.push_back(b);
    // Merge while the previous block is not below this one (result: strictly increasing).
    while (blocks.size() >= 2 && blocks[blocks.size() - 2].y() >= blocks.back().y()) {
      Block last = blocks.back();
      blocks.pop_back();
      blocks.back().w += last.w;
      blocks.back().sx += last.sx;
      blocks.back().sy += last.sy;
    }
  }
  kx->clear();
  ky->clear();
  for (const Block& b : blocks) {
    kx->push_back(b.sx / b.w);
    ky->push_back(b.y());
  }
}

}  // namespace

std::string_view CalibrationMethodName(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kNone:
      return "none";
    case CalibrationMethod::kTemperature:
      return "temperature";
    case CalibrationMethod::kIsotonic:
      return "isotonic";
  }
  return "none";
}

Result<CalibrationMethod> ParseCalibrationMethod(std::string_view name) {
  if (name == "none") return CalibrationMethod::kNone;
  if (name == "temperature") return CalibrationMethod::kTemperature;
  if (name == "isotonic") return CalibrationMethod::kIsotonic;
  return InvalidArgument("unknown calibration '" + std::string(name) +
                         "' (accepted: none, temperature, isotonic)");
}

Result<Calibrator> Calibrator::Fit(CalibrationMethod method, std::span<const double> probs,
                                   std::span<const int> labels, int k) {
  Calibrator cal;
  cal.method_ = method;
  cal.k_ = k;
  if (method == CalibrationMethod::kNone) return cal;
  if (k < 2) return InvalidArgument("calibration needs at least 2 classes");
  const size_t rows = labels.size();
  if (rows == 0 || probs.size() != rows * static_cast<size_t>(k)) {
    return InvalidArgument("calibration: " + std::to_string(probs.size()) + " probabilities for " +
                           std::to_string(rows) + " rows of " + std::to_string(k) + " classes");
  }
  for (int l : labels) {
    if (l < 0 || l >= k) return InvalidArgument("calibration: class index out of range");
  }
  for (double p : probs) {
    if (!std::isfinite(p)) return InvalidArgument("calibration: non-finite probability");
  }
  if (method == CalibrationMethod::kTemperature) {
    std::vector<double> lnp(probs.size());
    for (size_t i = 0; i < probs.size(); ++i) lnp[i] = LnClipped(probs[i]);
    // Log loss is convex in beta = 1/T, hence unimodal in ln T: golden-section search.
    const double g = (std::sqrt(5.0) - 1) / 2;
    double a = kLnTMin, b = kLnTMax;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = TemperatureLoss(lnp, labels, k, std::exp(-c));
    double fd = TemperatureLoss(lnp, labels, k, std::exp(-d));
    for (int it = 0; it < kGoldenIterations; ++it) {
      if (fc <= fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - g * (b - a);
        fc = TemperatureLoss(lnp, labels, k, std::exp(-c));
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + g * (b - a);
        fd = TemperatureLoss(lnp, labels, k, std::exp(-d));
      }
    }
    cal.temperature_ = std::exp(0.5 * (a + b));
    return cal;
  }
  cal.iso_.resize(k);
  std::vector<std::pair<double, double>> pts(rows);
  for (int c = 0; c < k; ++c) {
    for (size_t r = 0; r < rows; ++r) {
      pts[r] = {probs[r * k + c], labels[r] == c ? 1.0 : 0.0};
    }
    FitIsotonic(pts, &cal.iso_[c].x, &cal.iso_[c].y);
  }
  return cal;
}

double Calibrator::IsotonicValue(int c, double p) const {
  if (c < 0 || static_cast<size_t>(c) >= iso_.size() || std::isnan(p)) return p;
  const std::vector<double>& x = iso_[c].x;
  const std::vector<double>& y = iso_[c].y;
  if (p <= x.front()) return y.front();
  if (p >= x.back()) return y.back();
  const size_t i = std::upper_bound(x.begin(), x.end(), p) - x.begin();  // 1..n-1
  const double t = (p - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

void Calibrator::ApplyRow(double* p) const {
  const int k = k_;
  switch (method_) {
    case CalibrationMethod::kNone:
      return;
    case CalibrationMethod::kTemperature: {
      double mx = -std::numeric_limits<double>::infinity();
      for (int c = 0; c < k; ++c) mx = std::max(mx, LnClipped(p[c]) / temperature_);
      double s = 0;
      for (int c = 0; c < k; ++c) {
        p[c] = std::exp(LnClipped(p[c]) / temperature_ - mx);
        s += p[c];
      }
      for (int c = 0; c < k; ++c) p[c] /= s;
      return;
    }
    case CalibrationMethod::kIsotonic: {
      // Two passes instead of a scratch row: the map is recomputed, bit-identical.
      double s = 0;
      for (int c = 0; c < k; ++c) s += IsotonicValue(c, p[c]);
      if (!(s > 0) || !std::isfinite(s)) return;
      for (int c = 0; c < k; ++c) p[c] = IsotonicValue(c, p[c]) / s;
      return;
    }
  }
}

void Calibrator::Apply(double* probs, size_t rows) const {
  if (method_ == CalibrationMethod::kNone) return;
  for (size_t r = 0; r < rows; ++r) ApplyRow(probs + r * k_);
}

nlohmann::json Calibrator::ToJson() const {
  nlohmann::json j{{"method", std::string(CalibrationMethodName(method_))}};
  if (method_ == CalibrationMethod::kTemperature) j["temperature"] = JsonFromDouble(temperature_);
  if (method_ == CalibrationMethod::kIsotonic) {
    nlohmann::json per = nlohmann::json::array();
    for (const Knots& kn : iso_) {
      per.push_back(nlohmann::json{{"x", JsonFromDoubles(kn.x)}, {"y", JsonFromDoubles(kn.y)}});
    }
    j["isotonic"] = std::move(per);
  }
  return j;
}

Result<Calibrator> Calibrator::FromJson(const nlohmann::json& j, int k, const std::string& where) {
  auto bad = [&where](const std::string& field, const std::string& what) {
    return ParseError(where, 0, field.empty() ? "calibration" : "calibration." + field, what);
  };
  if (!j.is_object()) return bad("", "not an object");
  auto m = j.find("method");
  if (m == j.end() || !m->is_string()) return bad("method", "missing or not a string");
  auto method = ParseCalibrationMethod(m->get<std::string>());
  if (!method.ok()) return bad("method", method.status().message());
  Calibrator cal;
  cal.method_ = *method;
  cal.k_ = k;
  if (cal.method_ == CalibrationMethod::kNone) return cal;
  if (k < 2) return bad("method", "calibration needs a classification model");
  if (cal.method_ == CalibrationMethod::kTemperature) {
    auto t = j.find("temperature");
    if (t == j.end() || !DoubleFromJson(*t, &cal.temperature_) ||
        !std::isfinite(cal.temperature_) || !(cal.temperature_ > 0)) {
      return bad("temperature", "missing or not a finite number > 0");
    }
    return cal;
  }
  auto iso = j.find("isotonic");
  if (iso == j.end() || !iso->is_array() || iso->size() != static_cast<size_t>(k)) {
    return bad("isotonic", "missing or not an array of " + std::to_string(k) + " class maps");
  }
  cal.iso_.resize(k);
  for (int c = 0; c < k; ++c) {
    const nlohmann::json& e = (*iso)[c];
    const std::string field = "isotonic[" + std::to_string(c) + "]";
    Knots& kn = cal.iso_[c];
    if (!e.is_object() || !e.contains("x") || !e.contains("y") ||
        !DoublesFromJson(e["x"], SIZE_MAX, &kn.x) || !DoublesFromJson(e["y"], kn.x.size(), &kn.y) ||
        kn.x.empty()) {
      return bad(field, "needs non-empty number arrays 'x' and 'y' of equal length");
    }
    for (size_t i = 0; i < kn.x.size(); ++i) {
      if (!std::isfinite(kn.x[i]) || !std::isfinite(kn.y[i]) || kn.y[i] < 0 || kn.y[i] > 1 ||
          (i > 0 && !(kn.x[i] > kn.x[i - 1]))) {
        return bad(field, "knots must be finite, x strictly increasing, y in [0, 1]");
      }
    }
  }
  return cal;
}

}  // namespace arus::ml
