// The "logistic" learner: liblinear's L2 / L1 regularised logistic regression for classification,
// L2-regularised least squares (liblinear's L2-loss SVR with epsilon 0) for regression.
// Artefact: liblinear's own text model file "liblinear.model" (weights written with %.17g, so a
// loaded model predicts bit for bit what the fitted one did).
#include <linear.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/file.h"
#include "ml/json_util.h"
#include "ml/learners.h"

namespace arus::ml {

namespace {

constexpr char kModelFile[] = "liblinear.model";
constexpr size_t kMaxModelBytes = size_t{1} << 30;

void Silent(const char*) {}

struct LinearModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};
using LinearModelPtr = std::unique_ptr<model, LinearModelDeleter>;

// One row as liblinear nodes: features 1..cols (NaN omitted, i.e. taken as 0), the bias feature
// cols + 1 with value 1, and the terminator.
void FillNodes(const double* row, size_t cols, feature_node* nodes) {
  size_t n = 0;
  for (size_t c = 0; c < cols; ++c) {
    if (std::isnan(row[c])) continue;
    nodes[n++] = feature_node{static_cast<int>(c + 1), row[c]};
  }
  nodes[n++] = feature_node{static_cast<int>(cols + 1), 1.0};
  nodes[n] = feature_node{-1, 0.0};
}

class LinearRaw final : public RawModel {
 public:
  LinearRaw(LinearModelPtr m, int num_classes, size_t cols)
      : m_(std::move(m)), k_(num_classes), cols_(cols) {}

  void Predict(MatrixView x, std::span<double> out) const override {
    const size_t k = k_ > 0 ? k_ : 1;
    for (size_t r = 0; r < x.rows; ++r) PredictRow(x.row(r), out.data() + r * k);
  }

  void PredictRow(const double* row, double* out) const override {
    // Per-thread scratch: allocates on the first call of a thread only.
    thread_local std::vector<feature_node> nodes;
    thread_local std::vector<double> prob;
    if (nodes.size() < cols_ + 2) nodes.resize(cols_ + 2);
    FillNodes(row, cols_, nodes.data());
    if (k_ == 0) {
      double dec = 0;
      *out = predict_values(m_.get(), nodes.data(), &dec);
      return;
    }
    const int nr = m_->nr_class;
    if (prob.size() < static_cast<size_t>(nr)) prob.resize(nr);
    predict_probability(m_.get(), nodes.data(), prob.data());
    for (int c = 0; c < k_; ++c) out[c] = 0;
    for (int i = 0; i < nr; ++i) out[m_->label[i]] = prob[i];
  }

  std::vector<double> Importance() const override {
    // Inputs are standardised by default, so |coefficient| compares features; mean over the
    // one-vs-rest weight vectors.
    const int nr_w = (m_->nr_class == 2 && m_->param.solver_type != MCSVM_CS) ? 1 : m_->nr_class;
    std::vector<double> imp(cols_, 0);
    for (size_t j = 0; j < cols_; ++j) {
      double s = 0;
      for (int i = 0; i < nr_w; ++i) s += std::fabs(m_->w[j * nr_w + i]);
      imp[j] = s / nr_w;
    }
    return imp;
  }

  Status Save(const std::string& dir) const override {
    const std::string path = dir + "/" + kModelFile;
    std::ostringstream tmp;
    tmp << path << ".tmp." << ::getpid() << "." << std::this_thread::get_id();
    int rc;
    {
      std::lock_guard<std::mutex> lock(CLibraryMutex());  // save_model switches the C locale
      rc = save_model(tmp.str().c_str(), m_.get());
    }
    if (rc != 0) {
      std::remove(tmp.str().c_str());
      return IoError("liblinear could not write '" + tmp.str() + "'");
    }
    auto text = ReadFile(tmp.str());
    std::remove(tmp.str().c_str());
    if (!text.ok()) return text.status();
    return WriteFileAtomic(path, *text);
  }

 private:
  LinearModelPtr m_;
  int k_;  // 0 for regression
  size_t cols_;
};

Result<std::unique_ptr<RawModel>> FitLinear(const RawFitInput& in) {
  const ParamMap& p = *in.params;
  const size_t rows = in.x.rows, cols = in.x.cols;
  const bool classification = in.num_classes > 0;
  const std::string& penalty = GetString(p, "penalty");
  if (!classification && penalty != "l2") {
    return InvalidArgument("learner 'logistic': penalty '" + penalty +
                           "' is for classification only; regression uses l2");
  }
  if (rows > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      cols + 1 >= static_cast<size_t>(std::numeric_limits<int>::max())) {
    return InvalidArgument("learner 'logistic': window too large for liblinear");
  }
  // Missing values only reach the learner when impute is off.
  for (size_t i = 0; i < rows * cols; ++i) {
    if (std::isnan(in.x.data[i])) {
      return InvalidArgument("learner 'logistic' cannot fit missing values; keep impute = true");
    }
  }
  std::vector<feature_node> nodes(rows * (cols + 2));
  std::vector<feature_node*> xs(rows);
  for (size_t r = 0; r < rows; ++r) {
    xs[r] = nodes.data() + r * (cols + 2);
    FillNodes(in.x.row(r), cols, xs[r]);
  }
  std::vector<double> y(in.y.begin(), in.y.end());
  double y_mean = 0;
  if (!classification) {
    // Centre the target so the (regularised) bias starts near its optimum.
    for (double v : y) y_mean += v;
    y_mean /= static_cast<double>(rows);
    for (double& v : y) v -= y_mean;
  }
  problem prob{};
  prob.l = static_cast<int>(rows);
  prob.n = static_cast<int>(cols + 1);
  prob.y = y.data();
  prob.x = xs.data();
  prob.bias = 1;

  parameter param{};
  param.solver_type = !classification ? L2R_L2LOSS_SVR : penalty == "l1" ? L1R_LR : L2R_LR;
  param.eps = GetDouble(p, "tol");
  param.C = GetDouble(p, "C");
  param.p = 0;
  std::vector<int> weight_label;
  std::vector<double> weight;
  if (classification && GetString(p, "class_weight") == "balanced") {
    std::vector<double> count(in.num_classes, 0);
    for (double v : in.y) count[static_cast<int>(v)] += 1;
    const double present = static_cast<double>(
        std::count_if(count.begin(), count.end(), [](double c) { return c > 0; }));
    for (int c = 0; c < in.num_classes; ++c) {
      if (count[c] == 0) continue;
      weight_label.push_back(c);
      weight.push_back(static_cast<double>(rows) / (present * count[c]));
    }
    param.nr_weight = static_cast<int>(weight.size());
    param.weight_label = weight_label.data();
    param.weight = weight.data();
  }
  if (const char* err = check_parameter(&prob, &param)) {
    return InvalidArgument(std::string("learner 'logistic': liblinear: ") + err);
  }
  LinearModelPtr m;
  {
    std::lock_guard<std::mutex> lock(CLibraryMutex());
    set_print_string_function(&Silent);
    // The L1 solver visits coordinates in rand() order.
    std::srand(static_cast<unsigned>(in.seed ^ (in.seed >> 32)));
    m.reset(train(&prob, &param));
  }
  if (m == nullptr) return Internal("learner 'logistic': liblinear returned no model");
  // The model copies `param`; its weight arrays are ours and die with this frame.
  m->param.nr_weight = 0;
  m->param.weight_label = nullptr;
  m->param.weight = nullptr;
  m->param.init_sol = nullptr;
  if (!classification) {
    m->w[cols] += y_mean;  // the bias feature is 1: folds the centring back into the bias
  } else if (m->nr_class < 2) {
    return InvalidArgument("learner 'logistic': the training rows hold only one class");
  }
  return std::unique_ptr<RawModel>(new LinearRaw(std::move(m), in.num_classes, cols));
}

// Checks the header of a liblinear model file before liblinear allocates for it.
Status CheckHeader(const std::string& text, const std::string& path, size_t cols, int k) {
  std::istringstream in(text);
  std::string line;
  bool saw_w = false, saw_feature = false;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "w") {
      saw_w = true;
      break;
    }
    if (key == "nr_feature") {
      long long n = -1;
      ls >> n;
      if (n != static_cast<long long>(cols)) {
        return Corruption(path + ": nr_feature " + std::to_string(n) + ", the model has " +
                          std::to_string(cols) + " features");
      }
      saw_feature = true;
    } else if (key == "nr_class") {
      long long n = -1;
      ls >> n;
      if (n < 2 || n > std::max(k, 2)) {
        return Corruption(path + ": nr_class " + std::to_string(n) + " does not fit the model");
      }
    }
  }
  if (!saw_w || !saw_feature) return Corruption(path + ": not a liblinear model (no header)");
  return Status::Ok();
}

Result<std::unique_ptr<RawModel>> LoadLinear(const RawLoadInput& in) {
  const std::string path = in.dir + "/" + kModelFile;
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (text.size() > kMaxModelBytes) return Corruption(path + ": file too large");
  const int k =
      in.info->task == Task::kClassification ? static_cast<int>(in.info->classes.size()) : 0;
  ARUS_RETURN_IF_ERROR(CheckHeader(text, path, in.cols, k));
  LinearModelPtr m;
  {
    std::lock_guard<std::mutex> lock(CLibraryMutex());  // load_model switches the C locale
    m.reset(load_model(path.c_str()));
  }
  if (m == nullptr) return Corruption(path + ": liblinear could not read the model");
  if (m->nr_feature != static_cast<int>(in.cols) || m->bias != 1) {
    return Corruption(path + ": feature count or bias term disagrees with model.json");
  }
  if (k == 0) {
    if (!check_regression_model(m.get())) {
      return Corruption(path + ": not a regression model");
    }
  } else {
    if (!check_probability_model(m.get()) || m->label == nullptr || m->nr_class < 2 ||
        m->nr_class > k) {
      return Corruption(path + ": not a logistic model for " + std::to_string(k) + " classes");
    }
    std::vector<bool> seen(k, false);
    for (int i = 0; i < m->nr_class; ++i) {
      const int l = m->label[i];
      if (l < 0 || l >= k || seen[l]) return Corruption(path + ": bad class labels");
      seen[l] = true;
    }
  }
  return std::unique_ptr<RawModel>(new LinearRaw(std::move(m), k, in.cols));
}

}  // namespace

LearnerDef LogisticLearner() {
  LearnerDef d;
  d.name = "logistic";
  d.help =
      "liblinear regularised logistic regression (penalty l2 or l1), probabilities from its "
      "logistic output (one-vs-rest, normalised, for more than two classes); for regression, "
      "L2-regularised least squares (liblinear's L2-loss SVR with epsilon 0)";
  d.classification = true;
  d.regression = true;
  d.params = {
      {"penalty",
       ParamType::kString,
       std::string("l2"),
       0,
       0,
       {"l2", "l1"},
       "regularisation: l2 (ridge) or l1 (lasso, sparse weights; classification only)"},
      {"C",
       ParamType::kDouble,
       1.0,
       1e-6,
       1e6,
       {},
       "inverse regularisation strength: larger C fits the training window more closely"},
      {"tol", ParamType::kDouble, 1e-4, 1e-12, 1, {}, "liblinear's stopping tolerance (eps)"},
      {"class_weight",
       ParamType::kString,
       std::string("none"),
       0,
       0,
       {"none", "balanced"},
       "balanced: weight class c by rows / (classes * rows of c) (classification)"},
  };
  d.common.impute = true;
  d.common.clip = 5;
  d.common.standardize = true;
  d.common.calibration = "none";
  d.fit = &FitLinear;
  d.load = &LoadLinear;
  return d;
}

}  // namespace arus::ml
