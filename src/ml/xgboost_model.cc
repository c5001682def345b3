// The "xgboost" (gradient-boosted trees) and "random_forest" learners: trained through the XGBoost
// C API (tree_method hist), evaluated by TreeEnsemble (ml/tree_predictor.h) without XGBoost.
// Docs: docs/ml-xgboost.md.
//
// The random forest is XGBoost's random-forest mode (one round of num_parallel_tree trees, row
// subsampling without replacement, feature sampling per node) with the squared-error objective on
// the class indicator: a squared-error split on a 0/1 target is the Gini split of a CART
// classification tree, a leaf holds the class frequency of its rows (minus the base score 0.5),
// and XGBoost scales each tree by 1 / num_parallel_tree, so the prediction is the average of the
// trees' leaf frequencies: the classical random-forest probability. More than two classes: one
// indicator target per class (XGBoost multi-target, one tree per class and forest member), the
// per-class averages normalised to sum to 1.
//
// Regression targets are standardised before XGBoost sees them: XGBoost does not split a node
// whose loss reduction is below 1e-6 (kRtEps), which for targets of the size of FX returns
// (1e-4) stops trees after a level or two, and lambda / gamma / alpha only mean the same on every
// target when it has unit scale. The booster predicts (y - offset) / scale; offset and scale are
// stored in the booster's attributes "arus_target_offset" / "arus_target_scale".

#include <xgboost/c_api.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/file.h"
#include "ml/learners.h"
#include "ml/tree_predictor.h"

namespace arus::ml {

namespace {

constexpr char kArtefact[] = "xgboost.ubj";
constexpr char kOffsetAttr[] = "arus_target_offset";
constexpr char kScaleAttr[] = "arus_target_scale";
constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Mode : uint8_t { kBoost, kForest };

// ---- XGBoost C API plumbing --------------------------------------------------------------------

// First line of XGBoost's last error (the rest is a stack trace).
std::string LastXgbError() {
  std::string s = XGBGetLastError();
  if (size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

Status XgbFailure(std::string_view call) {
  return Internal("xgboost: " + std::string(call) + " failed: " + LastXgbError());
}

#define ARUS_XGB_CALL(call)                    \
  do {                                         \
    if ((call) != 0) return XgbFailure(#call); \
  } while (0)

struct DMatrixFree {
  void operator()(void* h) const { XGDMatrixFree(h); }
};
struct BoosterFree {
  void operator()(void* h) const { XGBoosterFree(h); }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixFree>;
using BoosterPtr = std::unique_ptr<void, BoosterFree>;

// Shortest text that reads back as the same double.
std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// __array_interface__ of a dense row-major array, as XGBoost's C API wants it.
std::string ArrayInterface(const void* data, size_t rows, size_t cols, const char* typestr) {
  return "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(data)) + ",true],\"shape\":[" +
         std::to_string(rows) + "," + std::to_string(cols) + "],\"typestr\":\"" + typestr +
         "\",\"version\":3}";
}

// ---- Parameters --------------------------------------------------------------------------------

ParamSpec IntSpec(std::string name, int64_t def, double lo, double hi, std::string help) {
  return ParamSpec{std::move(name), ParamType::kInt, def, lo, hi, {}, std::move(help)};
}
ParamSpec DoubleSpec(std::string name, double def, double lo, double hi, std::string help) {
  return ParamSpec{std::move(name), ParamType::kDouble, def, lo, hi, {}, std::move(help)};
}
ParamSpec StringSpec(std::string name, std::string def, std::vector<std::string> choices,
                     std::string help) {
  return ParamSpec{std::move(name),    ParamType::kString, std::move(def), 0, 0,
                   std::move(choices), std::move(help)};
}

const char kCategoricalHelp[] =
    "comma-separated feature indices (0-based) treated as categorical: values are category codes "
    "(integers in [0, 2^24), NaN missing) split by XGBoost's categorical support; needs "
    "standardize=false and clip=0";

// Everything fit needs, checked: the XGBoost parameters, rounds and the categorical columns.
struct FitPlan {
  std::vector<std::pair<std::string, std::string>> params;
  int64_t rounds = 1;
  int nthread = 0;
  std::vector<size_t> categorical;
};

Result<std::vector<size_t>> ParseCategorical(const std::string& text, size_t cols) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view item(text.data() + pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    size_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size()) {
      return InvalidArgument("parameter 'categorical': '" + std::string(item) +
                             "' is not a feature index (expected e.g. \"0,3\")");
    }
    if (v >= cols) {
      return InvalidArgument("parameter 'categorical': feature index " + std::to_string(v) +
                             " out of range (the data has " + std::to_string(cols) + " features)");
    }
    if (std::find(out.begin(), out.end(), v) != out.end()) {
      return InvalidArgument("parameter 'categorical': feature index " + std::to_string(v) +
                             " listed twice");
    }
    out.push_back(v);
    pos = end + 1;
  }
  if (!text.empty() && text.back() == ',') {
    return InvalidArgument("parameter 'categorical': trailing comma in '" + text + "'");
  }
  return out;
}

// colsample_bynode of the forest: "sqrt", "log2", "all" or a fraction in (0, 1]. XGBoost keeps
// max(1, floor(fraction * p)) features, so a count k is passed as (k + 0.5) / p.
Result<double> ForestColumnFraction(const std::string& text, size_t p) {
  auto fraction_of = [p](double k) {
    k = std::clamp(std::floor(k), 1.0, static_cast<double>(p));
    return k >= static_cast<double>(p) ? 1.0 : (k + 0.5) / static_cast<double>(p);
  };
  if (text == "sqrt") return fraction_of(std::sqrt(static_cast<double>(p)));
  if (text == "log2") return fraction_of(std::log2(static_cast<double>(p)));
  if (text == "all") return 1.0;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(v > 0) || v > 1) {
    return InvalidArgument("parameter 'colsample_bynode': '" + text +
                           "' is not sqrt, log2, all or a fraction in (0, 1]");
  }
  return v;
}

Result<FitPlan> MakePlan(Mode mode, const RawFitInput& in) {
  const ParamMap& p = *in.params;
  FitPlan plan;
  auto set = [&plan](std::string k, std::string v) { plan.params.emplace_back(std::move(k), v); };
  set("tree_method", "hist");
  set("seed", std::to_string(in.seed & 0x7fffffffffffffffULL));
  set("max_depth", std::to_string(GetInt(p, "max_depth")));
  set("min_child_weight", Num(GetDouble(p, "min_child_weight")));
  set("lambda", Num(GetDouble(p, "lambda")));
  set("max_bin", std::to_string(GetInt(p, "max_bin")));
  set("subsample", Num(GetDouble(p, "subsample")));
  plan.nthread = static_cast<int>(GetInt(p, "nthread"));
  if (plan.nthread > 0) set("nthread", std::to_string(plan.nthread));

  if (mode == Mode::kBoost) {
    if (GetInt(p, "max_depth") == 0 && GetString(p, "grow_policy") != "lossguide") {
      return InvalidArgument("parameter 'max_depth': 0 (no limit) needs grow_policy=lossguide");
    }
    plan.rounds = GetInt(p, "n_estimators");
    set("eta", Num(GetDouble(p, "eta")));
    set("colsample_bytree", Num(GetDouble(p, "colsample_bytree")));
    set("alpha", Num(GetDouble(p, "alpha")));
    set("gamma", Num(GetDouble(p, "gamma")));
    set("grow_policy", GetString(p, "grow_policy"));
    set("max_leaves", std::to_string(GetInt(p, "max_leaves")));
    set("max_cat_to_onehot", std::to_string(GetInt(p, "max_cat_to_onehot")));
    if (in.num_classes == 0) {
      set("objective", "reg:squarederror");
    } else if (in.num_classes == 2) {
      set("objective", "binary:logistic");
    } else {
      set("objective", "multi:softprob");
      set("num_class", std::to_string(in.num_classes));
    }
  } else {
    plan.rounds = 1;
    set("objective", "reg:squarederror");  // on the class indicator(s); see the file comment
    set("num_parallel_tree", std::to_string(GetInt(p, "n_estimators")));
    set("eta", "1");
    ARUS_ASSIGN_OR_RETURN(double frac,
                          ForestColumnFraction(GetString(p, "colsample_bynode"), in.x.cols));
    set("colsample_bynode", Num(frac));
    if (in.num_classes > 0) set("base_score", "0.5");
  }
  // The standardised regression target has mean 0 (XGBoost 1.7 would start from 0.5).
  if (in.num_classes == 0) set("base_score", "0");

  ARUS_ASSIGN_OR_RETURN(plan.categorical, ParseCategorical(GetString(p, "categorical"), in.x.cols));
  if (!plan.categorical.empty() && (GetBool(p, "standardize") || GetDouble(p, "clip") != 0)) {
    return InvalidArgument(
        "parameter 'categorical': categorical features need standardize=false and clip=0 (the "
        "learner must see the category codes)");
  }
  return plan;
}

Status CheckFitInput(const RawFitInput& in) {
  const MatrixView& x = in.x;
  if (in.params == nullptr) return InvalidArgument("xgboost: parameters not resolved");
  if (x.rows == 0 || x.cols == 0 || x.data == nullptr) {
    return InvalidArgument("xgboost: no training rows or no features");
  }
  if (in.y.size() != x.rows) {
    return InvalidArgument("xgboost: " + std::to_string(in.y.size()) + " labels for " +
                           std::to_string(x.rows) + " rows");
  }
  if (in.num_classes == 1 || in.num_classes < 0) {
    return InvalidArgument("xgboost: classification needs at least two classes");
  }
  return Status::Ok();
}

// XGBoost refuses +-inf features (it trains on float: beyond +-FLT_MAX is inf too) and needs
// category codes; say which cell is wrong.
Status CheckValues(const RawFitInput& in, const FitPlan& plan) {
  const MatrixView& x = in.x;
  const size_t n = x.rows * x.cols;
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  for (size_t i = 0; i < n; ++i) {
    if (std::fabs(x.data[i]) > kFloatMax) {  // false for NaN
      return InvalidArgument("xgboost: feature " + std::to_string(i % x.cols) + " at row " +
                             std::to_string(i / x.cols) + " is " + Num(x.data[i]) +
                             ", infinite in float; XGBoost accepts finite values and NaN "
                             "(missing): set impute=true or clean the feature");
    }
  }
  for (size_t c : plan.categorical) {
    for (size_t r = 0; r < x.rows; ++r) {
      const double v = x.data[r * x.cols + c];
      if (!std::isnan(v) && (v < 0 || v >= 16777216.0 || v != std::floor(v))) {
        return InvalidArgument("xgboost: categorical feature " + std::to_string(c) + " at row " +
                               std::to_string(r) + " holds " + Num(v) +
                               ", not a category code (an integer in [0, 2^24))");
      }
    }
  }
  for (size_t r = 0; r < in.y.size(); ++r) {
    const double v = in.y[r];
    const bool ok = in.num_classes == 0 ? std::isfinite(v)
                                        : (v >= 0 && v < in.num_classes && v == std::floor(v));
    if (!ok) {
      return InvalidArgument(
          "xgboost: label at row " + std::to_string(r) + " is " + Num(v) +
          (in.num_classes == 0 ? ", not finite"
                               : ", not a class index 0.." + std::to_string(in.num_classes - 1)));
    }
  }
  return Status::Ok();
}

// y = offset + scale * booster prediction (regression); identity for classification.
struct TargetScale {
  double offset = 0;
  double scale = 1;
};

TargetScale FitTargetScale(std::span<const double> y) {
  double mean = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double ss = 0;
  for (double v : y) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / static_cast<double>(y.size()));
  return TargetScale{mean, sd > 0 && std::isfinite(sd) ? sd : 1.0};
}

Result<TargetScale> ReadTargetScale(const TreeEnsemble& e, int num_classes,
                                    const std::string& source) {
  if (num_classes != 0) return TargetScale{};
  TargetScale t;
  for (auto [name, value] : {std::pair{kOffsetAttr, &t.offset}, std::pair{kScaleAttr, &t.scale}}) {
    auto it = e.attributes().find(name);
    const std::string text = it == e.attributes().end() ? "" : it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(*value)) {
      return Corruption(source + ": booster attribute '" + name +
                        "' is missing or not a finite number");
    }
  }
  if (!(t.scale > 0)) return Corruption(source + ": booster attribute 'arus_target_scale' <= 0");
  return t;
}

// ---- The fitted model --------------------------------------------------------------------------

class XgbRawModel final : public RawModel {
 public:
  XgbRawModel(Mode mode, int num_classes, TargetScale target, int threads, std::string ubj,
              TreeEnsemble ensemble)
      : mode_(mode),
        num_classes_(num_classes),
        target_(target),
        threads_(threads),
        ubj_(std::move(ubj)),
        ensemble_(std::move(ensemble)) {}

  void Predict(MatrixView x, std::span<double> out) const override {
    const size_t g = ensemble_.num_groups();
    const size_t k = outputs();
    constexpr size_t kChunk = 4096;
    std::vector<float> margin(std::min(x.rows, kChunk) * g);
    for (size_t begin = 0; begin < x.rows; begin += kChunk) {
      const size_t n = std::min(kChunk, x.rows - begin);
      ensemble_.MarginBatch(MatrixView{x.row(begin), n, x.cols}, margin.data(), threads_);
      for (size_t r = 0; r < n; ++r) Finish(margin.data() + r * g, out.data() + (begin + r) * k);
    }
  }

  void PredictRow(const double* row, double* out) const override {
    constexpr size_t kStack = 64;
    if (ensemble_.num_groups() <= kStack) {
      float margin[kStack];
      ensemble_.MarginRow(row, margin);
      Finish(margin, out);
    } else {
      std::vector<float> margin(ensemble_.num_groups());
      ensemble_.MarginRow(row, margin.data());
      Finish(margin.data(), out);
    }
  }

  std::vector<double> Importance() const override { return ensemble_.total_gain(); }

  Status Save(const std::string& dir) const override {
    return WriteFileAtomic(dir + "/" + kArtefact, ubj_);
  }

 private:
  size_t outputs() const { return num_classes_ == 0 ? 1 : static_cast<size_t>(num_classes_); }

  // Margins of one row -> the learner's outputs (class probabilities or the regression value).
  void Finish(const float* margin, double* out) const {
    if (num_classes_ == 0) {
      out[0] = target_.offset + target_.scale * static_cast<double>(margin[0]);
    } else if (mode_ == Mode::kBoost) {
      if (num_classes_ == 2) {
        const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(margin[0])));
        out[0] = 1.0 - p;
        out[1] = p;
      } else {
        ensemble_.ApplyLink(margin, out);  // softmax
      }
    } else if (num_classes_ == 2) {
      // Average leaf frequency; float sums may stray an ulp outside [0, 1].
      const double p = std::clamp(static_cast<double>(margin[0]), 0.0, 1.0);
      out[0] = 1.0 - p;
      out[1] = p;
    } else {
      double sum = 0;
      for (int c = 0; c < num_classes_; ++c) sum += out[c] = std::max(0.0, double{margin[c]});
      for (int c = 0; c < num_classes_; ++c) {
        out[c] = sum > 0 ? out[c] / sum : 1.0 / num_classes_;
      }
    }
  }

  Mode mode_;
  int num_classes_;
  TargetScale target_;
  int threads_;      // batch prediction threads (0: all cores), the nthread parameter
  std::string ubj_;  // the booster as XGBoost saved it; Save writes these bytes
  TreeEnsemble ensemble_;
};

// What the model document must look like for this learner, task and class count.
Status CheckBoosterMatches(const TreeEnsemble& e, Mode mode, int num_classes, size_t cols,
                           const std::string& source) {
  std::string objective = "reg:squarederror";
  const size_t groups = num_classes > 2 ? static_cast<size_t>(num_classes) : 1;
  if (num_classes >= 2 && mode == Mode::kBoost) {
    objective = num_classes == 2 ? "binary:logistic" : "multi:softprob";
  }
  if (e.objective() != objective || e.num_groups() != groups || e.num_features() != cols) {
    return Corruption(source + ": the booster (objective " + e.objective() + ", " +
                      std::to_string(e.num_groups()) + " outputs, " +
                      std::to_string(e.num_features()) + " features) does not match the model (" +
                      objective + ", " + std::to_string(groups) + " outputs, " +
                      std::to_string(cols) + " features)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<RawModel>> Fit(Mode mode, const RawFitInput& in) {
  ARUS_RETURN_IF_ERROR(CheckFitInput(in));
  ARUS_ASSIGN_OR_RETURN(FitPlan plan, MakePlan(mode, in));
  ARUS_RETURN_IF_ERROR(CheckValues(in, plan));
  // XGBoost's global configuration is per thread in 1.7.
  ARUS_XGB_CALL(XGBSetGlobalConfig("{\"verbosity\":0}"));

  const MatrixView& x = in.x;
  const TargetScale target = in.num_classes == 0 ? FitTargetScale(in.y) : TargetScale{};
  DMatrixHandle dm_raw = nullptr;
  const std::string dm_config =
      "{\"missing\":NaN,\"nthread\":" + std::to_string(std::max(plan.nthread, 0)) + "}";
  ARUS_XGB_CALL(XGDMatrixCreateFromDense(ArrayInterface(x.data, x.rows, x.cols, "<f8").c_str(),
                                         dm_config.c_str(), &dm_raw));
  DMatrixPtr dm(dm_raw);

  if (mode == Mode::kForest && in.num_classes > 2) {
    std::vector<float> onehot(x.rows * in.num_classes, 0.0f);
    for (size_t r = 0; r < x.rows; ++r) onehot[r * in.num_classes + static_cast<int>(in.y[r])] = 1;
    ARUS_XGB_CALL(XGDMatrixSetInfoFromInterface(
        dm.get(), "label", ArrayInterface(onehot.data(), x.rows, in.num_classes, "<f4").c_str()));
  } else {
    std::vector<float> label(in.y.size());
    for (size_t r = 0; r < label.size(); ++r) {
      label[r] = static_cast<float>((in.y[r] - target.offset) / target.scale);
    }
    ARUS_XGB_CALL(XGDMatrixSetFloatInfo(dm.get(), "label", label.data(), label.size()));
  }

  std::vector<std::string> types;
  std::vector<const char*> type_ptrs;
  if (!plan.categorical.empty()) {
    types.assign(x.cols, "q");
    for (size_t c : plan.categorical) types[c] = "c";
    for (const std::string& t : types) type_ptrs.push_back(t.c_str());
    ARUS_XGB_CALL(
        XGDMatrixSetStrFeatureInfo(dm.get(), "feature_type", type_ptrs.data(), type_ptrs.size()));
  }

  BoosterHandle b_raw = nullptr;
  DMatrixHandle dms[] = {dm.get()};
  ARUS_XGB_CALL(XGBoosterCreate(dms, 1, &b_raw));
  BoosterPtr booster(b_raw);
  for (const auto& [k, v] : plan.params) {
    if (XGBoosterSetParam(booster.get(), k.c_str(), v.c_str()) != 0) {
      return XgbFailure("XGBoosterSetParam(" + k + "=" + v + ")");
    }
  }
  if (in.num_classes == 0) {
    ARUS_XGB_CALL(XGBoosterSetAttr(booster.get(), kOffsetAttr, Num(target.offset).c_str()));
    ARUS_XGB_CALL(XGBoosterSetAttr(booster.get(), kScaleAttr, Num(target.scale).c_str()));
  }
  if (!type_ptrs.empty()) {  // saved with the model, so Python's xgboost sees them too
    ARUS_XGB_CALL(XGBoosterSetStrFeatureInfo(booster.get(), "feature_type", type_ptrs.data(),
                                             type_ptrs.size()));
  }
  for (int64_t it = 0; it < plan.rounds; ++it) {
    if (XGBoosterUpdateOneIter(booster.get(), static_cast<int>(it), dm.get()) != 0) {
      return XgbFailure("training round " + std::to_string(it));
    }
  }

  bst_ulong len = 0;
  const char* bytes = nullptr;
  ARUS_XGB_CALL(XGBoosterSaveModelToBuffer(booster.get(), "{\"format\":\"ubj\"}", &len, &bytes));
  std::string ubj(bytes, len);
  auto ensemble = TreeEnsemble::FromXgboostUbj(ubj, "xgboost booster");
  if (!ensemble.ok()) {
    // E.g. a leaf of inf / NaN from lambda = 0 with min_child_weight = 0.
    return InvalidArgument("xgboost: training produced an unusable model (" +
                           ensemble.status().message() + "); raise lambda or min_child_weight");
  }
  ARUS_RETURN_IF_ERROR(
      CheckBoosterMatches(*ensemble, mode, in.num_classes, x.cols, "xgboost booster"));
  ARUS_ASSIGN_OR_RETURN(TargetScale read_back,
                        ReadTargetScale(*ensemble, in.num_classes, "xgboost booster"));
  return std::unique_ptr<RawModel>(new XgbRawModel(mode, in.num_classes, read_back, plan.nthread,
                                                   std::move(ubj), std::move(*ensemble)));
}

Result<std::unique_ptr<RawModel>> Load(Mode mode, const RawLoadInput& in) {
  if (in.info == nullptr) return InvalidArgument("xgboost: load without model info");
  const std::string path = in.dir + "/" + kArtefact;
  ARUS_ASSIGN_OR_RETURN(std::string ubj, ReadFile(path));
  ARUS_ASSIGN_OR_RETURN(TreeEnsemble ensemble, TreeEnsemble::FromXgboostUbj(ubj, path));
  const int num_classes =
      in.info->task == Task::kClassification ? static_cast<int>(in.info->classes.size()) : 0;
  ARUS_RETURN_IF_ERROR(CheckBoosterMatches(ensemble, mode, num_classes, in.cols, path));
  ARUS_ASSIGN_OR_RETURN(TargetScale target, ReadTargetScale(ensemble, num_classes, path));
  int threads = 0;
  if (auto it = in.info->params.find("nthread"); it != in.info->params.end()) {
    if (const int64_t* v = std::get_if<int64_t>(&it->second)) {
      threads = static_cast<int>(std::clamp<int64_t>(*v, 0, 1024));
    }
  }
  return std::unique_ptr<RawModel>(
      new XgbRawModel(mode, num_classes, target, threads, std::move(ubj), std::move(ensemble)));
}

}  // namespace

LearnerDef XgboostLearner() {
  LearnerDef d;
  d.name = "xgboost";
  d.help =
      "gradient-boosted trees (XGBoost, histogram splits); probabilities from binary:logistic / "
      "multi:softprob, regression with squared error; NaN handled natively";
  d.classification = d.regression = true;
  d.params = {
      IntSpec("n_estimators", 100, 1, 100000, "boosting rounds (trees per class)"),
      IntSpec("max_depth", 6, 0, 64, "maximum tree depth (0: no limit, lossguide only)"),
      DoubleSpec("eta", 0.1, 1e-6, 1, "learning rate: shrinkage of each tree"),
      DoubleSpec("subsample", 0.8, 1e-3, 1,
                 "fraction of rows sampled (without replacement) per tree"),
      DoubleSpec("colsample_bytree", 0.8, 1e-3, 1, "fraction of features sampled per tree"),
      DoubleSpec("min_child_weight", 1, 0, kInf,
                 "minimum hessian sum in a leaf (rows * p(1-p) for logistic, rows for regression)"),
      DoubleSpec("lambda", 1, 0, kInf, "L2 penalty on leaf values"),
      DoubleSpec("alpha", 0, 0, kInf, "L1 penalty on leaf values"),
      DoubleSpec("gamma", 0, 0, kInf, "minimum loss reduction to make a split"),
      IntSpec("max_bin", 256, 2, 65536, "histogram bins per feature (quantile cuts)"),
      StringSpec("grow_policy", "depthwise", {"depthwise", "lossguide"},
                 "depthwise: level by level; lossguide: best leaf first (LightGBM-style)"),
      IntSpec("max_leaves", 0, 0, 1 << 20, "maximum leaves per tree (0: no limit)"),
      IntSpec("max_cat_to_onehot", 4, 1, 1 << 20,
              "categorical features with fewer categories are split one-vs-rest, others by "
              "partition"),
      StringSpec("categorical", "", {}, kCategoricalHelp),
      IntSpec("nthread", 0, 0, 1024, "training and batch-prediction threads (0: all cores)"),
  };
  d.common.impute = false;  // XGBoost learns a default direction for missing values
  d.common.clip = 0;
  d.common.standardize = false;
  d.common.calibration = "none";
  d.fit = [](const RawFitInput& in) { return Fit(Mode::kBoost, in); };
  d.load = [](const RawLoadInput& in) { return Load(Mode::kBoost, in); };
  return d;
}

LearnerDef RandomForestLearner() {
  LearnerDef d;
  d.name = "random_forest";
  d.help =
      "random forest (XGBoost random-forest mode): Gini/variance CART trees on row subsamples "
      "with features sampled per node; probabilities are averaged leaf class frequencies";
  d.classification = d.regression = true;
  d.params = {
      IntSpec("n_estimators", 200, 1, 100000, "trees in the forest"),
      IntSpec("max_depth", 10, 1, 64, "maximum tree depth"),
      DoubleSpec("subsample", 0.632, 1e-3, 1,
                 "fraction of rows drawn without replacement per tree (1: every tree sees all "
                 "rows)"),
      StringSpec("colsample_bynode", "sqrt", {},
                 "features considered per split: sqrt, log2 (of the feature count), all, or a "
                 "fraction in (0, 1]"),
      DoubleSpec("min_child_weight", 1, 1, kInf, "minimum rows in a leaf"),
      DoubleSpec("lambda", 0, 0, kInf,
                 "L2 penalty: a leaf holds sum(y - 0.5) / (rows + lambda), shrinking small "
                 "leaves towards 0.5 (0: plain class frequency)"),
      IntSpec("max_bin", 256, 2, 65536, "histogram bins per feature (quantile cuts)"),
      StringSpec("categorical", "", {}, kCategoricalHelp),
      IntSpec("nthread", 0, 0, 1024, "training and batch-prediction threads (0: all cores)"),
  };
  d.common.impute = false;
  d.common.clip = 0;
  d.common.standardize = false;
  d.common.calibration = "temperature";  // averaged frequencies are pulled towards the middle
  d.fit = [](const RawFitInput& in) { return Fit(Mode::kForest, in); };
  d.load = [](const RawLoadInput& in) { return Load(Mode::kForest, in); };
  return d;
}

}  // namespace arus::ml
