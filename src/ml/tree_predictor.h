// A flattened tree ensemble that evaluates an XGBoost gbtree model (1.7 format) without XGBoost:
// the inference path of the "xgboost" and "random_forest" learners, in backtests and live alike
// (one code path, so batch and single-row predictions are bit-identical). Evaluation follows
// XGBoost exactly: the feature value is cast to float, a numerical split goes left iff
// value < split_condition, a missing value (NaN) follows default_left, a categorical split goes
// right iff the value is a valid category (integer part in [0, 2^24)) in the split's set, and
// leaf values are summed per output group in float, in tree order, on top of the base margin.
//
// Nodes are stored breadth-first per tree with the two children of a node side by side, 16 bytes
// a node, so a step down the tree is one load and no branch on the direction; a leaf steps onto
// itself. Trees are then walked in lock step for a fixed number of levels (the tree's depth): a
// block of rows through one tree (batch), or a group of trees for one row (live), which gives the
// CPU independent chains of loads instead of one long dependent chain and no mispredicted loop
// exits. Built from the model document XGBoost writes (UBJSON, the "xgboost.ubj" artefact), which
// is parsed with bounds and structure checks: a damaged file is an error, never a crash.
//
// Thread-safety: immutable after construction; every const method may run concurrently.
// Ownership: owns its node arrays; inputs are borrowed for the duration of a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/model.h"

namespace arus::ml {

class TreeEnsemble {
 public:
  // How margins become XGBoost's predictions (PredictFromDMatrix, output type 0).
  enum class Link : uint8_t { kIdentity, kSigmoid, kSoftmax };

  TreeEnsemble() = default;

  // Parses a model saved by XGBoosterSaveModelToBuffer({"format": "ubj"}) / SaveModel("*.ubj").
  // Supported: booster "gbtree"; objectives binary:logistic, reg:logistic (sigmoid),
  // multi:softprob (softmax), reg:squarederror, reg:absoluteerror (identity); one output group,
  // num_class groups or num_target groups. Corruption (prefixed with `source`) for anything
  // malformed: bad UBJSON, missing fields, child indices out of range or not forming a tree,
  // features out of range, non-finite leaves, bad categories.
  static Result<TreeEnsemble> FromXgboostUbj(std::string_view ubj, std::string_view source);

  size_t num_features() const { return num_features_; }
  size_t num_groups() const { return num_groups_; }  // margins per row
  size_t num_trees() const { return roots_.size(); }
  size_t num_nodes() const { return nodes_.size(); }
  const std::string& objective() const { return objective_; }
  Link link() const { return link_; }
  const std::vector<float>& base_margin() const { return base_margin_; }  // per group
  const std::vector<uint32_t>& tree_groups() const { return groups_; }
  // XGBoost's "total_gain" importance: the loss reduction of every split summed per feature.
  const std::vector<double>& total_gain() const { return total_gain_; }
  // The booster's string attributes (XGBoosterSetAttr), e.g. arus' target scaling.
  const std::map<std::string, std::string>& attributes() const { return attributes_; }

  // Margins of one row (num_features() values, NaN = missing) into num_groups() floats.
  void MarginRow(const double* row, float* margin) const;
  // Margins of every row of `x` (x.cols == num_features()), row-major, rows * num_groups().
  // Same arithmetic as MarginRow, so the results are bit-identical. `threads` > 1 splits large
  // batches over that many threads (the calling one included); 0 means all cores.
  void MarginBatch(MatrixView x, float* margin, int threads = 1) const;
  // XGBoost's prediction of one row / every row: the link applied to the margins, in double.
  // num_groups() values per row.
  void PredictRow(const double* row, double* out) const;
  void PredictBatch(MatrixView x, double* out, int threads = 1) const;
  // The link on its own (margins of one row -> num_groups() outputs).
  void ApplyLink(const float* margin, double* out) const;

 private:
  struct Node {
    float threshold;   // numerical split: go left iff value < threshold; NaN for a leaf
    uint32_t feature;  // split feature | flags (a leaf: kLeaf | kDefaultLeft, feature 0)
    uint32_t child;    // index of the left child (right = child + 1); a leaf: its own index
    uint32_t aux;      // a leaf: its value (float bits); a categorical split: its bitset offset
  };
  static constexpr uint32_t kDefaultLeft = 1u << 31;
  static constexpr uint32_t kCategorical = 1u << 30;
  static constexpr uint32_t kLeaf = 1u << 29;
  static constexpr uint32_t kFeatureMask = kLeaf - 1;
  static constexpr size_t kRowTreeGroup = 8;  // trees walked together for one row
  static constexpr size_t kBlockRows = 64;    // rows walked together through one tree

  friend class TreeEnsembleBuilder;

  template <bool kHasCategorical>
  uint32_t Step(uint32_t i, const float* row) const;
  float LeafValue(uint32_t i) const;
  template <bool kHasCategorical>
  void MarginRowImpl(const float* row, float* margin) const;
  template <bool kHasCategorical>
  void MarginBlock(const float* rows, size_t n, float* margin) const;
  void MarginRange(MatrixView x, size_t begin, size_t end, float* margin) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;         // per tree: index of its root in nodes_
  std::vector<uint32_t> depths_;        // per tree: edges from the root to its deepest leaf
  std::vector<uint32_t> group_depths_;  // per group of kRowTreeGroup trees: the largest depth
  std::vector<uint32_t> groups_;        // per tree: output group
  std::vector<uint32_t> cat_words_;     // per categorical split: word count, then the bitset
  std::vector<float> base_margin_;
  std::vector<double> total_gain_;
  std::map<std::string, std::string> attributes_;
  std::string objective_;
  Link link_ = Link::kIdentity;
  size_t num_features_ = 0;
  size_t num_groups_ = 1;
  bool has_categorical_ = false;
};

}  // namespace arus::ml
