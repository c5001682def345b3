#include "ml/ensemble.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/json_depth.h"
#include "ml/learners.h"

namespace arus::ml {
namespace {

constexpr double kMinProb = 1e-15;
constexpr size_t kChunkRows = 4096;
constexpr int kMaxJsonDepth = 8;  // the ensemble file nests 3 deep

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s;
}

bool ValidMemberName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

std::string_view EnsembleMethodName(EnsembleMethod m) {
  return m == EnsembleMethod::kWeighted ? "weighted" : "stacking";
}

Result<EnsembleMethod> ParseEnsembleMethod(std::string_view name) {
  if (name == "weighted") return EnsembleMethod::kWeighted;
  if (name == "stacking") return EnsembleMethod::kStacking;
  return InvalidArgument("unknown ensemble method '" + std::string(name) +
                         "' (known: weighted, stacking)");
}

Ensemble::~Ensemble() = default;

Status Ensemble::Init() {
  if (members_.empty()) return InvalidArgument("ensemble: no members");
  if (names_.size() != members_.size()) {
    return InvalidArgument("ensemble: " + std::to_string(names_.size()) + " names for " +
                           std::to_string(members_.size()) + " members");
  }
  if (!(options_.halflife > 0) || !(options_.temperature > 0) ||
      !(options_.stacking_fraction > 0 && options_.stacking_fraction < 1)) {
    return InvalidArgument(
        "ensemble: halflife and temperature must be > 0 and stacking_fraction in (0, 1)");
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (!ValidMemberName(names_[i])) {
      return InvalidArgument("ensemble: bad member name '" + names_[i] +
                             "' (letters, digits, '_' and '-' only)");
    }
    for (size_t j = 0; j < i; ++j) {
      if (names_[i] == names_[j])
        return InvalidArgument("ensemble: member '" + names_[i] + "' appears twice");
    }
  }
  const ModelInfo& first = members_[0]->info();
  for (size_t i = 1; i < members_.size(); ++i) {
    const ModelInfo& m = members_[i]->info();
    if (m.task != first.task || m.classes != first.classes ||
        m.feature_names != first.feature_names) {
      return InvalidArgument("ensemble: member '" + names_[i] + "' differs from '" + names_[0] +
                             "' in task, classes or feature names");
    }
  }
  info_ = ModelInfo{};
  info_.learner = "ensemble";
  info_.task = first.task;
  info_.feature_names = first.feature_names;
  info_.classes = first.classes;
  info_.seed = first.seed;
  info_.train_rows = first.train_rows;
  info_.train_from = first.train_from;
  info_.train_to = first.train_to;
  info_.params["method"] = std::string(EnsembleMethodName(options_.method));
  info_.params["halflife"] = options_.halflife;
  info_.params["temperature"] = options_.temperature;
  info_.params["stacking_fraction"] = options_.stacking_fraction;
  info_.params["members"] = JoinNames(names_);
  if (options_.method == EnsembleMethod::kStacking && !meta_) {
    return InvalidArgument("ensemble: stacking needs a fitted meta-model (use Ensemble::Fit)");
  }
  perf_.members = names_;
  perf_.loss_sum.assign(names_.size(), 0.0);
  perf_.weight_sum.assign(names_.size(), 0.0);
  perf_.observations = 0;
  return Status::Ok();
}

Result<std::unique_ptr<Ensemble>> Ensemble::Create(std::vector<std::unique_ptr<Model>> members,
                                                   std::vector<std::string> names,
                                                   const EnsembleOptions& options) {
  if (options.method != EnsembleMethod::kWeighted) {
    return InvalidArgument(
        "ensemble: Create combines fitted members by weights; stacking "
        "needs Ensemble::Fit");
  }
  std::unique_ptr<Ensemble> e(new Ensemble());
  e->members_ = std::move(members);
  e->names_ = std::move(names);
  e->options_ = options;
  ARUS_RETURN_IF_ERROR(e->Init());
  return e;
}

Result<std::unique_ptr<Ensemble>> Ensemble::Fit(const std::vector<MemberSpec>& specs,
                                                const TrainSet& train, const FitOptions& base,
                                                const EnsembleOptions& options) {
  if (specs.empty()) return InvalidArgument("ensemble: no members");
  std::unique_ptr<Ensemble> e(new Ensemble());
  e->options_ = options;
  for (const MemberSpec& s : specs) e->names_.push_back(s.name);

  auto fit_members = [&](const TrainSet& t) -> Status {
    e->members_.clear();
    for (const MemberSpec& s : specs) {
      FitOptions fo = base;
      fo.params = s.params;
      auto m = FitModel(s.learner, t, fo);
      if (!m.ok()) return m.status().WithContext("ensemble member '" + s.name + "'");
      e->members_.push_back(std::move(m).value());
    }
    return Status::Ok();
  };

  if (options.method == EnsembleMethod::kWeighted) {
    ARUS_RETURN_IF_ERROR(fit_members(train));
  } else {
    ARUS_ASSIGN_OR_RETURN(
        HoldoutSplit split,
        PurgedHoldout(train.x.rows, train.time, train.label_end, options.stacking_fraction));
    const TrainRows fit(train, split.fit), held(train, split.held_out);
    ARUS_RETURN_IF_ERROR(fit_members(fit.set()));
    // Meta features: every member's outputs on the held-out rows.
    const size_t k = base.task == Task::kClassification ? e->members_[0]->info().outputs() : 1;
    Matrix meta_x(held.set().x.rows, k * e->members_.size());
    std::vector<double> out(held.set().x.rows * k);
    std::vector<std::string> meta_names;
    // Sequence members read the rows before the held-out tail as history (features only).
    const size_t h0 = split.held_out.front();
    for (size_t m = 0; m < e->members_.size(); ++m) {
      const size_t ctx = std::min(h0, e->members_[m]->context_rows());
      if (ctx == 0) {
        ARUS_RETURN_IF_ERROR(e->members_[m]->Predict(held.set().x, out));
      } else {
        std::vector<double> all((ctx + held.set().x.rows) * k);
        ARUS_RETURN_IF_ERROR(e->members_[m]->Predict(
            MatrixView{train.x.row(h0 - ctx), ctx + held.set().x.rows, train.x.cols}, all));
        std::copy(all.begin() + ctx * k, all.end(), out.begin());
      }
      for (size_t r = 0; r < held.set().x.rows; ++r) {
        for (size_t c = 0; c < k; ++c) meta_x.at(r, m * k + c) = out[r * k + c];
      }
      for (size_t c = 0; c < k; ++c) meta_names.push_back(specs[m].name + "_" + std::to_string(c));
    }
    FitOptions mo;
    mo.task = base.task;
    mo.feature_names = meta_names;
    mo.seed = base.seed;
    TrainSet meta_train{meta_x.view(), held.set().y, held.set().time, held.set().label_end};
    auto meta = FitModel("logistic", meta_train, mo);
    if (!meta.ok()) return meta.status().WithContext("ensemble meta-model");
    e->meta_ = std::move(meta).value();
  }
  ARUS_RETURN_IF_ERROR(e->Init());
  return e;
}

Status Ensemble::MemberOutputs(std::span<const double> row, std::span<double> member_out) const {
  const size_t k = info_.outputs();
  for (size_t m = 0; m < members_.size(); ++m) {
    ARUS_RETURN_IF_ERROR(members_[m]->PredictRow(row, member_out.subspan(m * k, k)));
  }
  return Status::Ok();
}

std::vector<double> Ensemble::weights() const {
  const size_t n = members_.size();
  std::vector<double> w(n, 1.0 / n);
  if (perf_.observations == 0) return w;
  std::vector<double> loss(n);
  for (size_t m = 0; m < n; ++m) {
    loss[m] = perf_.weight_sum[m] > 0 ? perf_.loss_sum[m] / perf_.weight_sum[m] : 0.0;
  }
  const double best = *std::min_element(loss.begin(), loss.end());
  double total = 0;
  for (size_t m = 0; m < n; ++m) {
    // Regression losses are squared errors of arbitrary scale: compare them relative to the
    // best member's.
    double d =
        info_.task == Task::kClassification ? loss[m] - best : (best > 0 ? loss[m] / best - 1 : 0);
    w[m] = std::exp(-d / options_.temperature);
    total += w[m];
  }
  for (double& x : w) x /= total;
  return w;
}

void Ensemble::Combine(std::span<const double> member_out, std::span<const double> w,
                       std::span<double> out) const {
  const size_t k = info_.outputs();
  std::fill(out.begin(), out.end(), 0.0);
  for (size_t m = 0; m < members_.size(); ++m) {
    for (size_t c = 0; c < k; ++c) out[c] += w[m] * member_out[m * k + c];
  }
}

double Ensemble::RowAgreement(std::span<const double> member_out, std::span<const double> combined,
                              std::span<const double> w) const {
  const size_t k = info_.outputs();
  if (info_.task == Task::kClassification) {
    auto argmax = [k](const double* p) {
      size_t best = 0;
      for (size_t c = 1; c < k; ++c) {
        if (p[c] > p[best]) best = c;
      }
      return best;
    };
    const size_t top = argmax(combined.data());
    double share = 0;
    for (size_t m = 0; m < members_.size(); ++m) {
      if (argmax(member_out.data() + m * k) == top) share += w[m];
    }
    return std::clamp(share, 0.0, 1.0);
  }
  double mean = 0, mean_abs = 0;
  for (size_t m = 0; m < members_.size(); ++m) {
    mean += w[m] * member_out[m];
    mean_abs += w[m] * std::fabs(member_out[m]);
  }
  double var = 0;
  for (size_t m = 0; m < members_.size(); ++m)
    var += w[m] * (member_out[m] - mean) * (member_out[m] - mean);
  const double sd = std::sqrt(var);
  if (mean_abs + sd <= 0) return 1.0;
  return std::clamp(1.0 - sd / (mean_abs + sd), 0.0, 1.0);
}

size_t Ensemble::context_rows() const {
  size_t c = 0;
  for (const auto& m : members_) c = std::max(c, m->context_rows());
  return c;
}

Status Ensemble::BatchMemberOutputs(MatrixView x, size_t skip,
                                    std::vector<double>* member_out) const {
  const size_t k = info_.outputs(), nm = members_.size(), n = x.rows - skip;
  member_out->assign(n * nm * k, 0.0);
  // Row-wise members are predicted a chunk at a time (bounded memory); a sequence member reads
  // history, so it gets the whole run at once.
  const size_t chunk = context_rows() > 0 ? std::max<size_t>(x.rows, 1) : kChunkRows;
  std::vector<double> tmp;
  for (size_t m = 0; m < nm; ++m) {
    for (size_t begin = 0; begin < x.rows; begin += chunk) {
      const size_t rows = std::min(chunk, x.rows - begin);
      tmp.resize(rows * k);
      ARUS_RETURN_IF_ERROR(members_[m]->Predict(MatrixView{x.row(begin), rows, x.cols}, tmp));
      for (size_t r = std::max(begin, skip); r < begin + rows; ++r) {
        std::copy_n(tmp.data() + (r - begin) * k, k,
                    member_out->data() + ((r - skip) * nm + m) * k);
      }
    }
  }
  return Status::Ok();
}

Status Ensemble::Predict(MatrixView x, std::span<double> out) const {
  const size_t k = info_.outputs();
  if (x.cols != info_.feature_names.size() || out.size() != x.rows * k) {
    return InvalidArgument("ensemble predict: expected " +
                           std::to_string(info_.feature_names.size()) + " features and " +
                           std::to_string(x.rows * k) + " outputs");
  }
  if (x.rows == 0) return Status::Ok();
  const size_t n = members_.size();
  const std::vector<double> w = weights();
  std::vector<double> member;  // [row][member][output]
  ARUS_RETURN_IF_ERROR(BatchMemberOutputs(x, 0, &member));
  if (meta_) {
    // The meta-model's features are the members' outputs of a row, in member order.
    return meta_->Predict(MatrixView{member.data(), x.rows, n * k}, out);
  }
  for (size_t r = 0; r < x.rows; ++r) {
    Combine(std::span<const double>(member.data() + r * n * k, n * k), w, out.subspan(r * k, k));
  }
  return Status::Ok();
}

Status Ensemble::PredictRow(std::span<const double> row, std::span<double> out) const {
  const size_t k = info_.outputs();
  if (row.size() != info_.feature_names.size() || out.size() != k) {
    return InvalidArgument("ensemble predict: expected " +
                           std::to_string(info_.feature_names.size()) + " features and " +
                           std::to_string(k) + " outputs");
  }
  std::vector<double> member(members_.size() * k);
  ARUS_RETURN_IF_ERROR(MemberOutputs(row, member));
  if (meta_) return meta_->PredictRow(member, out);
  const std::vector<double> w = weights();
  Combine(member, w, out);
  return Status::Ok();
}

Status Ensemble::Agreement(MatrixView x, std::span<double> out) const {
  const size_t k = info_.outputs(), n = members_.size();
  if (x.cols != info_.feature_names.size() || out.size() != x.rows) {
    return InvalidArgument("ensemble agreement: shape mismatch");
  }
  if (x.rows == 0) return Status::Ok();
  const std::vector<double> w = weights();
  std::vector<double> member, combined(k);
  ARUS_RETURN_IF_ERROR(BatchMemberOutputs(x, 0, &member));
  for (size_t r = 0; r < x.rows; ++r) {
    std::span<const double> mo(member.data() + r * n * k, n * k);
    if (meta_) {
      ARUS_RETURN_IF_ERROR(meta_->PredictRow(mo, combined));
    } else {
      Combine(mo, w, combined);
    }
    out[r] = RowAgreement(mo, combined, w);
  }
  return Status::Ok();
}

double Ensemble::MemberLoss(std::span<const double> p, double y_true) const {
  if (info_.task == Task::kRegression) return (p[0] - y_true) * (p[0] - y_true);
  for (size_t c = 0; c < info_.classes.size(); ++c) {
    if (info_.classes[c] == y_true) return -std::log(std::max(p[c], kMinProb));
  }
  return 0;  // unreachable: callers check the class first
}

void Ensemble::ObserveOutputs(std::span<const double> member_out, double y_true) {
  const size_t k = info_.outputs();
  const double decay = std::exp2(-1.0 / options_.halflife);
  for (size_t m = 0; m < members_.size(); ++m) {
    perf_.loss_sum[m] =
        decay * perf_.loss_sum[m] + MemberLoss(member_out.subspan(m * k, k), y_true);
    perf_.weight_sum[m] = decay * perf_.weight_sum[m] + 1.0;
  }
  ++perf_.observations;
}

Status Ensemble::Observe(std::span<const double> row, double y_true) {
  if (row.size() != info_.feature_names.size()) {
    return InvalidArgument("ensemble observe: expected " +
                           std::to_string(info_.feature_names.size()) + " features");
  }
  if (!std::isfinite(y_true) ||
      (info_.task == Task::kClassification &&
       std::find(info_.classes.begin(), info_.classes.end(), y_true) == info_.classes.end())) {
    return InvalidArgument("ensemble observe: outcome " + std::to_string(y_true) +
                           " is not one of the model's classes");
  }
  std::vector<double> member(members_.size() * info_.outputs());
  ARUS_RETURN_IF_ERROR(MemberOutputs(row, member));
  ObserveOutputs(member, y_true);
  return Status::Ok();
}

Status Ensemble::PredictOnline(const TrainSet& rows, std::span<double> out,
                               std::span<double> agreement, MatrixView context) {
  const size_t n = rows.x.rows, k = info_.outputs(), nm = members_.size();
  if (rows.x.cols != info_.feature_names.size() || out.size() != n * k || agreement.size() != n ||
      rows.y.size() != n || rows.time.size() != n || rows.label_end.size() != n) {
    return InvalidArgument(
        "ensemble online prediction: shape mismatch (needs x, y, time and "
        "label_end for every row)");
  }
  if (context.rows > 0 && context.cols != rows.x.cols) {
    return InvalidArgument("ensemble online prediction: context has " +
                           std::to_string(context.cols) + " columns, rows have " +
                           std::to_string(rows.x.cols));
  }
  if (n == 0) return Status::Ok();
  // Member outputs of every row, computed once in batches; sequence members read the context
  // rows as history (only as many as the deepest member needs).
  std::vector<double> member;
  const size_t ctx = std::min(context.rows, context_rows());
  if (ctx == 0) {
    ARUS_RETURN_IF_ERROR(BatchMemberOutputs(rows.x, 0, &member));
  } else {
    Matrix joined(ctx + n, rows.x.cols);
    std::copy_n(context.row(context.rows - ctx), ctx * context.cols, joined.data.data());
    std::copy_n(rows.x.data, n * rows.x.cols, joined.row(ctx));
    ARUS_RETURN_IF_ERROR(BatchMemberOutputs(joined.view(), ctx, &member));
  }
  // Rows waiting for their outcome, in label_end order (a min-heap on (label_end, row)).
  std::vector<std::pair<UnixNanos, size_t>> pending;
  auto later = [](const auto& a, const auto& b) { return a > b; };
  std::vector<double> w;
  for (size_t r = 0; r < n; ++r) {
    while (!pending.empty() && pending.front().first <= rows.time[r]) {
      std::pop_heap(pending.begin(), pending.end(), later);
      const size_t j = pending.back().second;
      pending.pop_back();
      const double y = rows.y[j];
      if (info_.task == Task::kClassification &&
          std::find(info_.classes.begin(), info_.classes.end(), y) == info_.classes.end()) {
        continue;  // a class the members never saw: no loss to attribute
      }
      if (std::isfinite(y)) ObserveOutputs(std::span(member).subspan(j * nm * k, nm * k), y);
    }
    w = weights();
    std::span<const double> mo(member.data() + r * nm * k, nm * k);
    std::span<double> o = out.subspan(r * k, k);
    if (meta_) {
      ARUS_RETURN_IF_ERROR(meta_->PredictRow(mo, o));
    } else {
      Combine(mo, w, o);
    }
    agreement[r] = RowAgreement(mo, o, w);
    pending.emplace_back(rows.label_end[r], r);
    std::push_heap(pending.begin(), pending.end(), later);
  }
  return Status::Ok();
}

namespace {

// Every member's stream, combined like PredictRow (weights or the meta-model) at each step.
class EnsembleStream final : public ModelStream {
 public:
  EnsembleStream(const Ensemble& e, const Model* meta) : e_(e), meta_(meta) {
    const size_t n = e.member_names().size();
    for (size_t m = 0; m < n; ++m) members_.push_back(e.member(m).NewStream());
    member_out_.resize(n * e.info().outputs());
  }

  Status Step(std::span<const double> row, std::span<double> out) override {
    const size_t k = e_.info().outputs();
    if (row.size() != e_.info().feature_names.size() || out.size() != k) {
      return InvalidArgument("ensemble stream: expected " +
                             std::to_string(e_.info().feature_names.size()) + " features and " +
                             std::to_string(k) + " outputs");
    }
    for (size_t m = 0; m < members_.size(); ++m) {
      ARUS_RETURN_IF_ERROR(members_[m]->Step(row, std::span(member_out_).subspan(m * k, k)));
    }
    if (meta_) return meta_->PredictRow(member_out_, out);
    const std::vector<double> w = e_.weights();
    std::fill(out.begin(), out.end(), 0.0);
    for (size_t m = 0; m < members_.size(); ++m) {
      for (size_t c = 0; c < k; ++c) out[c] += w[m] * member_out_[m * k + c];
    }
    return Status::Ok();
  }

  void Reset() override {
    for (auto& s : members_) s->Reset();
  }

 private:
  const Ensemble& e_;
  const Model* meta_;
  std::vector<std::unique_ptr<ModelStream>> members_;
  std::vector<double> member_out_;
};

}  // namespace

std::unique_ptr<ModelStream> Ensemble::NewStream() const {
  return std::make_unique<EnsembleStream>(*this, meta_.get());
}

std::vector<double> Ensemble::FeatureImportance() const {
  const std::vector<double> w = weights();
  std::vector<double> total(info_.feature_names.size(), 0.0);
  double used = 0;
  for (size_t m = 0; m < members_.size(); ++m) {
    std::vector<double> imp = members_[m]->FeatureImportance();
    if (imp.size() != total.size()) continue;
    for (size_t i = 0; i < imp.size(); ++i) total[i] += w[m] * imp[i];
    used += w[m];
  }
  if (used <= 0) return {};
  for (double& x : total) x /= used;
  return total;
}

Status Ensemble::SetPerformance(const EnsemblePerformance& perf) {
  if (perf.loss_sum.size() != perf.members.size() ||
      perf.weight_sum.size() != perf.members.size()) {
    return InvalidArgument("ensemble performance record: sizes differ");
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    auto it = std::find(perf.members.begin(), perf.members.end(), names_[i]);
    if (it == perf.members.end()) continue;
    const size_t j = it - perf.members.begin();
    if (!std::isfinite(perf.loss_sum[j]) || !(perf.weight_sum[j] >= 0)) {
      return InvalidArgument("ensemble performance record: bad values for '" + names_[i] + "'");
    }
    perf_.loss_sum[i] = perf.loss_sum[j];
    perf_.weight_sum[i] = perf.weight_sum[j];
  }
  perf_.observations = perf.observations;
  return Status::Ok();
}

// ---- Save / load -------------------------------------------------------------------------------

Status Ensemble::Save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/members", ec);
  if (ec) return IoError("create '" + dir + "/members': " + ec.message());
  for (size_t m = 0; m < members_.size(); ++m) {
    ARUS_RETURN_IF_ERROR(members_[m]->Save(dir + "/members/" + names_[m]));
  }
  if (meta_) ARUS_RETURN_IF_ERROR(meta_->Save(dir + "/meta"));
  nlohmann::json j;
  j["format"] = "arus-model";
  j["version"] = 1;
  j["learner"] = "ensemble";
  j["task"] = std::string(TaskName(info_.task));
  j["method"] = std::string(EnsembleMethodName(options_.method));
  j["halflife"] = options_.halflife;
  j["temperature"] = options_.temperature;
  j["stacking_fraction"] = options_.stacking_fraction;
  j["members"] = names_;
  j["performance"] = {{"loss_sum", perf_.loss_sum},
                      {"weight_sum", perf_.weight_sum},
                      {"observations", perf_.observations}};
  return WriteFileAtomic(dir + "/model.json", j.dump(2) + "\n");
}

Result<std::unique_ptr<Ensemble>> Ensemble::Load(const std::string& dir) {
  const std::string path = dir + "/model.json";
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (!JsonDepthOk(text, kMaxJsonDepth)) return ParseError(path, 0, "", "JSON nested too deeply");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return ParseError(path, 0, "", "not valid JSON");
  std::unique_ptr<Ensemble> e(new Ensemble());
  try {
    if (j.at("learner").get<std::string>() != "ensemble") {
      return ParseError(path, 0, "learner", "not an ensemble");
    }
    auto method = ParseEnsembleMethod(j.at("method").get<std::string>());
    if (!method.ok()) return ParseError(path, 0, "method", method.status().message());
    e->options_.method = method.value();
    e->options_.halflife = j.at("halflife").get<double>();
    e->options_.temperature = j.at("temperature").get<double>();
    e->options_.stacking_fraction = j.at("stacking_fraction").get<double>();
    e->names_ = j.at("members").get<std::vector<std::string>>();
    for (const std::string& n : e->names_) {
      if (!ValidMemberName(n)) return ParseError(path, 0, "members", "bad member name '" + n + "'");
      auto m = LoadModel(dir + "/members/" + n);
      if (!m.ok()) return m.status();
      e->members_.push_back(std::move(m).value());
    }
    if (e->options_.method == EnsembleMethod::kStacking) {
      auto meta = LoadModel(dir + "/meta");
      if (!meta.ok()) return meta.status();
      e->meta_ = std::move(meta).value();
    }
    Status s = e->Init();
    if (!s.ok()) return ParseError(path, 0, "", s.message());
    EnsemblePerformance perf;
    perf.members = e->names_;
    const nlohmann::json& p = j.at("performance");
    perf.loss_sum = p.at("loss_sum").get<std::vector<double>>();
    perf.weight_sum = p.at("weight_sum").get<std::vector<double>>();
    perf.observations = p.at("observations").get<size_t>();
    s = e->SetPerformance(perf);
    if (!s.ok()) return ParseError(path, 0, "performance", s.message());
  } catch (const nlohmann::json::exception& ex) {
    return ParseError(path, 0, "", std::string("malformed ensemble: ") + ex.what());
  }
  return e;
}

Result<std::unique_ptr<Model>> LoadEnsemble(const std::string& dir) {
  auto e = Ensemble::Load(dir);
  if (!e.ok()) return e.status();
  return std::unique_ptr<Model>(std::move(e).value());
}

}  // namespace arus::ml
