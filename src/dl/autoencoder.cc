// The window autoencoder of dl/autoencoder.h. The only TU of the anomaly detector that includes
// torch: training and the weights file (torch::save / torch::load) live here; scoring is plain
// C++ over weights copied out of the network.
#include "dl/autoencoder.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>
#include <torch/utils.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file.h"
#include "core/json_depth.h"

namespace arus::dl {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "arus-anomaly-model";
constexpr int kVersion = 1;
constexpr const char* kModelFile = "model.json";
constexpr const char* kWeightsFile = "autoencoder.pt";
constexpr size_t kMaxModelJsonBytes = 64u << 20;
constexpr int kMaxJsonDepth = 16;
constexpr size_t kMaxInputs = size_t{1} << 20;  // D = L * C
constexpr size_t kEvalChunk = 4096;             // windows per no-grad forward
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- The network (training and the weights file) --------------------------------------------

struct AeNetImpl : torch::nn::Module {
  AeNetImpl(int64_t d, int64_t h, int64_t b)
      : enc1(register_module("enc1", torch::nn::Linear(d, h))),
        enc2(register_module("enc2", torch::nn::Linear(h, b))),
        dec1(register_module("dec1", torch::nn::Linear(b, h))),
        dec2(register_module("dec2", torch::nn::Linear(h, d))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::tanh(enc1->forward(x));
    torch::Tensor z = enc2->forward(h);
    h = torch::tanh(dec1->forward(z));
    return dec2->forward(h);
  }
  torch::nn::Linear enc1, enc2, dec1, dec2;
};
TORCH_MODULE(AeNet);

// Deterministic shuffling independent of the standard library's distributions.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }  // bias irrelevant for shuffling

 private:
  uint64_t s_;
};

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string ShapeText(c10::IntArrayRef s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

inline double Standardize(double v, double mean, double sd) { return (v - mean) / sd; }

// Doubles in model.json read back bit for bit: numbers for finite values, null for NaN.
json JsonDouble(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

// ---- Options ----------------------------------------------------------------------------------

ml::ParamMap AnomalyParams(const AnomalyOptions& o) {
  ml::ParamMap p;
  p["window"] = o.window;
  p["hidden"] = o.hidden;
  p["bottleneck"] = o.bottleneck;
  p["learning_rate"] = o.learning_rate;
  p["weight_decay"] = o.weight_decay;
  p["batch_size"] = o.batch_size;
  p["max_epochs"] = o.max_epochs;
  p["patience"] = o.patience;
  p["validation_fraction"] = o.validation_fraction;
  p["quantile"] = o.quantile;
  p["threads"] = o.threads;
  return p;
}

Result<AnomalyOptions> AnomalyOptionsFromParams(const ml::ParamMap& p, const std::string& origin) {
  AnomalyOptions o;
  size_t used = 0;
  auto get_int = [&](const char* name, int64_t* out) -> Status {
    auto it = p.find(name);
    if (it == p.end()) return InvalidArgument(origin + ": parameter '" + name + "' missing");
    if (!std::holds_alternative<int64_t>(it->second)) {
      return InvalidArgument(origin + ": parameter '" + name + "' is not an integer");
    }
    *out = std::get<int64_t>(it->second);
    ++used;
    return Status::Ok();
  };
  auto get_double = [&](const char* name, double* out) -> Status {
    auto it = p.find(name);
    if (it == p.end()) return InvalidArgument(origin + ": parameter '" + name + "' missing");
    if (std::holds_alternative<double>(it->second)) {
      *out = std::get<double>(it->second);
    } else if (std::holds_alternative<int64_t>(it->second)) {
      *out = static_cast<double>(std::get<int64_t>(it->second));
    } else {
      return InvalidArgument(origin + ": parameter '" + name + "' is not a number");
    }
    ++used;
    return Status::Ok();
  };
  ARUS_RETURN_IF_ERROR(get_int("window", &o.window));
  ARUS_RETURN_IF_ERROR(get_int("hidden", &o.hidden));
  ARUS_RETURN_IF_ERROR(get_int("bottleneck", &o.bottleneck));
  ARUS_RETURN_IF_ERROR(get_double("learning_rate", &o.learning_rate));
  ARUS_RETURN_IF_ERROR(get_double("weight_decay", &o.weight_decay));
  ARUS_RETURN_IF_ERROR(get_int("batch_size", &o.batch_size));
  ARUS_RETURN_IF_ERROR(get_int("max_epochs", &o.max_epochs));
  ARUS_RETURN_IF_ERROR(get_int("patience", &o.patience));
  ARUS_RETURN_IF_ERROR(get_double("validation_fraction", &o.validation_fraction));
  ARUS_RETURN_IF_ERROR(get_double("quantile", &o.quantile));
  ARUS_RETURN_IF_ERROR(get_int("threads", &o.threads));
  if (used != p.size()) {
    for (const auto& [name, v] : p) {
      if (AnomalyParams(o).count(name) == 0) {
        return InvalidArgument(origin + ": unknown parameter '" + name + "'");
      }
    }
  }
  Status s = ValidateAnomalyOptions(o, 0);
  if (!s.ok()) return InvalidArgument(origin + ": " + s.message());
  return o;
}

Status ValidateAnomalyOptions(const AnomalyOptions& o, size_t cols) {
  auto bad = [](const std::string& what) { return InvalidArgument("anomaly detector: " + what); };
  if (o.window < 1 || o.window > 4096) {
    return bad("window " + std::to_string(o.window) + " out of range [1, 4096]");
  }
  if (o.hidden < 1 || o.hidden > 4096) {
    return bad("hidden " + std::to_string(o.hidden) + " out of range [1, 4096]");
  }
  if (o.bottleneck < 1 || o.bottleneck > o.hidden) {
    return bad("bottleneck " + std::to_string(o.bottleneck) + " out of range [1, hidden = " +
               std::to_string(o.hidden) + "]");
  }
  if (cols > 0) {
    const size_t d = static_cast<size_t>(o.window) * cols;
    if (d > kMaxInputs) {
      return bad("window x columns = " + std::to_string(d) + " inputs, at most " +
                 std::to_string(kMaxInputs));
    }
    if (static_cast<size_t>(o.bottleneck) >= d) {
      return bad("bottleneck " + std::to_string(o.bottleneck) +
                 " must be smaller than window x columns = " + std::to_string(d) +
                 " (else the network can learn the identity)");
    }
  }
  if (!(o.learning_rate > 0 && o.learning_rate <= 1)) {
    return bad("learning_rate must be in (0, 1]");
  }
  if (!(o.weight_decay >= 0 && std::isfinite(o.weight_decay))) {
    return bad("weight_decay must be finite and >= 0");
  }
  if (o.batch_size < 1 || o.batch_size > 65536) return bad("batch_size out of range [1, 65536]");
  if (o.max_epochs < 1 || o.max_epochs > 100000) return bad("max_epochs out of range [1, 100000]");
  if (o.patience < 1 || o.patience > 100000) return bad("patience out of range [1, 100000]");
  if (!(o.validation_fraction > 0 && o.validation_fraction <= 0.5)) {
    return bad("validation_fraction must be in (0, 0.5]");
  }
  if (!(o.quantile > 0 && o.quantile < 1)) return bad("quantile must be in (0, 1)");
  if (o.threads < 1 || o.threads > 256) return bad("threads out of range [1, 256]");
  return Status::Ok();
}

// ---- The detector -----------------------------------------------------------------------------

struct AnomalyDetector::Impl {
  AnomalyFitInfo info;
  uint64_t seed = 0;
  size_t cols = 0, window = 0, d = 0, h = 0, b = 0;
  AeNet net{nullptr};
  // Weights copied out of `net` and transposed to [in][out], so that each layer is a sum of
  // scaled weight rows: the inner loop runs over outputs with no dependency between them.
  std::vector<double> w1, b1, w2, b2, w3, b3, w4, b4;

  size_t ScratchSize() const { return 2 * h + b + d; }

  // out[j] = bias[j] + sum_k in[k] * wt[k][j], k in increasing order.
  static void Dense(const std::vector<double>& wt, const std::vector<double>& bias,
                    const double* in, size_t n_in, size_t n_out, double* __restrict out) {
    std::copy(bias.begin(), bias.end(), out);
    for (size_t k = 0; k < n_in; ++k) {
      const double v = in[k];
      const double* __restrict w = wt.data() + k * n_out;
      for (size_t j = 0; j < n_out; ++j) out[j] += w[j] * v;
    }
  }

  // Mean squared reconstruction error of one standardised, flattened window (d values).
  double Error(const double* x, double* scratch) const {
    double* h1 = scratch;
    double* z = h1 + h;
    double* h2 = z + b;
    double* y = h2 + h;
    Dense(w1, b1, x, d, h, h1);
    for (size_t j = 0; j < h; ++j) h1[j] = std::tanh(h1[j]);
    Dense(w2, b2, h1, h, b, z);
    Dense(w3, b3, z, b, h, h2);
    for (size_t j = 0; j < h; ++j) h2[j] = std::tanh(h2[j]);
    Dense(w4, b4, h2, h, d, y);
    double sum = 0;
    for (size_t i = 0; i < d; ++i) {
      const double diff = y[i] - x[i];
      sum += diff * diff;
    }
    return sum / static_cast<double>(d);
  }

  void MakeNet() {
    net = AeNet(static_cast<int64_t>(d), static_cast<int64_t>(h), static_cast<int64_t>(b));
    net->to(torch::kFloat64);
  }

  // Checks the network's parameters (shapes, dtype, finite values) and copies them out.
  Status CopyWeights(const std::string& where) {
    struct Slot {
      const char* name;
      std::vector<int64_t> shape;
      std::vector<double>* out;
    };
    const int64_t D = static_cast<int64_t>(d), H = static_cast<int64_t>(h),
                  B = static_cast<int64_t>(b);
    const std::vector<Slot> slots = {
        {"enc1.weight", {H, D}, &w1}, {"enc1.bias", {H}, &b1}, {"enc2.weight", {B, H}, &w2},
        {"enc2.bias", {B}, &b2},      {"dec1.weight", {H, B}, &w3}, {"dec1.bias", {H}, &b3},
        {"dec2.weight", {D, H}, &w4}, {"dec2.bias", {D}, &b4}};
    auto params = net->named_parameters(/*recurse=*/true);
    if (params.size() != slots.size()) {
      return Corruption(where + ": " + std::to_string(params.size()) + " parameters, expected " +
                        std::to_string(slots.size()));
    }
    for (const Slot& s : slots) {
      const torch::Tensor* t = params.find(s.name);
      if (t == nullptr || !t->defined()) {
        return Corruption(where + ": parameter '" + s.name + "' missing");
      }
      if (t->sizes().vec() != s.shape) {
        return Corruption(where + ": parameter '" + s.name + "' has shape " +
                          ShapeText(t->sizes()) + ", expected " + ShapeText(s.shape));
      }
      if (t->scalar_type() != torch::kFloat64) {
        return Corruption(where + ": parameter '" + s.name + "' is not float64");
      }
      // Transposed: a weight [out, in] is stored [in][out]; a bias as it is.
      torch::Tensor c = (s.shape.size() == 2 ? t->detach().t() : t->detach()).contiguous();
      const double* p = c.data_ptr<double>();
      s.out->assign(p, p + c.numel());
      for (double v : *s.out) {
        if (!std::isfinite(v)) {
          return Corruption(where + ": parameter '" + s.name + "' holds a non-finite value");
        }
      }
    }
    return Status::Ok();
  }
};

AnomalyDetector::AnomalyDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnomalyDetector::~AnomalyDetector() = default;
const AnomalyFitInfo& AnomalyDetector::info() const { return impl_->info; }
size_t AnomalyDetector::cols() const { return impl_->cols; }
size_t AnomalyDetector::window() const { return impl_->window; }
double AnomalyDetector::threshold() const { return impl_->info.threshold; }

double AnomalyDetector::Flag(double error) const {
  if (std::isnan(error)) return kNaN;
  return error > impl_->info.threshold ? 1.0 : 0.0;
}

Status AnomalyDetector::Score(ml::MatrixView x, std::span<double> error) const {
  if (x.cols != impl_->cols) {
    return InvalidArgument("anomaly detector: " + std::to_string(x.cols) +
                           " columns given, the model needs " + std::to_string(impl_->cols));
  }
  if (error.size() != x.rows) {
    return InvalidArgument("anomaly detector: output holds " + std::to_string(error.size()) +
                           " values for " + std::to_string(x.rows) + " rows");
  }
  AnomalyStream stream(*this);
  for (size_t r = 0; r < x.rows; ++r) error[r] = stream.Update({x.row(r), x.cols});
  return Status::Ok();
}

Result<std::unique_ptr<AnomalyDetector>> AnomalyDetector::Fit(
    ml::MatrixView x, std::vector<std::string> feature_names, const AnomalyOptions& o,
    std::span<const uint8_t> exclude) {
  if (x.rows == 0) return InvalidArgument("anomaly detector: no training rows");
  if (x.cols == 0) return InvalidArgument("anomaly detector: no feature columns");
  if (feature_names.size() != x.cols) {
    return InvalidArgument("anomaly detector: " + std::to_string(feature_names.size()) +
                           " feature names for " + std::to_string(x.cols) + " columns");
  }
  if (!exclude.empty() && exclude.size() != x.rows) {
    return InvalidArgument("anomaly detector: exclusion mask has " +
                           std::to_string(exclude.size()) + " values for " +
                           std::to_string(x.rows) + " rows");
  }
  ARUS_RETURN_IF_ERROR(ValidateAnomalyOptions(o, x.cols));
  const size_t rows = x.rows, cols = x.cols, L = static_cast<size_t>(o.window);
  if (L > rows) {
    return InvalidArgument("anomaly detector: window " + std::to_string(L) +
                           " is longer than the " + std::to_string(rows) + " training rows");
  }
  auto excluded = [&](size_t r) { return !exclude.empty() && exclude[r] != 0; };

  auto im = std::make_unique<Impl>();
  im->seed = o.seed;
  im->cols = cols;
  im->window = L;
  im->d = L * cols;
  im->h = static_cast<size_t>(o.hidden);
  im->b = static_cast<size_t>(o.bottleneck);
  AnomalyFitInfo& info = im->info;
  info.feature_names = std::move(feature_names);
  info.options = o;
  info.train_rows = rows;

  // Standardisation: mean and population sd of the finite values of the normal training rows.
  info.mean.assign(cols, 0);
  info.sd.assign(cols, 1);
  for (size_t c = 0; c < cols; ++c) {
    double sum = 0;
    size_t n = 0;
    for (size_t r = 0; r < rows; ++r) {
      const double v = x.row(r)[c];
      if (!excluded(r) && std::isfinite(v)) {
        sum += v;
        ++n;
      }
    }
    if (n == 0) {
      return InvalidArgument("anomaly detector: column '" + info.feature_names[c] +
                             "' has no finite value in the training rows");
    }
    const double mean = sum / static_cast<double>(n);
    double ss = 0;
    for (size_t r = 0; r < rows; ++r) {
      const double v = x.row(r)[c];
      if (!excluded(r) && std::isfinite(v)) ss += (v - mean) * (v - mean);
    }
    const double sd = std::sqrt(ss / static_cast<double>(n));
    info.mean[c] = mean;
    info.sd[c] = sd > 0 && std::isfinite(sd) ? sd : 1.0;
  }
  std::vector<double> z(rows * cols);
  std::vector<uint8_t> row_bad(rows, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const double v = Standardize(x.row(r)[c], info.mean[c], info.sd[c]);
      z[r * cols + c] = v;
      if (!std::isfinite(v)) row_bad[r] = 1;
    }
    if (excluded(r)) ++info.excluded_rows;
  }

  // Normal windows (by their last row), in time order.
  std::vector<size_t> normal;
  {
    size_t bad = 0, excl = 0;
    for (size_t r = 0; r < rows; ++r) {
      bad += row_bad[r];
      excl += excluded(r) ? 1 : 0;
      if (r >= L) {
        bad -= row_bad[r - L];
        excl -= excluded(r - L) ? 1 : 0;
      }
      if (r + 1 < L || bad > 0) {
        ++info.windows_incomplete;
      } else if (excl > 0) {
        ++info.windows_excluded;
      } else {
        normal.push_back(r);
      }
    }
  }
  const size_t n_normal = normal.size();
  size_t n_val = static_cast<size_t>(std::llround(o.validation_fraction * double(n_normal)));
  n_val = std::max<size_t>(n_val, 1);
  std::vector<size_t> fit, val;
  if (n_normal > n_val) {
    val.assign(normal.end() - static_cast<ptrdiff_t>(n_val), normal.end());
    const size_t first_val_row = val.front() + 1 - L;  // first row the validation slice reads
    for (size_t i = 0; i + n_val < n_normal; ++i) {
      if (normal[i] < first_val_row) {
        fit.push_back(normal[i]);
      } else {
        ++info.windows_purged;
      }
    }
  }
  if (fit.size() < 2) {
    return InvalidArgument(
        "anomaly detector: too few normal windows to train (" + std::to_string(n_normal) +
        " complete windows of " + std::to_string(L) + " rows among " + std::to_string(rows) +
        " training rows, " + std::to_string(info.windows_incomplete) + " incomplete, " +
        std::to_string(info.windows_excluded) + " excluded); give more rows or a shorter window");
  }
  info.windows_fit = fit.size();
  info.windows_validation = val.size();

  const size_t D = im->d;
  auto gather = [&](const size_t* ends, size_t n) {
    torch::Tensor t = torch::empty({static_cast<int64_t>(n), static_cast<int64_t>(D)},
                                   torch::kFloat64);
    double* p = t.data_ptr<double>();
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(p + i * D, z.data() + (ends[i] + 1 - L) * cols, D * sizeof(double));
    }
    return t;
  };

  try {
    torch::set_num_threads(static_cast<int>(o.threads));
    torch::manual_seed(o.seed);
    im->MakeNet();
    AeNet& net = im->net;
    torch::optim::Adam opt(net->parameters(),
                           torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
    auto eval_loss = [&](const std::vector<size_t>& ends) {
      torch::NoGradGuard no_grad;
      double sum = 0;
      for (size_t i = 0; i < ends.size(); i += kEvalChunk) {
        const size_t n = std::min(kEvalChunk, ends.size() - i);
        torch::Tensor xb = gather(ends.data() + i, n);
        sum += torch::mse_loss(net->forward(xb), xb).item<double>() * static_cast<double>(n);
      }
      return sum / static_cast<double>(ends.size());
    };

    SplitMix64 rng(o.seed ^ 0xA5A5A5A55A5A5A5Aull);
    std::vector<size_t> order = fit;
    std::vector<torch::Tensor> best;
    double best_val = std::numeric_limits<double>::infinity();
    const size_t batch = static_cast<size_t>(o.batch_size);
    for (int64_t epoch = 1; epoch <= o.max_epochs; ++epoch) {
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
      double loss_sum = 0;
      for (size_t i = 0; i < order.size(); i += batch) {
        const size_t n = std::min(batch, order.size() - i);
        torch::Tensor xb = gather(order.data() + i, n);
        opt.zero_grad();
        torch::Tensor loss = torch::mse_loss(net->forward(xb), xb);
        loss.backward();
        opt.step();
        loss_sum += loss.item<double>() * static_cast<double>(n);
      }
      const double fit_loss = loss_sum / static_cast<double>(order.size());
      const double val_loss = eval_loss(val);
      info.epochs = epoch;
      if (!std::isfinite(fit_loss) || !std::isfinite(val_loss)) {
        return InvalidArgument("anomaly detector: training diverged at epoch " +
                               std::to_string(epoch) + " (loss not finite); lower learning_rate");
      }
      if (val_loss < best_val) {
        best_val = val_loss;
        info.best_epoch = epoch;
        info.fit_loss = fit_loss;
        best.clear();
        for (const torch::Tensor& p : net->parameters()) best.push_back(p.detach().clone());
      } else if (epoch - info.best_epoch >= o.patience) {
        break;
      }
    }
    {
      torch::NoGradGuard no_grad;
      auto params = net->parameters();
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best[i]);
    }
    info.validation_loss_torch = best_val;
    ARUS_RETURN_IF_ERROR(im->CopyWeights("anomaly detector"));
  } catch (const c10::Error& e) {
    return Internal(std::string("anomaly detector: torch failed: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Internal(std::string("anomaly detector: training failed: ") + e.what());
  }

  // Errors of the normal windows through the scoring pass; the threshold is their quantile.
  std::vector<double> scratch(im->ScratchSize());
  std::vector<double> errors;
  errors.reserve(n_normal);
  double val_sum = 0;
  for (size_t i = 0; i < n_normal; ++i) {
    const double e = im->Error(z.data() + (normal[i] + 1 - L) * cols, scratch.data());
    errors.push_back(e);
    if (i + val.size() >= n_normal) val_sum += e;
  }
  info.validation_loss = val_sum / static_cast<double>(val.size());
  // Torch and the scoring pass evaluate the same function; they differ by summation order only.
  if (!(std::fabs(info.validation_loss - info.validation_loss_torch) <=
        1e-9 * std::max(1.0, std::fabs(info.validation_loss_torch)))) {
    return Internal("anomaly detector: scoring pass disagrees with torch (validation loss " +
                    std::to_string(info.validation_loss) + " vs " +
                    std::to_string(info.validation_loss_torch) + ")");
  }
  std::sort(errors.begin(), errors.end());
  const size_t n = errors.size();
  size_t k = static_cast<size_t>(std::ceil(o.quantile * static_cast<double>(n)));
  k = std::clamp<size_t>(k, 1, n);
  info.threshold_windows = n;
  info.threshold = errors[k - 1];
  info.error_median = errors[(n - 1) / 2];
  info.error_max = errors.back();
  return std::unique_ptr<AnomalyDetector>(new AnomalyDetector(std::move(im)));
}

// ---- Save / Load ------------------------------------------------------------------------------

Status AnomalyDetector::Save(const std::string& dir) const {
  const Impl& im = *impl_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create '" + dir + "': " + ec.message());
  std::string weights;
  try {
    std::ostringstream os;
    torch::save(im.net, os);
    weights = os.str();
  } catch (const c10::Error& e) {
    return Internal("save '" + dir + "/" + kWeightsFile + "': " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Internal("save '" + dir + "/" + kWeightsFile + "': " + e.what());
  }
  const AnomalyFitInfo& i = im.info;
  json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["learner"] = kAutoencoderLearner;
  j["architecture"] = "mlp";
  j["activation"] = "tanh";
  j["feature_names"] = i.feature_names;
  j["params"] = ml::ParamsToJson(AnomalyParams(i.options));
  j["seed"] = im.seed;
  json mean = json::array(), sd = json::array();
  for (double v : i.mean) mean.push_back(JsonDouble(v));
  for (double v : i.sd) sd.push_back(JsonDouble(v));
  j["standardize"] = {{"mean", mean}, {"sd", sd}};
  j["threshold"] = JsonDouble(i.threshold);
  j["training"] = {{"train_rows", i.train_rows},
                   {"excluded_rows", i.excluded_rows},
                   {"windows_incomplete", i.windows_incomplete},
                   {"windows_excluded", i.windows_excluded},
                   {"windows_fit", i.windows_fit},
                   {"windows_purged", i.windows_purged},
                   {"windows_validation", i.windows_validation},
                   {"epochs", i.epochs},
                   {"best_epoch", i.best_epoch},
                   {"fit_loss", JsonDouble(i.fit_loss)},
                   {"validation_loss_torch", JsonDouble(i.validation_loss_torch)},
                   {"validation_loss", JsonDouble(i.validation_loss)},
                   {"threshold_windows", i.threshold_windows},
                   {"error_median", JsonDouble(i.error_median)},
                   {"error_max", JsonDouble(i.error_max)}};
  j["weights"] = {{"file", kWeightsFile}, {"fnv1a64", Hex16(Fnv1a64(weights))}};
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kWeightsFile, weights));
  return WriteFileAtomic(dir + "/" + kModelFile, j.dump(2) + "\n");
}

namespace {

Result<std::unique_ptr<AnomalyDetector::Impl>> LoadImpl(const std::string& dir) {
  using Impl = AnomalyDetector::Impl;
  const std::string file = dir + "/" + kModelFile;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("anomaly model directory '" + dir + "' not found");
  }
  if (std::filesystem::file_size(file, ec) > kMaxModelJsonBytes && !ec) {
    return ParseError(file, 0, "", "file too large");
  }
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  if (!JsonDepthOk(text, kMaxJsonDepth)) return ParseError(file, 0, "", "JSON nested too deeply");
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ParseError(file, 0, "", "not valid JSON (truncated or damaged)");
  if (!j.is_object()) return ParseError(file, 0, "", "not a JSON object");

  auto im = std::make_unique<Impl>();
  AnomalyFitInfo& info = im->info;
  std::string field;
  std::string weights_hash;
  auto read_double = [&](const json& v, double* out) {
    if (v.is_null()) {
      *out = kNaN;
    } else {
      *out = v.get<double>();  // throws json::type_error for a non-number
    }
  };
  try {
    field = "format";
    if (j.at("format").get<std::string>() != kFormat) {
      return ParseError(file, 0, field, std::string("not \"") + kFormat + "\"");
    }
    field = "version";
    if (!j.at("version").is_number_integer() || j.at("version").get<int64_t>() != kVersion) {
      return ParseError(file, 0, field,
                        "unsupported version " + j.at("version").dump() + " (this build reads " +
                            std::to_string(kVersion) + ")");
    }
    field = "learner";
    if (j.at("learner").get<std::string>() != kAutoencoderLearner) {
      return ParseError(file, 0, field, "not \"autoencoder\"");
    }
    field = "architecture";
    if (j.at("architecture").get<std::string>() != "mlp") {
      return ParseError(file, 0, field, "unknown architecture " + j.at("architecture").dump());
    }
    field = "activation";
    if (j.at("activation").get<std::string>() != "tanh") {
      return ParseError(file, 0, field, "unknown activation " + j.at("activation").dump());
    }
    field = "feature_names";
    info.feature_names = j.at("feature_names").get<std::vector<std::string>>();
    if (info.feature_names.empty()) return ParseError(file, 0, field, "empty");
    field = "params";
    ARUS_ASSIGN_OR_RETURN(ml::ParamMap params, ml::ParamsFromJson(j.at("params"), file));
    auto opts = AnomalyOptionsFromParams(params, file);
    if (!opts.ok()) return ParseError(file, 0, field, opts.status().message());
    info.options = opts.value();
    Status valid = ValidateAnomalyOptions(info.options, info.feature_names.size());
    if (!valid.ok()) return ParseError(file, 0, field, valid.message());
    field = "seed";
    im->seed = j.at("seed").get<uint64_t>();
    info.options.seed = im->seed;
    const size_t cols = info.feature_names.size();
    field = "standardize";
    const json& st = j.at("standardize");
    if (!st.at("mean").is_array() || st.at("mean").size() != cols || !st.at("sd").is_array() ||
        st.at("sd").size() != cols) {
      return ParseError(file, 0, field, "mean and sd must hold one value per feature");
    }
    info.mean.resize(cols);
    info.sd.resize(cols);
    for (size_t c = 0; c < cols; ++c) {
      read_double(st.at("mean")[c], &info.mean[c]);
      read_double(st.at("sd")[c], &info.sd[c]);
      if (!std::isfinite(info.mean[c]) || !(info.sd[c] > 0) || !std::isfinite(info.sd[c])) {
        return ParseError(file, 0, field, "non-finite mean or non-positive sd");
      }
    }
    field = "threshold";
    read_double(j.at("threshold"), &info.threshold);
    if (!std::isfinite(info.threshold) || info.threshold < 0) {
      return ParseError(file, 0, field, "must be a finite number >= 0");
    }
    field = "training";
    const json& t = j.at("training");
    info.train_rows = t.at("train_rows").get<size_t>();
    info.excluded_rows = t.at("excluded_rows").get<size_t>();
    info.windows_incomplete = t.at("windows_incomplete").get<size_t>();
    info.windows_excluded = t.at("windows_excluded").get<size_t>();
    info.windows_fit = t.at("windows_fit").get<size_t>();
    info.windows_purged = t.at("windows_purged").get<size_t>();
    info.windows_validation = t.at("windows_validation").get<size_t>();
    info.epochs = t.at("epochs").get<int64_t>();
    info.best_epoch = t.at("best_epoch").get<int64_t>();
    read_double(t.at("fit_loss"), &info.fit_loss);
    read_double(t.at("validation_loss_torch"), &info.validation_loss_torch);
    read_double(t.at("validation_loss"), &info.validation_loss);
    info.threshold_windows = t.at("threshold_windows").get<size_t>();
    read_double(t.at("error_median"), &info.error_median);
    read_double(t.at("error_max"), &info.error_max);
    field = "weights";
    if (j.at("weights").at("file").get<std::string>() != kWeightsFile) {
      return ParseError(file, 0, field, std::string("file must be \"") + kWeightsFile + "\"");
    }
    weights_hash = j.at("weights").at("fnv1a64").get<std::string>();
  } catch (const json::exception& e) {
    return ParseError(file, 0, field, std::string("missing or of the wrong type (") + e.what() + ")");
  }
  im->cols = info.feature_names.size();
  im->window = static_cast<size_t>(info.options.window);
  im->d = im->window * im->cols;
  im->h = static_cast<size_t>(info.options.hidden);
  im->b = static_cast<size_t>(info.options.bottleneck);

  // The weights: checksum first, then torch, then shapes and values.
  const std::string wfile = dir + "/" + kWeightsFile;
  const size_t params = im->h * im->d * 2 + im->h * im->b * 2 + im->h * 2 + im->b + im->d;
  const uintmax_t size = std::filesystem::file_size(wfile, ec);
  if (ec) return NotFound("anomaly model weights '" + wfile + "': " + ec.message());
  if (size > params * sizeof(double) + (size_t{1} << 20)) {
    return Corruption(wfile + ": " + std::to_string(size) + " bytes, too large for the model");
  }
  ARUS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(wfile));
  const std::string have = Hex16(Fnv1a64(bytes));
  if (have != weights_hash) {
    return Corruption(wfile + ": checksum mismatch (" + file + " says " + weights_hash +
                      ", file has " + have + ")");
  }
  try {
    im->MakeNet();
    std::istringstream is(bytes);
    torch::load(im->net, is);
  } catch (const c10::Error& e) {
    return Corruption(wfile + ": not a readable weights archive: " +
                      e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Corruption(wfile + ": not a readable weights archive: " + e.what());
  }
  ARUS_RETURN_IF_ERROR(im->CopyWeights(wfile));
  return im;
}

}  // namespace

Result<std::unique_ptr<AnomalyDetector>> AnomalyDetector::Load(const std::string& dir) {
  try {
    ARUS_ASSIGN_OR_RETURN(std::unique_ptr<Impl> im, LoadImpl(dir));
    return std::unique_ptr<AnomalyDetector>(new AnomalyDetector(std::move(im)));
  } catch (const c10::Error& e) {
    return Corruption(dir + ": unreadable anomaly model: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Corruption(dir + ": unreadable anomaly model: " + e.what());
  }
}

// ---- Streaming --------------------------------------------------------------------------------

AnomalyStream::AnomalyStream(const AnomalyDetector& detector)
    : detector_(&detector),
      cols_(detector.cols()),
      window_(detector.window()),
      ring_(2 * window_ * cols_, 0.0),
      bad_(window_, 0),
      scratch_(detector.impl_->ScratchSize()) {}

void AnomalyStream::Reset() {
  pos_ = seen_ = bad_in_window_ = 0;
  std::fill(ring_.begin(), ring_.end(), 0.0);
  std::fill(bad_.begin(), bad_.end(), 0);
}

double AnomalyStream::Update(std::span<const double> row) {
  assert(row.size() >= cols_);
  const AnomalyDetector::Impl& im = *detector_->impl_;
  double* a = ring_.data() + pos_ * cols_;
  double* b = ring_.data() + (pos_ + window_) * cols_;
  uint8_t bad = 0;
  for (size_t c = 0; c < cols_; ++c) {
    const double v = Standardize(row[c], im.info.mean[c], im.info.sd[c]);
    a[c] = b[c] = v;
    if (!std::isfinite(v)) bad = 1;
  }
  bad_in_window_ = bad_in_window_ - bad_[pos_] + bad;
  bad_[pos_] = bad;
  pos_ = pos_ + 1 == window_ ? 0 : pos_ + 1;
  if (seen_ < window_) ++seen_;
  if (seen_ < window_ || bad_in_window_ > 0) return kNaN;
  // Slots pos_ .. pos_ + L - 1 of the doubled ring are the window, oldest first.
  return im.Error(ring_.data() + pos_ * cols_, scratch_.data());
}

// ---- Registry ---------------------------------------------------------------------------------

namespace {

// ModelRegistry::Save takes an ml::Model: this one only carries the identity and writes files.
class RegistryAdapter final : public ml::Model {
 public:
  explicit RegistryAdapter(const AnomalyDetector& d) : d_(d) {
    info_.learner = kAutoencoderLearner;
    info_.task = ml::Task::kRegression;
    info_.params = AnomalyParams(d.info().options);
    info_.feature_names = d.info().feature_names;
    info_.seed = d.info().options.seed;
    info_.train_rows = d.info().train_rows;
  }
  const ml::ModelInfo& info() const override { return info_; }
  Status Predict(ml::MatrixView, std::span<double>) const override { return Unsupported(); }
  Status PredictRow(std::span<const double>, std::span<double>) const override {
    return Unsupported();
  }
  std::vector<double> FeatureImportance() const override { return {}; }
  Status Save(const std::string& dir) const override { return d_.Save(dir); }

 private:
  static Status Unsupported() {
    return FailedPrecondition(
        "an autoencoder scores windows of rows: use dl::AnomalyDetector (arus anomaly score)");
  }
  const AnomalyDetector& d_;
  ml::ModelInfo info_;
};

}  // namespace

Result<std::string> SaveAnomalyDetector(const AnomalyDetector& detector,
                                        const ml::ModelRegistry& registry,
                                        ml::ModelManifest m) {
  const AnomalyFitInfo& i = detector.info();
  m.learner = kAutoencoderLearner;
  m.params = AnomalyParams(i.options);
  m.task = ml::Task::kRegression;
  m.feature_names = i.feature_names;
  m.seed = i.options.seed;
  m.train_rows = i.train_rows;
  if (m.name.empty()) m.name = "ae";
  json v = {{"threshold", i.threshold},
            {"quantile", i.options.quantile},
            {"threshold_windows", i.threshold_windows},
            {"windows_fit", i.windows_fit},
            {"windows_validation", i.windows_validation},
            {"epochs", i.epochs},
            {"best_epoch", i.best_epoch},
            {"validation_loss", i.validation_loss},
            {"error_median", i.error_median}};
  m.validation_json = v.dump();
  RegistryAdapter adapter(detector);
  return registry.Save(adapter, std::move(m));
}

Result<std::unique_ptr<AnomalyDetector>> LoadAnomalyDetector(const ml::ModelRegistry& registry,
                                                             const std::string& id,
                                                             const std::string& feature_set_hash,
                                                             ml::ModelManifest* manifest) {
  ARUS_ASSIGN_OR_RETURN(ml::ModelManifest m, registry.Manifest(id));
  if (m.learner != kAutoencoderLearner) {
    return FailedPrecondition("model '" + id + "' is a " + m.learner +
                              " model, not an anomaly detector (autoencoder)");
  }
  if (!feature_set_hash.empty() && feature_set_hash != m.feature_set_hash) {
    return FailedPrecondition("anomaly model '" + id + "' was trained on feature set '" +
                              m.feature_set_name + "' (hash " + m.feature_set_hash +
                              ") but the data supplied was made by feature set hash " +
                              feature_set_hash +
                              ": rebuild the dataset with the model's feature set, or fit a "
                              "detector on this one");
  }
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<AnomalyDetector> d,
                        AnomalyDetector::Load(registry.Dir(id)));
  if (d->info().feature_names != m.feature_names) {
    return Corruption("anomaly model '" + id +
                      "': manifest and model disagree on the feature names");
  }
  if (manifest) *manifest = std::move(m);
  return d;
}

}  // namespace arus::dl
