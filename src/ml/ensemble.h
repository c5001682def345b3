// Ensembles of fitted models (the seed's "intelligent model ensemble"). Two ways to combine:
//
//  - weighted (default): probabilities (or regression values) are averaged with weights that
//    follow each member's recent out-of-sample performance: an exponentially weighted mean loss
//    L_m (log loss for classification, squared error for regression) with half-life `halflife`
//    observations, and w_m ∝ exp(-(L_m - min_k L_k) / temperature). Without observations the
//    weights are equal. Observe() feeds outcomes as they become known, so weights adapt live.
//  - stacking: a multinomial logistic meta-model (learner "logistic") fitted on the members'
//    out-of-sample probabilities on a purged held-out tail of the training window; the members
//    are fitted on the part before it.
//
// Agreement (the ensemble's confidence): for classification, the weight share of members whose
// most likely class is the ensemble's; for regression, 1 - (weighted std of member predictions /
// (weighted mean absolute member prediction + weighted std)), in [0, 1].
//
// Sequence members (context_rows() > 0, dl/): the ensemble's context_rows is the largest of
// its members'; Predict, Agreement and PredictOnline give every member the whole run of rows
// (no chunking), and PredictOnline takes the rows before the evaluated ones as context. A stream
// (NewStream) steps every member's stream and combines with the weights current at each step.
//
// Thread-safety: Predict / PredictRow / Agreement are const and may run concurrently with each
// other; Observe and SetPerformance mutate the weights and need exclusive access (also against
// streams, which read the weights).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ml/model.h"

namespace arus::ml {

enum class EnsembleMethod : uint8_t { kWeighted, kStacking };
std::string_view EnsembleMethodName(EnsembleMethod m);  // "weighted", "stacking"
Result<EnsembleMethod> ParseEnsembleMethod(std::string_view name);

struct EnsembleOptions {
  EnsembleMethod method = EnsembleMethod::kWeighted;
  double halflife = 500;           // observations
  double temperature = 0.01;       // loss units (nats for log loss)
  double stacking_fraction = 0.3;  // tail of the training window for the meta-model
};

// One member to fit: a display name (unique), a learner and its parameters.
struct MemberSpec {
  std::string name;
  std::string learner;
  ParamMap params;
};

// The performance record that sets the weights; carried across refits (walk-forward folds,
// adaptive retraining) so a learner keeps its track record.
struct EnsemblePerformance {
  std::vector<std::string> members;
  std::vector<double> loss_sum;    // exponentially weighted sums
  std::vector<double> weight_sum;  // sum of the decay weights (same for every member)
  size_t observations = 0;
};

class Ensemble final : public Model {
 public:
  // Combines already fitted members (same task, feature names and classes); weighted only.
  static Result<std::unique_ptr<Ensemble>> Create(std::vector<std::unique_ptr<Model>> members,
                                                  std::vector<std::string> names,
                                                  const EnsembleOptions& options);
  // Fits the members (and, for stacking, the meta-model) on `train`.
  static Result<std::unique_ptr<Ensemble>> Fit(const std::vector<MemberSpec>& members,
                                               const TrainSet& train, const FitOptions& base,
                                               const EnsembleOptions& options);
  static Result<std::unique_ptr<Ensemble>> Load(const std::string& dir);
  ~Ensemble() override;

  const ModelInfo& info() const override { return info_; }
  Status Predict(MatrixView x, std::span<double> out) const override;
  Status PredictRow(std::span<const double> row, std::span<double> out) const override;
  // Weighted mean of the members' importances (members without importance left out).
  std::vector<double> FeatureImportance() const override;
  // model.json (learner "ensemble"), members/<name>/ and, for stacking, meta/.
  Status Save(const std::string& dir) const override;
  size_t context_rows() const override;
  std::unique_ptr<ModelStream> NewStream() const override;

  // Agreement per row of `x` (see the file comment).
  Status Agreement(MatrixView x, std::span<double> out) const;
  // The outcome of one decision: the row's features and its true value (class value or target).
  Status Observe(std::span<const double> row, double y_true);
  // Point-in-time evaluation over rows in time order: before predicting row i, every earlier
  // row whose label had ended (label_end[j] <= time[i]) is observed, so weights only use
  // outcomes known at decision time. Fills proba (rows * outputs) and agreement (rows).
  // `context`: feature rows immediately before `rows` (history for sequence members; may be
  // empty), not evaluated or observed.
  Status PredictOnline(const TrainSet& rows, std::span<double> out, std::span<double> agreement,
                       MatrixView context = {});

  const std::vector<std::string>& member_names() const { return names_; }
  const Model& member(size_t i) const { return *members_[i]; }
  std::vector<double> weights() const;
  const EnsemblePerformance& performance() const { return perf_; }
  // Adopts a record for members of the same names (others start fresh); InvalidArgument when
  // the record is malformed.
  Status SetPerformance(const EnsemblePerformance& perf);
  const EnsembleOptions& options() const { return options_; }

 private:
  Ensemble() = default;
  Status Init();
  // Member outputs of one row: members * outputs values.
  Status MemberOutputs(std::span<const double> row, std::span<double> member_out) const;
  // Member outputs of every row of x, [row][member][output]; rows [0, skip) of x are context
  // only (not returned).
  Status BatchMemberOutputs(MatrixView x, size_t skip, std::vector<double>* member_out) const;
  void Combine(std::span<const double> member_out, std::span<const double> w,
               std::span<double> out) const;
  double RowAgreement(std::span<const double> member_out, std::span<const double> combined,
                      std::span<const double> w) const;
  double MemberLoss(std::span<const double> member_row_out, double y_true) const;
  void ObserveOutputs(std::span<const double> member_out, double y_true);

  ModelInfo info_;
  EnsembleOptions options_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Model>> members_;
  std::unique_ptr<Model> meta_;  // stacking only
  EnsemblePerformance perf_;
};

}  // namespace arus::ml
