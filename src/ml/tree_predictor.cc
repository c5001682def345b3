#include "ml/tree_predictor.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace arus::ml {

namespace {

using Json = nlohmann::json;

// A legitimate model is a few levels deep; a hostile file must not recurse the parser into a
// stack overflow or expand typed containers of payload-free values ('Z', 'T', ...) into billions
// of elements. Every legitimate value takes at least one byte of input, hence the value cap.
class BoundedDomSax {
 public:
  BoundedDomSax(Json& root, size_t max_values) : dom_(root, false), max_values_(max_values) {}

  bool null() { return Count() && dom_.null(); }
  bool boolean(bool v) { return Count() && dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return Count() && dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Count() && dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& s) {
    return Count() && dom_.number_float(v, s);
  }
  bool string(Json::string_t& v) { return Count() && dom_.string(v); }
  bool binary(Json::binary_t& v) { return Count() && dom_.binary(v); }
  bool start_object(size_t n) { return Enter() && dom_.start_object(n); }
  bool key(Json::string_t& k) { return dom_.key(k); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(size_t, const std::string&, const Exception& ex) {
    error_ = ex.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 32;

  bool Count() {
    if (++values_ <= max_values_) return true;
    error_ = "more values than the file has bytes";
    return false;
  }
  bool Enter() {
    if (!Count()) return false;
    if (++depth_ <= kMaxDepth) return true;
    error_ = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  size_t max_values_;
  size_t values_ = 0;
  int depth_ = 0;
  std::string error_;
};

// Field access with messages that say what is wrong where.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Status Error(const std::string& what) const {
    return Corruption(std::string(source_) + ": " + what);
  }

  Result<const Json*> Object(const Json& parent, const char* name, const std::string& where) {
    const Json* v = Find(parent, name);
    if (v == nullptr || !v->is_object()) {
      return Error(where + "'" + name + "' is missing or not an object");
    }
    return v;
  }
  Result<const Json*> Array(const Json& parent, const char* name, const std::string& where) {
    const Json* v = Find(parent, name);
    if (v == nullptr || !v->is_array()) {
      return Error(where + "'" + name + "' is missing or not an array");
    }
    return v;
  }
  Result<std::string> String(const Json& parent, const char* name, const std::string& where) {
    const Json* v = Find(parent, name);
    if (v == nullptr || !v->is_string()) {
      return Error(where + "'" + name + "' is missing or not a string");
    }
    return v->get<std::string>();
  }
  // XGBoost stores model parameters as strings ("5E-1", "3").
  Result<int64_t> IntText(const Json& parent, const char* name, const std::string& where,
                          int64_t lo, int64_t hi) {
    ARUS_ASSIGN_OR_RETURN(std::string text, String(parent, name, where));
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
      return Error(where + "'" + name + "' is not an integer in [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]: '" + text + "'");
    }
    return v;
  }
  Result<float> FloatText(const Json& parent, const char* name, const std::string& where) {
    ARUS_ASSIGN_OR_RETURN(std::string text, String(parent, name, where));
    float v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
      return Error(where + "'" + name + "' is not a finite number: '" + text + "'");
    }
    return v;
  }
  // Integer array (booleans accepted, for default_left).
  Result<std::vector<int64_t>> Ints(const Json& parent, const char* name,
                                    const std::string& where) {
    ARUS_ASSIGN_OR_RETURN(const Json* a, Array(parent, name, where));
    std::vector<int64_t> out;
    out.reserve(a->size());
    for (const Json& e : *a) {
      if (e.is_boolean()) {
        out.push_back(e.get<bool>() ? 1 : 0);
      } else if (e.is_number_integer() && (!e.is_number_unsigned() ||
                                           e.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))) {
        out.push_back(e.get<int64_t>());
      } else {
        return Error(where + "'" + name + "' holds a value that is not an integer");
      }
    }
    return out;
  }
  // Number array; NaN (categorical split conditions) passes.
  Result<std::vector<double>> Numbers(const Json& parent, const char* name,
                                      const std::string& where) {
    ARUS_ASSIGN_OR_RETURN(const Json* a, Array(parent, name, where));
    std::vector<double> out;
    out.reserve(a->size());
    for (const Json& e : *a) {
      if (!e.is_number()) return Error(where + "'" + name + "' holds a value that is not a number");
      out.push_back(e.get<double>());
    }
    return out;
  }

 private:
  static const Json* Find(const Json& parent, const char* name) {
    if (!parent.is_object()) return nullptr;
    auto it = parent.find(name);
    return it == parent.end() ? nullptr : &*it;
  }
  std::string_view source_;
};

// Categories are non-negative integers below 2^24 in XGBoost (larger ones do not survive float).
constexpr int64_t kMaxCategory = (int64_t{1} << 24) - 1;
constexpr size_t kMaxNodes = size_t{1} << 31;
// Category bitsets of all categorical splits together (128 MiB): a hostile file must not make us
// allocate 2 MiB for each of many one-category splits with category 2^24 - 1.
constexpr size_t kMaxCategoryWords = size_t{1} << 25;

inline bool InCategorySet(const uint32_t* words, float v) {
  // XGBoost: an invalid category (negative, >= 2^24) goes left, like one outside the set.
  if (!(v >= 0.0f) || v >= 16777216.0f) return false;
  const uint32_t cat = static_cast<uint32_t>(v);
  const uint32_t word = cat >> 5;
  if (word >= words[0]) return false;
  return (words[1 + word] >> (cat & 31)) & 1u;
}

}  // namespace

// Builds a TreeEnsemble from a parsed model document (friend of TreeEnsemble).
class TreeEnsembleBuilder {
 public:
  TreeEnsembleBuilder(TreeEnsemble& e, std::string_view source) : e_(e), r_(source) {}

  Status Build(const Json& doc) {
    ARUS_ASSIGN_OR_RETURN(const Json* learner, r_.Object(doc, "learner", ""));
    ARUS_ASSIGN_OR_RETURN(const Json* lmp, r_.Object(*learner, "learner_model_param", "learner: "));
    const std::string where = "learner_model_param: ";
    ARUS_ASSIGN_OR_RETURN(int64_t num_feature,
                          r_.IntText(*lmp, "num_feature", where, 1, TreeEnsemble::kFeatureMask));
    ARUS_ASSIGN_OR_RETURN(int64_t num_class, r_.IntText(*lmp, "num_class", where, 0, 1 << 16));
    int64_t num_target = 1;
    if (lmp->contains("num_target")) {
      ARUS_ASSIGN_OR_RETURN(num_target, r_.IntText(*lmp, "num_target", where, 1, 1 << 16));
    }
    ARUS_ASSIGN_OR_RETURN(float base_score, r_.FloatText(*lmp, "base_score", where));
    if (num_class > 1 && num_target > 1) return r_.Error("both num_class and num_target > 1");
    e_.num_features_ = static_cast<size_t>(num_feature);
    e_.num_groups_ = static_cast<size_t>(std::max<int64_t>({1, num_class, num_target}));

    ARUS_ASSIGN_OR_RETURN(const Json* objective, r_.Object(*learner, "objective", "learner: "));
    ARUS_ASSIGN_OR_RETURN(e_.objective_, r_.String(*objective, "name", "objective: "));
    float base_margin = base_score;
    if (e_.objective_ == "binary:logistic" || e_.objective_ == "reg:logistic") {
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        return r_.Error("base_score of a logistic objective must be in (0, 1)");
      }
      // XGBoost's LogisticRegression::ProbToMargin, in float.
      base_margin = -std::log(1.0f / base_score - 1.0f);
      e_.link_ = TreeEnsemble::Link::kSigmoid;
    } else if (e_.objective_ == "multi:softprob") {
      e_.link_ = TreeEnsemble::Link::kSoftmax;
    } else if (e_.objective_ == "reg:squarederror" || e_.objective_ == "reg:absoluteerror") {
      e_.link_ = TreeEnsemble::Link::kIdentity;
    } else {
      return r_.Error("unsupported objective '" + e_.objective_ + "'");
    }
    if (e_.link_ == TreeEnsemble::Link::kSoftmax ? num_class < 2 : num_class > 1) {
      return r_.Error("objective '" + e_.objective_ + "' does not match num_class " +
                      std::to_string(num_class));
    }
    e_.base_margin_.assign(e_.num_groups_, base_margin);

    if (auto it = learner->find("attributes"); it != learner->end()) {
      if (!it->is_object()) return r_.Error("learner: 'attributes' is not an object");
      for (const auto& [k, v] : it->items()) {
        if (!v.is_string()) return r_.Error("learner: attribute '" + k + "' is not a string");
        e_.attributes_[k] = v.get<std::string>();
      }
    }

    ARUS_ASSIGN_OR_RETURN(const Json* gb, r_.Object(*learner, "gradient_booster", "learner: "));
    ARUS_ASSIGN_OR_RETURN(std::string gb_name, r_.String(*gb, "name", "gradient_booster: "));
    if (gb_name != "gbtree") return r_.Error("unsupported booster '" + gb_name + "'");
    ARUS_ASSIGN_OR_RETURN(const Json* model, r_.Object(*gb, "model", "gradient_booster: "));
    ARUS_ASSIGN_OR_RETURN(const Json* trees, r_.Array(*model, "trees", "model: "));
    ARUS_ASSIGN_OR_RETURN(std::vector<int64_t> tree_info, r_.Ints(*model, "tree_info", "model: "));
    if (tree_info.size() != trees->size()) {
      return r_.Error("tree_info has " + std::to_string(tree_info.size()) + " entries for " +
                      std::to_string(trees->size()) + " trees");
    }
    if (trees->empty()) return r_.Error("the model has no trees");

    e_.total_gain_.assign(e_.num_features_, 0.0);
    e_.nodes_.reserve(trees->size() * 16);
    for (size_t t = 0; t < trees->size(); ++t) {
      if (tree_info[t] < 0 || static_cast<size_t>(tree_info[t]) >= e_.num_groups_) {
        return r_.Error("tree " + std::to_string(t) + ": output group " +
                        std::to_string(tree_info[t]) + " out of range");
      }
      e_.groups_.push_back(static_cast<uint32_t>(tree_info[t]));
      ARUS_RETURN_IF_ERROR(AddTree((*trees)[t], "tree " + std::to_string(t) + ": "));
    }
    e_.has_categorical_ = !e_.cat_words_.empty();
    for (size_t t = 0; t < e_.depths_.size(); t += TreeEnsemble::kRowTreeGroup) {
      const size_t end = std::min(e_.depths_.size(), t + TreeEnsemble::kRowTreeGroup);
      e_.group_depths_.push_back(
          *std::max_element(e_.depths_.begin() + t, e_.depths_.begin() + end));
    }
    return Status::Ok();
  }

 private:
  Status AddTree(const Json& tree, const std::string& where) {
    if (!tree.is_object()) return r_.Error(where + "not an object");
    ARUS_ASSIGN_OR_RETURN(std::vector<int64_t> left, r_.Ints(tree, "left_children", where));
    ARUS_ASSIGN_OR_RETURN(std::vector<int64_t> right, r_.Ints(tree, "right_children", where));
    ARUS_ASSIGN_OR_RETURN(std::vector<int64_t> feature, r_.Ints(tree, "split_indices", where));
    ARUS_ASSIGN_OR_RETURN(std::vector<double> cond, r_.Numbers(tree, "split_conditions", where));
    ARUS_ASSIGN_OR_RETURN(std::vector<int64_t> default_left, r_.Ints(tree, "default_left", where));
    ARUS_ASSIGN_OR_RETURN(std::vector<double> gain, r_.Numbers(tree, "loss_changes", where));
    const size_t n = left.size();
    std::vector<int64_t> split_type(n, 0);
    if (tree.contains("split_type")) {
      ARUS_ASSIGN_OR_RETURN(split_type, r_.Ints(tree, "split_type", where));
    }
    if (n == 0 || right.size() != n || feature.size() != n || cond.size() != n ||
        default_left.size() != n || gain.size() != n || split_type.size() != n) {
      return r_.Error(where + "node arrays are empty or of different lengths");
    }
    if (e_.nodes_.size() + n >= kMaxNodes) return r_.Error(where + "too many nodes");

    // Categorical splits: node -> [segment begin, size) in `categories`.
    std::vector<int64_t> cat_values, cat_nodes, cat_segments, cat_sizes;
    if (tree.contains("categories")) {
      ARUS_ASSIGN_OR_RETURN(cat_values, r_.Ints(tree, "categories", where));
      ARUS_ASSIGN_OR_RETURN(cat_nodes, r_.Ints(tree, "categories_nodes", where));
      ARUS_ASSIGN_OR_RETURN(cat_segments, r_.Ints(tree, "categories_segments", where));
      ARUS_ASSIGN_OR_RETURN(cat_sizes, r_.Ints(tree, "categories_sizes", where));
      if (cat_segments.size() != cat_nodes.size() || cat_sizes.size() != cat_nodes.size()) {
        return r_.Error(where + "categories_nodes / _segments / _sizes differ in length");
      }
    }
    std::vector<int64_t> cat_index(n, -1);  // node -> its entry in categories_nodes
    for (size_t i = 0; i < cat_nodes.size(); ++i) {
      if (cat_nodes[i] < 0 || cat_nodes[i] >= static_cast<int64_t>(n)) {
        return r_.Error(where + "categories_nodes holds node " + std::to_string(cat_nodes[i]) +
                        " out of range");
      }
      cat_index[cat_nodes[i]] = static_cast<int64_t>(i);
    }

    // Breadth-first relayout: the children of a node take two adjacent slots.
    const uint32_t base = static_cast<uint32_t>(e_.nodes_.size());
    e_.roots_.push_back(base);
    std::vector<uint8_t> seen(n, 0);
    std::vector<int64_t> order{0};   // original ids in new order
    std::vector<uint32_t> depth{0};  // per new slot
    uint32_t tree_depth = 0;
    seen[0] = 1;
    for (size_t k = 0; k < order.size(); ++k) {
      const int64_t o = order[k];
      TreeEnsemble::Node node{};
      const std::string at = where + "node " + std::to_string(o) + ": ";
      tree_depth = std::max(tree_depth, depth[k]);
      if (left[o] == -1 && right[o] == -1) {
        if (!std::isfinite(cond[o])) return r_.Error(at + "leaf value is not finite");
        node.aux = std::bit_cast<uint32_t>(static_cast<float>(cond[o]));
        node.threshold = std::numeric_limits<float>::quiet_NaN();
        node.feature = TreeEnsemble::kLeaf | TreeEnsemble::kDefaultLeft;
        node.child = base + static_cast<uint32_t>(k);  // a leaf steps onto itself
      } else {
        for (int64_t c : {left[o], right[o]}) {
          if (c <= 0 || c >= static_cast<int64_t>(n) || seen[c]) {
            return r_.Error(at + "child " + std::to_string(c) + " out of range or reused");
          }
          seen[c] = 1;
        }
        if (feature[o] < 0 || feature[o] >= static_cast<int64_t>(e_.num_features_)) {
          return r_.Error(at + "split feature " + std::to_string(feature[o]) + " out of range");
        }
        node.feature = static_cast<uint32_t>(feature[o]);
        if (default_left[o] != 0) node.feature |= TreeEnsemble::kDefaultLeft;
        node.child = base + static_cast<uint32_t>(order.size());
        order.push_back(left[o]);
        order.push_back(right[o]);
        depth.push_back(depth[k] + 1);
        depth.push_back(depth[k] + 1);
        if (split_type[o] == 1) {
          ARUS_ASSIGN_OR_RETURN(
              node.aux, AddCategories(cat_index[o], cat_values, cat_segments, cat_sizes, at));
          node.feature |= TreeEnsemble::kCategorical;
        } else if (split_type[o] == 0) {
          if (std::isnan(cond[o])) return r_.Error(at + "split condition is NaN");
          node.threshold = static_cast<float>(cond[o]);
        } else {
          return r_.Error(at + "unknown split_type " + std::to_string(split_type[o]));
        }
        if (std::isfinite(gain[o])) e_.total_gain_[feature[o]] += gain[o];
      }
      e_.nodes_.push_back(node);
    }
    e_.depths_.push_back(tree_depth);
    return Status::Ok();
  }

  Result<uint32_t> AddCategories(int64_t idx, const std::vector<int64_t>& values,
                                 const std::vector<int64_t>& segments,
                                 const std::vector<int64_t>& sizes, const std::string& at) {
    if (idx < 0) return r_.Error(at + "categorical split without categories");
    const int64_t begin = segments[idx], size = sizes[idx];
    if (begin < 0 || size < 0 || begin > static_cast<int64_t>(values.size()) ||
        size > static_cast<int64_t>(values.size()) - begin) {
      return r_.Error(at + "category segment out of range");
    }
    int64_t max_cat = -1;
    for (int64_t i = begin; i < begin + size; ++i) {
      if (values[i] < 0 || values[i] > kMaxCategory) {
        return r_.Error(at + "category " + std::to_string(values[i]) + " out of range");
      }
      max_cat = std::max(max_cat, values[i]);
    }
    const uint32_t words = static_cast<uint32_t>((max_cat + 32) / 32);  // 0 for an empty set
    if (e_.cat_words_.size() + 1 + words > kMaxCategoryWords) {
      return r_.Error(at + "category sets too large");
    }
    const uint32_t offset = static_cast<uint32_t>(e_.cat_words_.size());
    e_.cat_words_.push_back(words);
    e_.cat_words_.resize(e_.cat_words_.size() + words, 0);
    for (int64_t i = begin; i < begin + size; ++i) {
      e_.cat_words_[offset + 1 + (values[i] >> 5)] |= 1u << (values[i] & 31);
    }
    return offset;
  }

  TreeEnsemble& e_;
  Reader r_;
};

Result<TreeEnsemble> TreeEnsemble::FromXgboostUbj(std::string_view ubj, std::string_view source) {
  TreeEnsemble e;
  try {
    Json doc;
    BoundedDomSax sax(doc, ubj.size());
    const bool ok =
        Json::sax_parse(ubj.begin(), ubj.end(), &sax, nlohmann::json::input_format_t::ubjson);
    if (!ok) {
      return Corruption(std::string(source) + ": not a valid UBJSON model: " + sax.error());
    }
    TreeEnsembleBuilder builder(e, source);
    ARUS_RETURN_IF_ERROR(builder.Build(doc));
  } catch (const std::exception& ex) {
    return Corruption(std::string(source) + ": " + ex.what());
  }
  return e;
}

// One level down: XGBoost's decision for a node, branch-free for numerical splits. A node that
// sends missing values left goes right iff v >= threshold (false for NaN); one that sends them
// right goes right iff !(v < threshold) (true for NaN). A leaf has threshold NaN, sends missing
// left and is its own child, so it never moves.
template <bool kHasCategorical>
inline uint32_t TreeEnsemble::Step(uint32_t i, const float* row) const {
  const Node& n = nodes_[i];
  const float v = row[n.feature & kFeatureMask];
  const uint32_t dl = n.feature >> 31;
  uint32_t right;
  if (kHasCategorical && (n.feature & kCategorical)) {
    right = std::isnan(v) ? dl ^ 1u : InCategorySet(cat_words_.data() + n.aux, v);
  } else {
    const uint32_t ge = v >= n.threshold;
    const uint32_t nlt = !(v < n.threshold);
    right = (ge & dl) | (nlt & (dl ^ 1u));
  }
  return n.child + right;
}

inline float TreeEnsemble::LeafValue(uint32_t i) const {
  return std::bit_cast<float>(nodes_[i].aux);
}

template <bool kHasCategorical>
void TreeEnsemble::MarginRowImpl(const float* row, float* margin) const {
  std::copy(base_margin_.begin(), base_margin_.end(), margin);
  uint32_t idx[kRowTreeGroup];
  for (size_t t0 = 0, g = 0; t0 < roots_.size(); t0 += kRowTreeGroup, ++g) {
    const size_t n = std::min(kRowTreeGroup, roots_.size() - t0);
    for (size_t j = 0; j < n; ++j) idx[j] = roots_[t0 + j];
    for (uint32_t d = group_depths_[g]; d > 0; --d) {
      for (size_t j = 0; j < n; ++j) idx[j] = Step<kHasCategorical>(idx[j], row);
    }
    // Leaves are added in tree order, as XGBoost (and MarginBlock) add them.
    for (size_t j = 0; j < n; ++j) margin[groups_[t0 + j]] += LeafValue(idx[j]);
  }
}

template <bool kHasCategorical>
void TreeEnsemble::MarginBlock(const float* rows, size_t n, float* margin) const {
  const size_t g_count = num_groups_;
  const size_t cols = num_features_;
  for (size_t r = 0; r < n; ++r) {
    std::copy(base_margin_.begin(), base_margin_.end(), margin + r * g_count);
  }
  uint32_t idx[kBlockRows];
  for (size_t t = 0; t < roots_.size(); ++t) {
    for (size_t r = 0; r < n; ++r) idx[r] = roots_[t];
    for (uint32_t d = depths_[t]; d > 0; --d) {
      for (size_t r = 0; r < n; ++r) idx[r] = Step<kHasCategorical>(idx[r], rows + r * cols);
    }
    float* m = margin + groups_[t];
    for (size_t r = 0; r < n; ++r) m[r * g_count] += LeafValue(idx[r]);
  }
}

void TreeEnsemble::MarginRow(const double* row, float* margin) const {
  // XGBoost compares in float: convert the row once.
  constexpr size_t kStackFeatures = 256;
  float stack[kStackFeatures];
  std::vector<float> heap;
  float* f = stack;
  if (num_features_ > kStackFeatures) {
    heap.resize(num_features_);
    f = heap.data();
  }
  for (size_t c = 0; c < num_features_; ++c) f[c] = static_cast<float>(row[c]);
  if (has_categorical_) {
    MarginRowImpl<true>(f, margin);
  } else {
    MarginRowImpl<false>(f, margin);
  }
}

void TreeEnsemble::MarginRange(MatrixView x, size_t begin, size_t end, float* margin) const {
  assert(x.cols == num_features_);
  std::vector<float> block(kBlockRows * x.cols);
  for (size_t r = begin; r < end; r += kBlockRows) {
    const size_t n = std::min(kBlockRows, end - r);
    const double* src = x.row(r);
    for (size_t i = 0; i < n * x.cols; ++i) block[i] = static_cast<float>(src[i]);
    if (has_categorical_) {
      MarginBlock<true>(block.data(), n, margin + r * num_groups_);
    } else {
      MarginBlock<false>(block.data(), n, margin + r * num_groups_);
    }
  }
}

void TreeEnsemble::MarginBatch(MatrixView x, float* margin, int threads) const {
  // Each thread takes a contiguous range; a row's arithmetic does not depend on the split.
  constexpr size_t kMinRowsPerThread = 1024;
  size_t t = threads > 0 ? static_cast<size_t>(threads)
                         : std::max(1u, std::thread::hardware_concurrency());
  t = std::min(t, std::max<size_t>(1, x.rows / kMinRowsPerThread));
  if (t <= 1) {
    MarginRange(x, 0, x.rows, margin);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  const size_t per = (x.rows + t - 1) / t;
  for (size_t i = 1; i < t; ++i) {
    const size_t begin = std::min(x.rows, i * per), end = std::min(x.rows, begin + per);
    try {
      pool.emplace_back([this, x, begin, end, margin] { MarginRange(x, begin, end, margin); });
    } catch (const std::system_error&) {  // no thread to be had: do it here
      MarginRange(x, begin, end, margin);
    }
  }
  MarginRange(x, 0, std::min(x.rows, per), margin);
  for (std::thread& th : pool) th.join();
}

void TreeEnsemble::ApplyLink(const float* margin, double* out) const {
  const size_t g = num_groups_;
  switch (link_) {
    case Link::kIdentity:
      for (size_t i = 0; i < g; ++i) out[i] = margin[i];
      break;
    case Link::kSigmoid:
      for (size_t i = 0; i < g; ++i)
        out[i] = 1.0 / (1.0 + std::exp(-static_cast<double>(margin[i])));
      break;
    case Link::kSoftmax: {
      double mx = margin[0];
      for (size_t i = 1; i < g; ++i) mx = std::max(mx, static_cast<double>(margin[i]));
      double sum = 0;
      for (size_t i = 0; i < g; ++i) sum += out[i] = std::exp(margin[i] - mx);
      for (size_t i = 0; i < g; ++i) out[i] /= sum;
      break;
    }
  }
}

void TreeEnsemble::PredictRow(const double* row, double* out) const {
  constexpr size_t kStack = 64;
  float stack[kStack];
  std::vector<float> heap;
  float* margin = stack;
  if (num_groups_ > kStack) {
    heap.resize(num_groups_);
    margin = heap.data();
  }
  MarginRow(row, margin);
  ApplyLink(margin, out);
}

void TreeEnsemble::PredictBatch(MatrixView x, double* out, int threads) const {
  std::vector<float> margin(x.rows * num_groups_);
  MarginBatch(x, margin.data(), threads);
  for (size_t r = 0; r < x.rows; ++r) {
    ApplyLink(margin.data() + r * num_groups_, out + r * num_groups_);
  }
}

}  // namespace arus::ml
