// The "svm" learner: libsvm's C-SVC with an RBF kernel and Platt-scaled probabilities for
// classification, epsilon-SVR on the standardised target for regression.
//
// libsvm trains; prediction runs here, from a dense copy of the support vectors, with libsvm's
// arithmetic (RBF kernel, pairwise Platt sigmoids, Wu-Lin-Weng coupling for more than two
// classes): libsvm's svm_predict_probability allocates on every call, and the live path must not.
// The copy is taken right after svm_train, so the model never points into the training problem's
// node arrays (which svm_train's model does).
//
// Artefacts: "libsvm.model" in libsvm's own text format, written here with shortest round-trip
// numbers (libsvm writes support vectors with 8 digits; svm-predict reads ours unchanged), and
// "svm.json" with what libsvm's file cannot hold (target scaling, permutation importance).
#include <svm.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/format.h"
#include "ml/json_util.h"
#include "ml/learners.h"

namespace arus::ml {

namespace {

constexpr char kModelFile[] = "libsvm.model";
constexpr char kExtrasFile[] = "svm.json";
constexpr size_t kMaxModelBytes = size_t{1} << 31;
constexpr size_t kImportanceRows = 2000;
constexpr size_t kMinImportanceRows = 200;
// Rows x features x support vectors kernel updates allowed for the importance (a few seconds).
constexpr double kImportanceBudget = 2.5e8;
constexpr size_t kImportanceBlock = 32;
constexpr double kMinPairProb = 1e-7;  // libsvm's clamp of pairwise probabilities
constexpr double kMinLogProb = 1e-15;

void Silent(const char*) {}

// Everything prediction needs, copied out of libsvm's svm_model.
struct SvmState {
  bool classification = true;
  int k = 0;         // our class count (classification)
  int nr_class = 0;  // libsvm's (classes present in the training rows; 2 for regression)
  size_t l = 0;      // support vectors
  size_t cols = 0;
  double gamma = 0;
  std::vector<double> sv;    // l * cols, dense
  std::vector<double> coef;  // (nr_class - 1) * l
  std::vector<double> rho;   // nr_class * (nr_class - 1) / 2
  std::vector<double> prob_a, prob_b;
  std::vector<int> label;  // libsvm order -> our class index
  std::vector<int> nsv;
  std::vector<size_t> start;
  // Ours.
  double y_mean = 0, y_sd = 1;
  size_t train_rows = 0;
  std::vector<double> importance;
};

struct Scratch {
  std::vector<double> kv, dec, r, q, qp, p;
};

// libsvm's sigmoid_predict.
double SigmoidPredict(double dec, double a, double b) {
  const double f = dec * a + b;
  if (f >= 0) return std::exp(-f) / (1.0 + std::exp(-f));
  return 1.0 / (1 + std::exp(f));
}

// libsvm's multiclass_probability (Wu, Lin and Weng 2004, method 2) on the k x k pairwise matrix
// r (row-major); q and qp are scratch.
void MulticlassProbability(int k, const double* r, double* p, std::vector<double>& q,
                           std::vector<double>& qp) {
  const int max_iter = std::max(100, k);
  const double eps = 0.005 / k;
  q.assign(static_cast<size_t>(k) * k, 0);
  qp.assign(k, 0);
  for (int t = 0; t < k; ++t) {
    p[t] = 1.0 / k;
    q[t * k + t] = 0;
    for (int j = 0; j < t; ++j) {
      q[t * k + t] += r[j * k + t] * r[j * k + t];
      q[t * k + j] = q[j * k + t];
    }
    for (int j = t + 1; j < k; ++j) {
      q[t * k + t] += r[j * k + t] * r[j * k + t];
      q[t * k + j] = -r[j * k + t] * r[t * k + j];
    }
  }
  for (int iter = 0; iter < max_iter; ++iter) {
    double pqp = 0;
    for (int t = 0; t < k; ++t) {
      qp[t] = 0;
      for (int j = 0; j < k; ++j) qp[t] += q[t * k + j] * p[j];
      pqp += p[t] * qp[t];
    }
    double max_error = 0;
    for (int t = 0; t < k; ++t) max_error = std::max(max_error, std::fabs(qp[t] - pqp));
    if (max_error < eps) break;
    for (int t = 0; t < k; ++t) {
      const double diff = (-qp[t] + pqp) / q[t * k + t];
      p[t] += diff;
      pqp = (pqp + diff * (diff * q[t * k + t] + 2 * qp[t])) / (1 + diff) / (1 + diff);
      for (int j = 0; j < k; ++j) {
        qp[j] = (qp[j] + diff * q[t * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

// Outputs from kernel values kv[0..l): K probabilities in our class order, or the regression
// value in target units. `std_out` (regression) receives the standardised value.
void FromKernel(const SvmState& s, const double* kv, double* out, Scratch& w,
                double* std_out = nullptr) {
  if (!s.classification) {
    double sum = 0;
    for (size_t i = 0; i < s.l; ++i) sum += s.coef[i] * kv[i];
    sum -= s.rho[0];
    if (std_out != nullptr) *std_out = sum;
    *out = sum * s.y_sd + s.y_mean;
    return;
  }
  const int nr = s.nr_class;
  w.r.resize(static_cast<size_t>(nr) * nr);
  w.p.resize(nr);
  int pair = 0;
  for (int i = 0; i < nr; ++i) {
    for (int j = i + 1; j < nr; ++j) {
      double sum = 0;
      const size_t si = s.start[i], sj = s.start[j];
      const double* coef1 = s.coef.data() + static_cast<size_t>(j - 1) * s.l;
      const double* coef2 = s.coef.data() + static_cast<size_t>(i) * s.l;
      for (int t = 0; t < s.nsv[i]; ++t) sum += coef1[si + t] * kv[si + t];
      for (int t = 0; t < s.nsv[j]; ++t) sum += coef2[sj + t] * kv[sj + t];
      sum -= s.rho[pair];
      const double pr =
          std::min(std::max(SigmoidPredict(sum, s.prob_a[pair], s.prob_b[pair]), kMinPairProb),
                   1 - kMinPairProb);
      w.r[i * nr + j] = pr;
      w.r[j * nr + i] = 1 - pr;
      ++pair;
    }
  }
  if (nr == 2) {
    w.p[0] = w.r[0 * nr + 1];
    w.p[1] = w.r[1 * nr + 0];
  } else {
    MulticlassProbability(nr, w.r.data(), w.p.data(), w.q, w.qp);
  }
  for (int c = 0; c < s.k; ++c) out[c] = 0;
  for (int i = 0; i < nr; ++i) out[s.label[i]] = w.p[i];
}

// exp(-gamma * |x - sv_i|^2) for every support vector; NaN inputs count as 0.
void Kernel(const SvmState& s, const double* x, double* kv) {
  for (size_t i = 0; i < s.l; ++i) {
    const double* v = s.sv.data() + i * s.cols;
    double sum = 0;
    for (size_t c = 0; c < s.cols; ++c) {
      const double d = (std::isnan(x[c]) ? 0.0 : x[c]) - v[c];
      sum += d * d;
    }
    kv[i] = std::exp(-s.gamma * sum);
  }
}

class SvmRaw final : public RawModel {
 public:
  explicit SvmRaw(SvmState s) : s_(std::move(s)) {}

  void Predict(MatrixView x, std::span<double> out) const override {
    const size_t k = s_.classification ? s_.k : 1;
    for (size_t r = 0; r < x.rows; ++r) PredictRow(x.row(r), out.data() + r * k);
  }

  void PredictRow(const double* row, double* out) const override {
    thread_local Scratch w;  // grows on a thread's first calls only
    if (w.kv.size() < s_.l) w.kv.resize(s_.l);
    Kernel(s_, row, w.kv.data());
    FromKernel(s_, w.kv.data(), out, w);
  }

  std::vector<double> Importance() const override { return s_.importance; }

  Status Save(const std::string& dir) const override;

  const SvmState& state() const { return s_; }

 private:
  SvmState s_;
};

// ---- libsvm's model file -----------------------------------------------------------------------

void AppendNum(std::string* out, double v) { AppendShortest(out, v); }

std::string ModelText(const SvmState& s) {
  std::string t;
  t += s.classification ? "svm_type c_svc\n" : "svm_type epsilon_svr\n";
  t += "kernel_type rbf\ngamma ";
  AppendNum(&t, s.gamma);
  t += "\nnr_class " + std::to_string(s.nr_class) + "\ntotal_sv " + std::to_string(s.l) + "\nrho";
  for (double v : s.rho) {
    t += ' ';
    AppendNum(&t, v);
  }
  t += '\n';
  if (s.classification) {
    t += "label";
    for (int v : s.label) t += " " + std::to_string(v);
    t += "\nprobA";
    for (double v : s.prob_a) {
      t += ' ';
      AppendNum(&t, v);
    }
    t += "\nprobB";
    for (double v : s.prob_b) {
      t += ' ';
      AppendNum(&t, v);
    }
    t += "\nnr_sv";
    for (int v : s.nsv) t += " " + std::to_string(v);
    t += '\n';
  }
  t += "SV\n";
  const size_t m = static_cast<size_t>(s.nr_class - 1);
  for (size_t i = 0; i < s.l; ++i) {
    for (size_t j = 0; j < m; ++j) {
      AppendNum(&t, s.coef[j * s.l + i]);
      t += ' ';
    }
    for (size_t c = 0; c < s.cols; ++c) {
      t += std::to_string(c + 1) + ':';
      AppendNum(&t, s.sv[i * s.cols + c]);
      t += ' ';
    }
    t += '\n';
  }
  return t;
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseNum(std::string_view t, double* v) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size() && std::isfinite(*v);
}
bool ParseInt(std::string_view t, long long* v) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size();
}

// Parses libsvm's RBF model text (ours or svm_save_model's) into `s` (cols, k, classification
// set by the caller). Every count and index is checked against the file and the model.
Status ParseModelText(std::string_view text, const std::string& path, SvmState* s) {
  auto bad = [&path](size_t line, const std::string& what) {
    return Corruption(path + ":" + std::to_string(line) + ": " + what);
  };
  size_t pos = 0, line_no = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    size_t e = text.find('\n', pos);
    if (e == std::string_view::npos) e = text.size();
    *line = text.substr(pos, e - pos);
    pos = e + 1;
    ++line_no;
    return true;
  };
  long long total_sv = -1, nr_class = -1;
  bool saw_type = false, saw_kernel = false, saw_sv = false;
  std::string_view line;
  auto numbers = [&](const std::vector<std::string_view>& tok, std::vector<double>* out) {
    out->clear();
    for (size_t i = 1; i < tok.size(); ++i) {
      double v;
      if (!ParseNum(tok[i], &v)) return false;
      out->push_back(v);
    }
    return true;
  };
  auto ints = [&](const std::vector<std::string_view>& tok, std::vector<int>* out) {
    out->clear();
    for (size_t i = 1; i < tok.size(); ++i) {
      long long v;
      if (!ParseInt(tok[i], &v) || v < 0 || v > std::numeric_limits<int>::max()) return false;
      out->push_back(static_cast<int>(v));
    }
    return true;
  };
  while (next_line(&line)) {
    const std::vector<std::string_view> tok = Tokens(line);
    if (tok.empty()) continue;
    const std::string_view key = tok[0];
    if (key == "SV") {
      saw_sv = true;
      break;
    }
    if (key == "svm_type") {
      const std::string_view want = s->classification ? "c_svc" : "epsilon_svr";
      if (tok.size() != 2 || tok[1] != want) {
        return bad(line_no, "svm_type must be " + std::string(want));
      }
      saw_type = true;
    } else if (key == "kernel_type") {
      if (tok.size() != 2 || tok[1] != "rbf") return bad(line_no, "kernel_type must be rbf");
      saw_kernel = true;
    } else if (key == "gamma") {
      if (tok.size() != 2 || !ParseNum(tok[1], &s->gamma) || !(s->gamma > 0)) {
        return bad(line_no, "gamma must be a number > 0");
      }
    } else if (key == "nr_class" || key == "total_sv") {
      long long v;
      if (tok.size() != 2 || !ParseInt(tok[1], &v) || v < 0) {
        return bad(line_no, std::string(key) + " must be a count");
      }
      (key == "nr_class" ? nr_class : total_sv) = v;
    } else if (key == "rho") {
      if (!numbers(tok, &s->rho)) return bad(line_no, "rho: bad number");
    } else if (key == "probA") {
      if (!numbers(tok, &s->prob_a)) return bad(line_no, "probA: bad number");
    } else if (key == "probB") {
      if (!numbers(tok, &s->prob_b)) return bad(line_no, "probB: bad number");
    } else if (key == "label") {
      if (!ints(tok, &s->label)) return bad(line_no, "label: bad class index");
    } else if (key == "nr_sv") {
      if (!ints(tok, &s->nsv)) return bad(line_no, "nr_sv: bad count");
    } else if (key == "degree" || key == "coef0") {
      // Unused by the RBF kernel; svm_save_model writes them for other kernels only.
    } else {
      return bad(line_no, "unknown key '" + std::string(key) + "'");
    }
  }
  if (!saw_type || !saw_kernel || !saw_sv || s->gamma == 0) {
    return Corruption(path + ": not a libsvm RBF model (header incomplete)");
  }
  const long long max_class = s->classification ? s->k : 2;
  if (nr_class < 2 || nr_class > max_class) {
    return Corruption(path + ": nr_class " + std::to_string(nr_class) + " does not fit the model");
  }
  s->nr_class = static_cast<int>(nr_class);
  const size_t pairs = static_cast<size_t>(nr_class * (nr_class - 1) / 2);
  // Every support vector takes a line of at least two characters.
  if (total_sv < 1 || static_cast<size_t>(total_sv) > text.size() / 2) {
    return Corruption(path + ": total_sv " + std::to_string(total_sv) + " does not fit the file");
  }
  s->l = static_cast<size_t>(total_sv);
  if (s->rho.size() != pairs) return Corruption(path + ": rho has the wrong length");
  if (s->classification) {
    if (s->label.size() != s->nsv.size() || s->label.size() != static_cast<size_t>(nr_class) ||
        s->prob_a.size() != pairs || s->prob_b.size() != pairs) {
      return Corruption(path + ": label / nr_sv / probA / probB lengths disagree with nr_class");
    }
    std::vector<bool> seen(s->k, false);
    size_t sum = 0;
    for (size_t i = 0; i < s->label.size(); ++i) {
      if (s->label[i] >= s->k || seen[s->label[i]]) return Corruption(path + ": bad labels");
      seen[s->label[i]] = true;
      sum += static_cast<size_t>(s->nsv[i]);
    }
    if (sum != s->l) return Corruption(path + ": nr_sv does not add up to total_sv");
    s->start.assign(nr_class, 0);
    for (int i = 1; i < nr_class; ++i) s->start[i] = s->start[i - 1] + s->nsv[i - 1];
  } else if (!s->label.empty() || !s->nsv.empty()) {
    return Corruption(path + ": a regression model has no labels");
  }
  const size_t m = static_cast<size_t>(nr_class - 1);
  s->coef.assign(m * s->l, 0);
  s->sv.assign(s->l * s->cols, 0);
  for (size_t i = 0; i < s->l; ++i) {
    if (!next_line(&line)) return Corruption(path + ": fewer support vectors than total_sv");
    const std::vector<std::string_view> tok = Tokens(line);
    if (tok.size() < m) return bad(line_no, "support vector line too short");
    for (size_t j = 0; j < m; ++j) {
      if (!ParseNum(tok[j], &s->coef[j * s->l + i])) return bad(line_no, "bad coefficient");
    }
    long long prev = 0;
    for (size_t t = m; t < tok.size(); ++t) {
      const size_t colon = tok[t].find(':');
      long long idx;
      double v;
      if (colon == std::string_view::npos || !ParseInt(tok[t].substr(0, colon), &idx) ||
          !ParseNum(tok[t].substr(colon + 1), &v) || idx <= prev ||
          idx > static_cast<long long>(s->cols)) {
        return bad(line_no, "bad index:value '" + std::string(tok[t]) + "'");
      }
      s->sv[i * s->cols + static_cast<size_t>(idx - 1)] = v;
      prev = idx;
    }
  }
  while (next_line(&line)) {
    if (!Tokens(line).empty()) return bad(line_no, "more support vectors than total_sv");
  }
  return Status::Ok();
}

Status SvmRaw::Save(const std::string& dir) const {
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kModelFile, ModelText(s_)));
  nlohmann::json j{{"format", "arus-svm"},
                   {"version", 1},
                   {"y_mean", JsonFromDouble(s_.y_mean)},
                   {"y_sd", JsonFromDouble(s_.y_sd)},
                   {"train_rows", static_cast<uint64_t>(s_.train_rows)},
                   {"importance", JsonFromDoubles(s_.importance)}};
  return WriteFileAtomic(dir + "/" + kExtrasFile, j.dump(1) + "\n");
}

// ---- Fit
// -----------------------------------------------------------------------------------------

// Permutation importance on the last (up to) kImportanceRows training rows, fewer (not below
// kMinImportanceRows) when rows x features x support vectors would exceed kImportanceBudget: the
// increase of the mean log loss (classification) or squared error in standardised target units
// (regression) when one column is shuffled; negatives clipped to 0. Squared distances to the
// support vectors are computed once per row and updated for the one shuffled column.
std::vector<double> PermutationImportance(const SvmState& s, MatrixView x,
                                          std::span<const double> y, uint64_t seed) {
  const size_t cols = s.cols, l = s.l;
  const size_t budget_rows =
      static_cast<size_t>(kImportanceBudget / (static_cast<double>(cols) * static_cast<double>(l)));
  const size_t m = std::min({kImportanceRows, x.rows, std::max(kMinImportanceRows, budget_rows)});
  const size_t first = x.rows - m;
  SplitMix64 rng(seed ^ 0x5eed5eed5eed5eedull);
  std::vector<std::vector<size_t>> perm(cols, std::vector<size_t>(m));
  for (size_t j = 0; j < cols; ++j) {
    for (size_t i = 0; i < m; ++i) perm[j][i] = i;
    for (size_t i = m; i > 1; --i) std::swap(perm[j][i - 1], perm[j][rng.Below(i)]);
  }
  std::vector<double> svt(cols * l);  // transposed: column-major support vectors
  for (size_t i = 0; i < l; ++i) {
    for (size_t c = 0; c < cols; ++c) svt[c * l + i] = s.sv[i * cols + c];
  }
  const size_t k = s.classification ? s.k : 1;
  std::vector<double> dist(kImportanceBlock * l), kv(l), out(k);
  Scratch w;
  auto loss = [&](size_t r) {
    if (s.classification) {
      FromKernel(s, kv.data(), out.data(), w);
      return -std::log(std::max(out[static_cast<size_t>(y[r])], kMinLogProb));
    }
    double z;
    FromKernel(s, kv.data(), out.data(), w, &z);
    const double e = z - (y[r] - s.y_mean) / s.y_sd;
    return e * e;
  };
  double base = 0;
  std::vector<double> perm_loss(cols, 0);
  for (size_t b0 = 0; b0 < m; b0 += kImportanceBlock) {
    const size_t b1 = std::min(m, b0 + kImportanceBlock);
    for (size_t b = b0; b < b1; ++b) {
      const double* xr = x.row(first + b);
      double* d = dist.data() + (b - b0) * l;
      std::fill(d, d + l, 0.0);
      for (size_t c = 0; c < cols; ++c) {
        const double* sc = svt.data() + c * l;
        for (size_t i = 0; i < l; ++i) d[i] += (xr[c] - sc[i]) * (xr[c] - sc[i]);
      }
      for (size_t i = 0; i < l; ++i) kv[i] = std::exp(-s.gamma * d[i]);
      base += loss(first + b);
    }
    for (size_t c = 0; c < cols; ++c) {
      const double* sc = svt.data() + c * l;
      for (size_t b = b0; b < b1; ++b) {
        const double xo = x.row(first + b)[c];
        const double xp = x.row(first + perm[c][b])[c];
        const double* d = dist.data() + (b - b0) * l;
        for (size_t i = 0; i < l; ++i) {
          const double dd = d[i] - (xo - sc[i]) * (xo - sc[i]) + (xp - sc[i]) * (xp - sc[i]);
          kv[i] = std::exp(-s.gamma * std::max(dd, 0.0));
        }
        perm_loss[c] += loss(first + b);
      }
    }
  }
  std::vector<double> imp(cols);
  for (size_t c = 0; c < cols; ++c) imp[c] = std::max(0.0, (perm_loss[c] - base) / m);
  return imp;
}

Result<std::unique_ptr<RawModel>> FitSvm(const RawFitInput& in) {
  const ParamMap& p = *in.params;
  const bool classification = in.num_classes > 0;
  const size_t cols = in.x.cols;
  const size_t use = std::min(in.x.rows, static_cast<size_t>(GetInt(p, "max_train_rows")));
  const size_t first = in.x.rows - use;  // SVM training is O(n^2): the most recent rows
  if (use > static_cast<size_t>(std::numeric_limits<int>::max() / 2) ||
      cols >= static_cast<size_t>(std::numeric_limits<int>::max())) {
    return InvalidArgument("learner 'svm': window too large for libsvm");
  }
  const MatrixView x{in.x.row(first), use, cols};
  const std::span<const double> y = in.y.subspan(first, use);
  for (size_t i = 0; i < use * cols; ++i) {
    if (std::isnan(x.data[i])) {
      return InvalidArgument("learner 'svm' cannot fit missing values; keep impute = true");
    }
  }
  SvmState s;
  s.classification = classification;
  s.k = in.num_classes;
  s.cols = cols;
  s.train_rows = use;
  // gamma 0 = "scale": 1 / (features * variance of the training matrix), as scikit-learn.
  double gamma = GetDouble(p, "gamma");
  if (gamma == 0) {
    double mean = 0, ss = 0;
    const double n = static_cast<double>(use * cols);
    for (size_t i = 0; i < use * cols; ++i) mean += x.data[i];
    mean /= n;
    for (size_t i = 0; i < use * cols; ++i) ss += (x.data[i] - mean) * (x.data[i] - mean);
    const double var = ss / n;
    gamma = var > 0 && std::isfinite(var) ? 1.0 / (static_cast<double>(cols) * var)
                                          : 1.0 / static_cast<double>(cols);
  }
  std::vector<double> ys(y.begin(), y.end());
  if (classification) {
    std::vector<bool> seen(s.k, false);
    for (double v : ys) seen[static_cast<int>(v)] = true;
    if (std::count(seen.begin(), seen.end(), true) < 2) {
      return InvalidArgument("learner 'svm': the " + std::to_string(use) +
                             " training rows it uses (max_train_rows) hold only one class");
    }
  } else {
    // Standardised target, so epsilon is in units of its standard deviation.
    double mean = 0, ss = 0;
    for (double v : ys) mean += v;
    mean /= static_cast<double>(use);
    for (double v : ys) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(use));
    s.y_mean = mean;
    s.y_sd = sd > 0 && std::isfinite(sd) ? sd : 1;
    for (double& v : ys) v = (v - s.y_mean) / s.y_sd;
  }
  std::vector<svm_node> nodes(use * (cols + 1));
  std::vector<svm_node*> xs(use);
  for (size_t r = 0; r < use; ++r) {
    svm_node* n = nodes.data() + r * (cols + 1);
    for (size_t c = 0; c < cols; ++c) n[c] = svm_node{static_cast<int>(c + 1), x.row(r)[c]};
    n[cols] = svm_node{-1, 0.0};
    xs[r] = n;
  }
  svm_problem prob{};
  prob.l = static_cast<int>(use);
  prob.y = ys.data();
  prob.x = xs.data();
  svm_parameter param{};
  param.svm_type = classification ? C_SVC : EPSILON_SVR;
  param.kernel_type = RBF;
  param.degree = 3;
  param.gamma = gamma;
  param.coef0 = 0;
  param.cache_size = static_cast<double>(GetInt(p, "cache_mb"));
  param.eps = GetDouble(p, "tol");
  param.C = GetDouble(p, "C");
  param.nu = 0.5;
  param.p = GetDouble(p, "epsilon");
  param.shrinking = 1;
  param.probability = classification ? 1 : 0;
  if (const char* err = svm_check_parameter(&prob, &param)) {
    return InvalidArgument(std::string("learner 'svm': libsvm: ") + err);
  }
  svm_model* m = nullptr;
  {
    std::lock_guard<std::mutex> lock(CLibraryMutex());
    svm_set_print_string_function(&Silent);
    // Platt scaling's internal cross-validation shuffles with rand().
    std::srand(static_cast<unsigned>(in.seed ^ (in.seed >> 32)));
    m = svm_train(&prob, &param);
  }
  if (m == nullptr) return Internal("learner 'svm': libsvm returned no model");
  // Copy out now: m->SV points into `nodes`.
  s.nr_class = m->nr_class;
  s.l = static_cast<size_t>(m->l);
  s.gamma = m->param.gamma;
  const int nr = m->nr_class;
  const size_t pairs = static_cast<size_t>(nr * (nr - 1) / 2);
  s.rho.assign(m->rho, m->rho + pairs);
  s.coef.resize(static_cast<size_t>(nr - 1) * s.l);
  for (int j = 0; j < nr - 1; ++j) std::copy_n(m->sv_coef[j], s.l, s.coef.data() + j * s.l);
  s.sv.assign(s.l * cols, 0);
  for (size_t i = 0; i < s.l; ++i) {
    for (const svm_node* n = m->SV[i]; n->index != -1; ++n)
      s.sv[i * cols + n->index - 1] = n->value;
  }
  bool ok = true;
  if (classification) {
    if (m->probA == nullptr || m->probB == nullptr || m->label == nullptr || nr < 2) {
      ok = false;
    } else {
      s.prob_a.assign(m->probA, m->probA + pairs);
      s.prob_b.assign(m->probB, m->probB + pairs);
      s.label.assign(m->label, m->label + nr);
      s.nsv.assign(m->nSV, m->nSV + nr);
      s.start.assign(nr, 0);
      for (int i = 1; i < nr; ++i) s.start[i] = s.start[i - 1] + s.nsv[i - 1];
    }
  }
  svm_free_and_destroy_model(&m);
  if (!ok) return Internal("learner 'svm': libsvm fitted no probability model");
  s.importance = PermutationImportance(s, x, y, in.seed);
  return std::unique_ptr<RawModel>(new SvmRaw(std::move(s)));
}

Result<std::unique_ptr<RawModel>> LoadSvm(const RawLoadInput& in) {
  const std::string path = in.dir + "/" + kModelFile;
  const std::string extras_path = in.dir + "/" + kExtrasFile;
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (text.size() > kMaxModelBytes) return Corruption(path + ": file too large");
  SvmState s;
  s.classification = in.info->task == Task::kClassification;
  s.k = s.classification ? static_cast<int>(in.info->classes.size()) : 0;
  s.cols = in.cols;
  ARUS_RETURN_IF_ERROR(ParseModelText(text, path, &s));
  ARUS_ASSIGN_OR_RETURN(std::string extras, ReadFile(extras_path));
  if (!JsonDepthOk(extras, 4)) return Corruption(extras_path + ": JSON nested too deeply");
  const nlohmann::json j = nlohmann::json::parse(extras, nullptr, false);
  auto bad = [&extras_path](const char* field, const char* what) {
    return ParseError(extras_path, 0, field, what);
  };
  if (j.is_discarded() || !j.is_object()) return bad("", "not a JSON object");
  if (!j.contains("format") || j["format"] != "arus-svm") return bad("format", "not \"arus-svm\"");
  if (!j.contains("version") || j["version"] != 1) return bad("version", "unsupported version");
  if (!j.contains("y_mean") || !DoubleFromJson(j["y_mean"], &s.y_mean) ||
      !std::isfinite(s.y_mean)) {
    return bad("y_mean", "missing or not a finite number");
  }
  if (!j.contains("y_sd") || !DoubleFromJson(j["y_sd"], &s.y_sd) || !std::isfinite(s.y_sd) ||
      !(s.y_sd > 0)) {
    return bad("y_sd", "missing or not a finite number > 0");
  }
  if (!j.contains("train_rows") || !j["train_rows"].is_number_unsigned()) {
    return bad("train_rows", "missing or not a count");
  }
  s.train_rows = j["train_rows"].get<uint64_t>();
  if (!j.contains("importance") || !DoublesFromJson(j["importance"], in.cols, &s.importance)) {
    return bad("importance", "missing or not one number per feature");
  }
  return std::unique_ptr<RawModel>(new SvmRaw(std::move(s)));
}

}  // namespace

LearnerDef SvmLearner() {
  LearnerDef d;
  d.name = "svm";
  d.help =
      "libsvm RBF-kernel support vector machine: C-SVC with Platt-scaled probabilities "
      "(pairwise coupling for more than two classes), epsilon-SVR on the standardised target "
      "for regression. Trains on the most recent max_train_rows rows of the window (training "
      "cost grows with the square of the rows)";
  d.classification = true;
  d.regression = true;
  d.params = {
      {"C",
       ParamType::kDouble,
       1.0,
       1e-6,
       1e6,
       {},
       "penalty on margin violations: larger C fits the training rows more closely"},
      {"gamma",
       ParamType::kDouble,
       0.0,
       0,
       1e6,
       {},
       "RBF kernel width exp(-gamma |x - x'|^2); 0 = scale: 1 / (features * variance of the "
       "preprocessed training matrix)"},
      {"epsilon",
       ParamType::kDouble,
       0.1,
       0,
       100,
       {},
       "regression: half-width of the loss-free tube, in standard deviations of the target"},
      {"tol", ParamType::kDouble, 1e-3, 1e-12, 1, {}, "libsvm's stopping tolerance (eps)"},
      {"cache_mb", ParamType::kInt, int64_t{200}, 1, 65536, {}, "libsvm's kernel cache in MiB"},
      {"max_train_rows",
       ParamType::kInt,
       int64_t{20000},
       2,
       100000000,
       {},
       "train on at most this many of the window's most recent rows"},
  };
  d.common.impute = true;
  d.common.clip = 5;
  d.common.standardize = true;
  d.common.calibration = "none";  // Platt scaling already calibrates
  d.fit = &FitSvm;
  d.load = &LoadSvm;
  return d;
}

}  // namespace arus::ml
