// The model pipeline (preprocess -> learner -> calibrate), its parameters, model.json, and the
// learner catalogue. See model.h and docs/ml.md.
#include "ml/model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/file.h"
#include "core/format.h"
#include "ml/calibration.h"
#include "ml/json_util.h"
#include "ml/learners.h"
#include "ml/preprocess.h"

namespace arus::ml {

namespace {

constexpr char kFormat[] = "arus-model";
constexpr int64_t kVersion = 1;
constexpr char kModelFile[] = "model.json";
constexpr size_t kMaxModelJsonBytes = size_t{1} << 30;
constexpr int kMaxJsonDepth = 16;  // the format nests 5 deep
constexpr size_t kPredictChunkRows = 4096;
constexpr size_t kRowStackFeatures = 256;
constexpr size_t kMinCalibrationRows = 30;

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

std::string NumberText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return ShortestText(v);
}

std::string QuotedValueText(const ParamValue& v) {
  if (std::holds_alternative<std::string>(v)) return "'" + std::get<std::string>(v) + "'";
  return ParamValueText(v);
}

std::string TypeName(ParamType t) {
  switch (t) {
    case ParamType::kBool:
      return "true or false";
    case ParamType::kInt:
      return "an integer";
    case ParamType::kDouble:
      return "a number";
    case ParamType::kString:
      return "a string";
  }
  return "?";
}

std::string RangeText(const ParamSpec& s) {
  if (s.type == ParamType::kString) {
    return s.choices.empty() ? "any string" : "one of: " + Join(s.choices);
  }
  if (s.type == ParamType::kBool) return "true or false";
  return "[" + NumberText(s.min) + ", " + NumberText(s.max) + "]";
}

std::vector<ParamSpec> AllSpecs(const LearnerDef& def) {
  std::vector<ParamSpec> specs = def.params;
  for (ParamSpec& s : CommonParamSpecs(def.common)) specs.push_back(std::move(s));
  return specs;
}

std::vector<std::string> LearnerNames() {
  std::vector<std::string> names;
  for (const LearnerDef& d : AllLearnerDefs()) names.push_back(d.name);
  return names;
}

// ---- The fitted pipeline ---------------------------------------------------------------------

class PipelineModel final : public Model {
 public:
  PipelineModel(ModelInfo info, Preprocessor pre, Calibrator cal, std::unique_ptr<RawModel> raw)
      : info_(std::move(info)), pre_(std::move(pre)), cal_(std::move(cal)), raw_(std::move(raw)) {
    std::vector<double> imp = raw_->Importance();
    if (imp.size() == info_.feature_names.size()) {
      double sum = 0;
      for (double& v : imp) {
        if (!(v > 0) || !std::isfinite(v)) v = 0;  // negatives, NaN and inf carry no ranking
        sum += v;
      }
      if (sum > 0) {
        for (double& v : imp) v /= sum;
        importance_ = std::move(imp);
      }
    }
  }

  const ModelInfo& info() const override { return info_; }

  Status Predict(MatrixView x, std::span<double> out) const override {
    const size_t cols = info_.feature_names.size();
    const size_t k = info_.outputs();
    if (x.cols != cols) {
      return InvalidArgument("predict: " + std::to_string(x.cols) + " columns, the model has " +
                             std::to_string(cols) + " features");
    }
    if (out.size() != x.rows * k) {
      return InvalidArgument("predict: output holds " + std::to_string(out.size()) +
                             " values, need " + std::to_string(x.rows * k));
    }
    if (x.rows == 0) return Status::Ok();
    if (x.data == nullptr) return InvalidArgument("predict: null matrix data");
    if (pre_.IsIdentity()) {
      raw_->Predict(x, out);
      cal_.Apply(out.data(), x.rows);
      return Status::Ok();
    }
    // Preprocess a chunk at a time to bound the extra memory; a sequence learner reads the
    // rows before each row, so it gets the whole run at once.
    const size_t chunk =
        raw_->context_rows() > 0 ? x.rows : std::min(x.rows, kPredictChunkRows);
    std::vector<double> buf(chunk * cols);
    for (size_t begin = 0; begin < x.rows; begin += chunk) {
      const size_t end = std::min(x.rows, begin + chunk);
      pre_.Transform(x, begin, end, buf.data());
      std::span<double> o = out.subspan(begin * k, (end - begin) * k);
      raw_->Predict(MatrixView{buf.data(), end - begin, cols}, o);
      cal_.Apply(o.data(), end - begin);
    }
    return Status::Ok();
  }

  Status PredictRow(std::span<const double> row, std::span<double> out) const override {
    const size_t cols = info_.feature_names.size();
    if (row.size() != cols) {
      return InvalidArgument("predict: row of " + std::to_string(row.size()) +
                             " values, the model has " + std::to_string(cols) + " features");
    }
    if (out.size() != info_.outputs()) {
      return InvalidArgument("predict: output holds " + std::to_string(out.size()) +
                             " values, need " + std::to_string(info_.outputs()));
    }
    if (pre_.IsIdentity()) {
      raw_->PredictRow(row.data(), out.data());
    } else if (cols <= kRowStackFeatures) {
      double buf[kRowStackFeatures];
      pre_.TransformRow(row.data(), buf);
      raw_->PredictRow(buf, out.data());
    } else {
      std::vector<double> buf(cols);
      pre_.TransformRow(row.data(), buf.data());
      raw_->PredictRow(buf.data(), out.data());
    }
    cal_.ApplyRow(out.data());
    return Status::Ok();
  }

  std::vector<double> FeatureImportance() const override { return importance_; }

  Status Save(const std::string& dir) const override;

  size_t context_rows() const override { return raw_->context_rows(); }

  Status PredictHorizons(MatrixView x, std::span<double> out) const override {
    const size_t cols = info_.feature_names.size();
    const size_t k = info_.outputs() * info_.horizons;
    if (x.cols != cols) {
      return InvalidArgument("predict: " + std::to_string(x.cols) + " columns, the model has " +
                             std::to_string(cols) + " features");
    }
    if (out.size() != x.rows * k) {
      return InvalidArgument("predict: output holds " + std::to_string(out.size()) +
                             " values, need " + std::to_string(x.rows * k) + " (" +
                             std::to_string(info_.horizons) + " horizons)");
    }
    if (x.rows == 0) return Status::Ok();
    if (x.data == nullptr) return InvalidArgument("predict: null matrix data");
    if (pre_.IsIdentity()) {
      raw_->PredictHorizons(x, out);
    } else {
      Matrix buf(x.rows, cols);
      pre_.Transform(x, 0, x.rows, buf.data.data());
      raw_->PredictHorizons(buf.view(), out);
    }
    // The calibrator was fitted on horizon 1; it maps every horizon's probabilities alike.
    cal_.Apply(out.data(), x.rows * info_.horizons);
    return Status::Ok();
  }

  std::unique_ptr<ModelStream> NewStream() const override;

 private:
  ModelInfo info_;
  Preprocessor pre_;
  Calibrator cal_;
  std::unique_ptr<RawModel> raw_;
  std::vector<double> importance_;
};

// Preprocess -> the learner's stream (or PredictRow) -> calibrate, one row at a time.
class PipelineStream final : public ModelStream {
 public:
  PipelineStream(const ModelInfo& info, const Preprocessor& pre, const Calibrator& cal,
                 const RawModel& raw)
      : info_(info), pre_(pre), cal_(cal), raw_(raw), stream_(raw.NewStream()) {
    buf_.resize(info.feature_names.size());
  }

  Status Step(std::span<const double> row, std::span<double> out) override {
    if (row.size() != buf_.size()) {
      return InvalidArgument("stream: row of " + std::to_string(row.size()) +
                             " values, the model has " + std::to_string(buf_.size()) +
                             " features");
    }
    if (out.size() != info_.outputs()) {
      return InvalidArgument("stream: output holds " + std::to_string(out.size()) +
                             " values, need " + std::to_string(info_.outputs()));
    }
    pre_.TransformRow(row.data(), buf_.data());
    if (stream_) {
      stream_->Step(buf_.data(), out.data());
    } else {
      raw_.PredictRow(buf_.data(), out.data());
    }
    cal_.ApplyRow(out.data());
    return Status::Ok();
  }

  void Reset() override {
    if (stream_) stream_->Reset();
  }

 private:
  const ModelInfo& info_;
  const Preprocessor& pre_;
  const Calibrator& cal_;
  const RawModel& raw_;
  std::unique_ptr<RawStream> stream_;
  std::vector<double> buf_;
};

std::unique_ptr<ModelStream> PipelineModel::NewStream() const {
  return std::make_unique<PipelineStream>(info_, pre_, cal_, *raw_);
}

// ---- model.json ------------------------------------------------------------------------------

nlohmann::json TimeJson(UnixNanos t) {
  if (t == UnixNanos::Min()) return nullptr;
  return t.ns();
}

Status PipelineModel::Save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create directory '" + dir + "': " + ec.message());
  nlohmann::json params = ParamsToJson(info_.params);
  nlohmann::json classes = nlohmann::json::array();
  for (double c : info_.classes) classes.push_back(JsonFromDouble(c));
  nlohmann::json j{{"format", kFormat},
                   {"version", kVersion},
                   {"learner", info_.learner},
                   {"task", std::string(TaskName(info_.task))},
                   {"params", std::move(params)},
                   {"feature_names", info_.feature_names},
                   {"classes", std::move(classes)},
                   {"seed", info_.seed},
                   {"train_rows", static_cast<uint64_t>(info_.train_rows)},
                   {"train_from", TimeJson(info_.train_from)},
                   {"train_to", TimeJson(info_.train_to)},
                   {"horizons", static_cast<uint64_t>(info_.horizons)},
                   {"preprocess", pre_.ToJson()},
                   {"calibration", cal_.ToJson()}};
  std::string text;
  try {
    text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("save model: " + std::string(e.what()) +
                           " (feature names and parameters must be UTF-8)");
  }
  text += '\n';
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kModelFile, text));
  return raw_->Save(dir);
}

Status Bad(const std::string& file, std::string_view field, std::string_view what) {
  return ParseError(file, 0, field, what);
}

Result<ModelInfo> InfoFromJson(const nlohmann::json& root, const std::string& file,
                               const LearnerDef& def) {
  ModelInfo info;
  info.learner = def.name;
  auto task_it = root.find("task");
  if (task_it == root.end() || !task_it->is_string()) {
    return Bad(file, "task", "missing or not a string");
  }
  auto task = ParseTask(task_it->get<std::string>());
  if (!task.ok()) return Bad(file, "task", task.status().message());
  info.task = *task;
  if ((info.task == Task::kClassification && !def.classification) ||
      (info.task == Task::kRegression && !def.regression)) {
    return Bad(file, "task",
               "learner '" + def.name + "' does not do " + std::string(TaskName(info.task)));
  }

  auto params_it = root.find("params");
  if (params_it == root.end() || !params_it->is_object()) {
    return Bad(file, "params", "missing or not an object");
  }
  ARUS_ASSIGN_OR_RETURN(ParamMap given, ParamsFromJson(*params_it, file));
  auto resolved = ResolveParams(def.name, given);
  if (!resolved.ok()) return Bad(file, "params", resolved.status().message());
  info.params = std::move(*resolved);

  auto names_it = root.find("feature_names");
  if (names_it == root.end() || !names_it->is_array() || names_it->empty()) {
    return Bad(file, "feature_names", "missing or not a non-empty array");
  }
  std::set<std::string> seen;
  for (const nlohmann::json& n : *names_it) {
    if (!n.is_string() || n.get_ref<const std::string&>().empty()) {
      return Bad(file, "feature_names", "holds an empty name or a non-string");
    }
    if (!seen.insert(n.get<std::string>()).second) {
      return Bad(file, "feature_names", "duplicate name '" + n.get<std::string>() + "'");
    }
    info.feature_names.push_back(n.get<std::string>());
  }

  auto classes_it = root.find("classes");
  if (classes_it == root.end() || !DoublesFromJson(*classes_it, SIZE_MAX, &info.classes)) {
    return Bad(file, "classes", "missing or not an array of numbers");
  }
  if (info.task == Task::kClassification) {
    if (info.classes.size() < 2) return Bad(file, "classes", "fewer than 2 classes");
    for (size_t i = 0; i < info.classes.size(); ++i) {
      const double c = info.classes[i];
      if (!std::isfinite(c) || c != std::trunc(c) || (i > 0 && !(c > info.classes[i - 1]))) {
        return Bad(file, "classes", "class values must be integers in increasing order");
      }
    }
  } else if (!info.classes.empty()) {
    return Bad(file, "classes", "a regression model has no classes");
  }

  auto seed_it = root.find("seed");
  if (seed_it == root.end() || !seed_it->is_number_unsigned()) {
    return Bad(file, "seed", "missing or not a non-negative integer");
  }
  info.seed = seed_it->get<uint64_t>();
  auto rows_it = root.find("train_rows");
  if (rows_it == root.end() || !rows_it->is_number_unsigned()) {
    return Bad(file, "train_rows", "missing or not a non-negative integer");
  }
  info.train_rows = rows_it->get<uint64_t>();
  for (const char* key : {"train_from", "train_to"}) {
    auto it = root.find(key);
    if (it == root.end()) return Bad(file, key, "missing");
    UnixNanos t = UnixNanos::Min();
    if (it->is_number_integer()) {
      if (it->is_number_unsigned() &&
          it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Bad(file, key, "out of range");
      }
      t = UnixNanos(it->get<int64_t>());
    } else if (!it->is_null()) {
      return Bad(file, key, "not an integer (nanoseconds) or null");
    }
    (key[6] == 'f' ? info.train_from : info.train_to) = t;
  }
  // Optional (models saved before multi-step learners have none): 1.
  auto horizons_it = root.find("horizons");
  if (horizons_it != root.end()) {
    if (!horizons_it->is_number_unsigned() || horizons_it->get<uint64_t>() == 0 ||
        horizons_it->get<uint64_t>() > 4096) {
      return Bad(file, "horizons", "not an integer in [1, 4096]");
    }
    info.horizons = horizons_it->get<uint64_t>();
  }
  return info;
}

}  // namespace

// ---- Task and parameters -----------------------------------------------------------------------

std::string_view TaskName(Task task) {
  return task == Task::kClassification ? "classification" : "regression";
}

Result<Task> ParseTask(std::string_view name) {
  if (name == "classification") return Task::kClassification;
  if (name == "regression") return Task::kRegression;
  return InvalidArgument("unknown task '" + std::string(name) +
                         "' (accepted: classification, regression)");
}

bool GetBool(const ParamMap& p, std::string_view name) {
  auto it = p.find(name);
  if (it != p.end()) {
    if (const bool* b = std::get_if<bool>(&it->second)) return *b;
  }
  assert(false && "GetBool: parameter missing or not a bool");
  return false;
}

int64_t GetInt(const ParamMap& p, std::string_view name) {
  auto it = p.find(name);
  if (it != p.end()) {
    if (const int64_t* v = std::get_if<int64_t>(&it->second)) return *v;
  }
  assert(false && "GetInt: parameter missing or not an int");
  return 0;
}

double GetDouble(const ParamMap& p, std::string_view name) {
  auto it = p.find(name);
  if (it != p.end()) {
    if (const double* v = std::get_if<double>(&it->second)) return *v;
    if (const int64_t* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  }
  assert(false && "GetDouble: parameter missing or not a number");
  return std::numeric_limits<double>::quiet_NaN();
}

const std::string& GetString(const ParamMap& p, std::string_view name) {
  static const std::string kEmpty;
  auto it = p.find(name);
  if (it != p.end()) {
    if (const std::string* v = std::get_if<std::string>(&it->second)) return *v;
  }
  assert(false && "GetString: parameter missing or not a string");
  return kEmpty;
}

std::string ParamValueText(const ParamValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "nan";
    return NumberText(*d);
  }
  return std::get<std::string>(v);
}

TrainRows::TrainRows(const TrainSet& from, std::span<const size_t> idx) {
  const size_t n = idx.size();
  const MatrixView& x = from.x;
  if (n > 0 && idx.back() - idx.front() + 1 == n) {
    const size_t a = idx.front();
    set_.x = MatrixView{x.row(a), n, x.cols};
    set_.y = from.y.subspan(a, n);
    if (!from.time.empty()) set_.time = from.time.subspan(a, n);
    if (!from.label_end.empty()) set_.label_end = from.label_end.subspan(a, n);
    return;
  }
  x_ = Matrix(n, x.cols);
  y_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::copy_n(x.row(idx[i]), x.cols, x_.row(i));
    y_.push_back(from.y[idx[i]]);
    if (!from.time.empty()) time_.push_back(from.time[idx[i]]);
    if (!from.label_end.empty()) end_.push_back(from.label_end[idx[i]]);
  }
  set_ = TrainSet{x_.view(), y_, time_, end_};
}

nlohmann::json ParamsToJson(const ParamMap& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : p) {
    j[name] = std::visit(
        [](const auto& x) -> nlohmann::json {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, double>) {
            return JsonFromDouble(x);
          } else {
            return x;
          }
        },
        value);
  }
  return j;
}

Result<ParamMap> ParamsFromJson(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) return ParseError(file, 0, "params", "not an object");
  ParamMap given;
  for (const auto& [name, v] : j.items()) {
    if (v.is_boolean()) {
      given[name] = v.get<bool>();
    } else if (v.is_number_integer() && !v.is_number_unsigned()) {
      given[name] = v.get<int64_t>();
    } else if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return ParseError(file, 0, "params." + name, "integer too large");
      }
      given[name] = static_cast<int64_t>(u);
    } else if (v.is_number_float()) {
      given[name] = v.get<double>();
    } else if (v.is_string()) {
      given[name] = v.get<std::string>();
    } else {
      return ParseError(file, 0, "params." + name, "not a boolean, number or string");
    }
  }
  return given;
}

std::vector<ParamSpec> CommonParamSpecs(const CommonDefaults& d) {
  std::vector<ParamSpec> s;
  s.push_back({"impute",
               ParamType::kBool,
               d.impute,
               0,
               0,
               {},
               "replace missing values (NaN, +-inf) by the training-window median of the column"});
  s.push_back({"clip",
               ParamType::kDouble,
               d.clip,
               0,
               1e6,
               {},
               "winsorise each column at median +- clip * 1.4826 * MAD of the training window "
               "(0: off)"});
  s.push_back({"standardize",
               ParamType::kBool,
               d.standardize,
               0,
               0,
               {},
               "scale each column to (x - mean) / sd of the training window"});
  s.push_back({"calibration",
               ParamType::kString,
               d.calibration,
               0,
               0,
               {"none", "temperature", "isotonic"},
               "probability calibration fitted on a purged tail of the training window "
               "(classification)"});
  s.push_back({"calibration_fraction",
               ParamType::kDouble,
               d.calibration_fraction,
               0.05,
               0.5,
               {},
               "fraction of the training window (its latest rows) held out to fit the calibrator"});
  return s;
}

namespace {
std::deque<LearnerDef>& MutableLearnerDefs() {
  // A deque: registering appends without moving the definitions FindLearnerDef handed out.
  static std::deque<LearnerDef> defs = {XgboostLearner(), RandomForestLearner(),
                                        LogisticLearner(), SvmLearner()};
  return defs;
}
}  // namespace

const std::deque<LearnerDef>& AllLearnerDefs() { return MutableLearnerDefs(); }

void RegisterLearner(LearnerDef def) {
  if (FindLearnerDef(def.name) != nullptr) return;
  MutableLearnerDefs().push_back(std::move(def));
}

const LearnerDef* FindLearnerDef(std::string_view name) {
  for (const LearnerDef& d : AllLearnerDefs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::vector<LearnerSummary> ListLearners() {
  std::vector<LearnerSummary> out;
  for (const LearnerDef& d : AllLearnerDefs()) {
    out.push_back({d.name, d.help, d.classification, d.regression, AllSpecs(d)});
  }
  return out;
}

Result<ParamMap> ResolveParams(std::string_view learner, const ParamMap& given) {
  const LearnerDef* def = FindLearnerDef(learner);
  if (def == nullptr) {
    return InvalidArgument("unknown learner '" + std::string(learner) +
                           "' (known: " + Join(LearnerNames()) + ")");
  }
  const std::vector<ParamSpec> specs = AllSpecs(*def);
  const std::string who = "learner '" + def->name + "': parameter '";
  ParamMap out;
  for (const ParamSpec& s : specs) out[s.name] = s.default_value;
  for (const auto& [name, value] : given) {
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const ParamSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      std::vector<std::string> accepted;
      for (const ParamSpec& s : specs) accepted.push_back(s.name);
      return InvalidArgument("learner '" + def->name + "': unknown parameter '" + name +
                             "' (accepted: " + Join(accepted) + ")");
    }
    auto wrong_type = [&]() {
      std::string got = QuotedValueText(value);
      if (std::holds_alternative<double>(value)) got = "the number " + got;
      if (std::holds_alternative<int64_t>(value)) got = "the integer " + got;
      return InvalidArgument(who + name + "' must be " + TypeName(spec->type) + ", got " + got);
    };
    auto out_of_range = [&]() {
      return InvalidArgument(who + name + "' = " + QuotedValueText(value) +
                             " is out of range: accepted " + RangeText(*spec));
    };
    ParamValue v = value;
    switch (spec->type) {
      case ParamType::kBool:
        if (!std::holds_alternative<bool>(v)) return wrong_type();
        break;
      case ParamType::kInt: {
        if (!std::holds_alternative<int64_t>(v)) return wrong_type();
        const double d = static_cast<double>(std::get<int64_t>(v));
        if (d < spec->min || d > spec->max) return out_of_range();
        break;
      }
      case ParamType::kDouble: {
        if (const int64_t* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
        if (!std::holds_alternative<double>(v)) return wrong_type();
        const double d = std::get<double>(v);
        if (!std::isfinite(d) || d < spec->min || d > spec->max) return out_of_range();
        break;
      }
      case ParamType::kString: {
        if (!std::holds_alternative<std::string>(v)) return wrong_type();
        const std::string& str = std::get<std::string>(v);
        if (!spec->choices.empty() &&
            std::find(spec->choices.begin(), spec->choices.end(), str) == spec->choices.end()) {
          return out_of_range();
        }
        break;
      }
    }
    out[name] = std::move(v);
  }
  return out;
}

// ---- Purged hold-out ---------------------------------------------------------------------------

Result<HoldoutSplit> PurgedHoldout(size_t rows, std::span<const UnixNanos> time,
                                   std::span<const UnixNanos> label_end, double fraction) {
  if (!(fraction > 0 && fraction < 1)) {
    return InvalidArgument("hold-out fraction " + NumberText(fraction) + " is not in (0, 1)");
  }
  if ((!time.empty() && time.size() != rows) || (!label_end.empty() && label_end.size() != rows)) {
    return InvalidArgument("hold-out: time / label_end must be empty or have one value per row");
  }
  const size_t held = static_cast<size_t>(std::llround(static_cast<double>(rows) * fraction));
  if (held == 0 || held >= rows) {
    return InvalidArgument("hold-out: " + std::to_string(rows) + " rows with fraction " +
                           NumberText(fraction) + " leave an empty part");
  }
  HoldoutSplit split;
  const size_t first = rows - held;
  const bool purge = !time.empty() && !label_end.empty();
  split.fit.reserve(first);
  for (size_t i = 0; i < first; ++i) {
    if (purge && label_end[i] >= time[first]) {
      ++split.purged;
    } else {
      split.fit.push_back(i);
    }
  }
  split.held_out.resize(held);
  for (size_t i = 0; i < held; ++i) split.held_out[i] = first + i;
  if (split.fit.empty()) {
    return InvalidArgument(
        "hold-out: every fit row was purged (labels reach into the held-out "
        "part); use a longer window");
  }
  return split;
}

// ---- Fit and load ------------------------------------------------------------------------------

namespace {

Result<std::unique_ptr<Model>> FitModelImpl(std::string_view learner, const TrainSet& train,
                                            const FitOptions& options) {
  const LearnerDef* def = FindLearnerDef(learner);
  if (def == nullptr) {
    return InvalidArgument("unknown learner '" + std::string(learner) +
                           "' (known: " + Join(LearnerNames()) + ")");
  }
  const bool classification = options.task == Task::kClassification;
  if ((classification && !def->classification) || (!classification && !def->regression)) {
    return InvalidArgument("learner '" + def->name + "' does not do " +
                           std::string(TaskName(options.task)));
  }
  const size_t rows = train.x.rows, cols = train.x.cols;
  if (rows == 0) return InvalidArgument("fit: empty training window");
  if (cols == 0 || train.x.data == nullptr) return InvalidArgument("fit: no features");
  if (options.feature_names.size() != cols) {
    return InvalidArgument("fit: " + std::to_string(cols) + " columns but " +
                           std::to_string(options.feature_names.size()) + " feature names");
  }
  std::set<std::string_view> seen;
  for (const std::string& n : options.feature_names) {
    if (n.empty()) return InvalidArgument("fit: empty feature name");
    if (!seen.insert(n).second) return InvalidArgument("fit: duplicate feature name '" + n + "'");
  }
  if (train.y.size() != rows) {
    return InvalidArgument("fit: " + std::to_string(rows) + " rows but " +
                           std::to_string(train.y.size()) + " labels");
  }
  if ((!train.time.empty() && train.time.size() != rows) ||
      (!train.label_end.empty() && train.label_end.size() != rows)) {
    return InvalidArgument("fit: time / label_end must be empty or have one value per row");
  }
  for (size_t i = 1; i < train.time.size(); ++i) {
    if (train.time[i] < train.time[i - 1]) {
      return InvalidArgument("fit: rows are not in time order (row " + std::to_string(i) + ")");
    }
  }
  ARUS_ASSIGN_OR_RETURN(ParamMap params, ResolveParams(def->name, options.params));

  // Labels: class values -> indices 0..K-1.
  std::vector<double> classes;
  std::vector<double> y(rows);
  if (classification) {
    for (size_t i = 0; i < rows; ++i) {
      const double v = train.y[i];
      if (!std::isfinite(v) || v != std::trunc(v)) {
        return InvalidArgument("fit: class value " + NumberText(v) + " at row " +
                               std::to_string(i) + " is not a finite integer");
      }
    }
    classes.assign(train.y.begin(), train.y.end());
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    if (classes.size() < 2) {
      return InvalidArgument("training window has only one class (" + NumberText(classes[0]) +
                             "); a classifier needs at least two");
    }
    for (size_t i = 0; i < rows; ++i) {
      y[i] = static_cast<double>(std::lower_bound(classes.begin(), classes.end(), train.y[i]) -
                                 classes.begin());
    }
  } else {
    for (size_t i = 0; i < rows; ++i) {
      if (!std::isfinite(train.y[i])) {
        return InvalidArgument("fit: target at row " + std::to_string(i) + " is not finite");
      }
      y[i] = train.y[i];
    }
  }
  if (def->fit == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  "learner '" + def->name + "' cannot be fitted in this build (not implemented)");
  }
  const int k = static_cast<int>(classes.size());

  // Preprocessing: fitted on the training window, applied to all of it.
  PreprocessOptions popt{GetBool(params, "impute"), GetDouble(params, "clip"),
                         GetBool(params, "standardize")};
  Preprocessor pre = Preprocessor::Fit(train.x, popt);
  // An identity preprocessor (the tree learners' default) reads the caller's matrix in place:
  // on large windows the copy costs as much as a fraction of the training itself.
  Matrix xt;
  MatrixView xv = train.x;
  if (!pre.IsIdentity()) {
    xt = Matrix(rows, cols);
    pre.Transform(train.x, 0, rows, xt.data.data());
    xv = xt.view();
  }

  ModelInfo info;
  info.learner = def->name;
  info.task = options.task;
  info.feature_names = options.feature_names;
  info.classes = classes;
  info.seed = options.seed;
  if (!train.time.empty()) {
    info.train_from = train.time.front();
    info.train_to = train.time.back();
  }

  ARUS_ASSIGN_OR_RETURN(CalibrationMethod method,
                        ParseCalibrationMethod(GetString(params, "calibration")));
  Calibrator cal;
  std::unique_ptr<RawModel> raw;
  if (classification && method != CalibrationMethod::kNone) {
    const double fraction = GetDouble(params, "calibration_fraction");
    auto split = PurgedHoldout(rows, train.time, train.label_end, fraction);
    if (!split.ok()) {
      return InvalidArgument("calibration: " + split.status().message() +
                             "; or set calibration = \"none\"");
    }
    const HoldoutSplit& s = *split;
    std::vector<int> held_labels(s.held_out.size());
    std::vector<bool> held_seen(k, false), fit_seen(k, false);
    for (size_t i = 0; i < s.held_out.size(); ++i) {
      held_labels[i] = static_cast<int>(y[s.held_out[i]]);
      held_seen[held_labels[i]] = true;
    }
    for (size_t r : s.fit) fit_seen[static_cast<int>(y[r])] = true;
    const auto count = [](const std::vector<bool>& v) {
      return std::count(v.begin(), v.end(), true);
    };
    if (s.held_out.size() < kMinCalibrationRows || count(held_seen) < 2) {
      return InvalidArgument(
          "calibration: the held-out tail has " + std::to_string(s.held_out.size()) + " rows and " +
          std::to_string(count(held_seen)) + " classes; it needs at least " +
          std::to_string(kMinCalibrationRows) +
          " rows and 2 classes. Use a longer window, a larger calibration_fraction, or set "
          "calibration = \"none\"");
    }
    if (count(fit_seen) < 2) {
      return InvalidArgument(
          "calibration: the rows left to fit the learner hold only one class; use a longer "
          "window or set calibration = \"none\"");
    }
    // The fit part starts at row 0: a view.
    const TrainRows fit(TrainSet{xv, y, train.time, train.label_end}, s.fit);
    RawFitInput in{fit.set().x, fit.set().y, k, &params, options.seed, fit.set().time,
                   fit.set().label_end};
    ARUS_ASSIGN_OR_RETURN(raw, def->fit(in));
    if (raw == nullptr) return Internal("learner '" + def->name + "' returned no model");
    // A sequence learner reads the rows before the tail (features only: no label leaks).
    const size_t h0 = s.held_out.front();
    const size_t ctx = std::min(h0, raw->context_rows());
    std::vector<double> probs((ctx + s.held_out.size()) * k);
    raw->Predict(MatrixView{xv.row(h0 - ctx), ctx + s.held_out.size(), cols}, probs);
    probs.erase(probs.begin(), probs.begin() + ctx * k);
    ARUS_ASSIGN_OR_RETURN(cal, Calibrator::Fit(method, probs, held_labels, k));
    info.train_rows = s.fit.size();
  } else {
    RawFitInput in{xv, y, k, &params, options.seed, train.time, train.label_end};
    ARUS_ASSIGN_OR_RETURN(raw, def->fit(in));
    info.train_rows = rows;
  }
  if (raw == nullptr) return Internal("learner '" + def->name + "' returned no model");
  info.horizons = raw->horizons();
  info.params = std::move(params);
  return std::unique_ptr<Model>(
      new PipelineModel(std::move(info), std::move(pre), std::move(cal), std::move(raw)));
}

Result<std::unique_ptr<Model>> LoadModelImpl(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("model directory '" + dir + "' not found");
  }
  const std::string file = dir + "/" + kModelFile;
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  if (text.size() > kMaxModelJsonBytes) return Bad(file, "", "file too large");
  if (!JsonDepthOk(text, kMaxJsonDepth)) return Bad(file, "", "JSON nested too deeply");
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Bad(file, "", "not valid JSON (truncated or damaged)");
  if (!root.is_object()) return Bad(file, "", "not a JSON object");
  auto format = root.find("format");
  if (format == root.end() || !format->is_string() || *format != kFormat) {
    return Bad(file, "format", std::string("missing or not \"") + kFormat + "\"");
  }
  auto version = root.find("version");
  if (version == root.end() || !version->is_number_integer()) {
    return Bad(file, "version", "missing or not an integer");
  }
  if (*version != kVersion) {
    return Bad(file, "version",
               "unsupported version " + version->dump() + " (this build reads " +
                   std::to_string(kVersion) + ")");
  }
  auto learner = root.find("learner");
  if (learner == root.end() || !learner->is_string()) {
    return Bad(file, "learner", "missing or not a string");
  }
  const std::string name = learner->get<std::string>();
  if (name == "ensemble") return LoadEnsemble(dir);
  const LearnerDef* def = FindLearnerDef(name);
  if (def == nullptr) {
    return Bad(file, "learner",
               "unknown learner '" + name + "' (known: " + Join(LearnerNames()) + ", ensemble)");
  }
  ARUS_ASSIGN_OR_RETURN(ModelInfo info, InfoFromJson(root, file, *def));
  const size_t cols = info.feature_names.size();

  auto pre_it = root.find("preprocess");
  if (pre_it == root.end()) return Bad(file, "preprocess", "missing");
  ARUS_ASSIGN_OR_RETURN(Preprocessor pre, Preprocessor::FromJson(*pre_it, cols, file));
  if (pre.options().impute != GetBool(info.params, "impute") ||
      pre.options().clip != GetDouble(info.params, "clip") ||
      pre.options().standardize != GetBool(info.params, "standardize")) {
    return Corruption(file + ": field 'preprocess': options disagree with 'params'");
  }
  auto cal_it = root.find("calibration");
  if (cal_it == root.end()) return Bad(file, "calibration", "missing");
  ARUS_ASSIGN_OR_RETURN(Calibrator cal,
                        Calibrator::FromJson(*cal_it, static_cast<int>(info.classes.size()), file));
  const CalibrationMethod want =
      info.task == Task::kClassification
          ? *ParseCalibrationMethod(GetString(info.params, "calibration"))
          : CalibrationMethod::kNone;
  if (cal.method() != want) {
    return Corruption(file + ": field 'calibration': method disagrees with 'params'");
  }
  if (def->load == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  "learner '" + def->name + "' cannot be loaded in this build (not implemented)");
  }
  RawLoadInput in{dir, &info, cols};
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<RawModel> raw, def->load(in));
  if (raw == nullptr) return Internal("learner '" + def->name + "' loaded no model");
  if (raw->horizons() != info.horizons) {
    return Corruption(file + ": field 'horizons': " + std::to_string(info.horizons) +
                      " disagrees with the learner's " + std::to_string(raw->horizons()));
  }
  return std::unique_ptr<Model>(
      new PipelineModel(std::move(info), std::move(pre), std::move(cal), std::move(raw)));
}

}  // namespace

namespace {

// The default stream of a row-wise model: PredictRow per step.
class RowStream final : public ModelStream {
 public:
  explicit RowStream(const Model& m) : m_(m) {}
  Status Step(std::span<const double> row, std::span<double> out) override {
    return m_.PredictRow(row, out);
  }
  void Reset() override {}

 private:
  const Model& m_;
};

}  // namespace

std::unique_ptr<ModelStream> Model::NewStream() const { return std::make_unique<RowStream>(*this); }

Status Model::PredictHorizons(MatrixView x, std::span<double> out) const {
  if (info().horizons != 1) {
    return Status(StatusCode::kUnimplemented,
                  "model '" + info().learner + "' predicts " + std::to_string(info().horizons) +
                      " horizons but does not implement PredictHorizons");
  }
  return Predict(x, out);
}

Result<std::unique_ptr<Model>> FitModel(std::string_view learner, const TrainSet& train,
                                        const FitOptions& options) {
  try {
    return FitModelImpl(learner, train, options);
  } catch (const std::exception& e) {
    return Internal("fit '" + std::string(learner) + "': " + e.what());
  }
}

Result<std::unique_ptr<Model>> LoadModel(const std::string& dir) {
  try {
    return LoadModelImpl(dir);
  } catch (const std::exception& e) {
    return ParseError(dir + "/" + kModelFile, 0, "", std::string("unreadable: ") + e.what());
  }
}

}  // namespace arus::ml
