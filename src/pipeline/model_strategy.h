// The model-driven strategy: turns a model's predictions into orders. At each decision time
// (a row of the dataset the model predicted, e.g. every M5 close) it
//   1. estimates the expected move over the label horizon from the past only: the mean absolute
//      change of the mid between decisions `horizon` apart, over the last `move_window` decisions;
//   2. converts the prediction into an expected edge in pips: (P(up) - P(down)) x expected move
//      for a classifier, the predicted return itself for a regressor;
//   3. trades only when the edge exceeds `min_edge_multiple` x the round-trip cost in pips (the
//      quoted spread at that moment + commission both ways + the slippage allowance), and the
//      optional regime filter allows it;
//   4. sizes the trade through the risk module (a SizeFn: fixed lots, fixed fractional risk from
//      the stop distance - the expected move when there is no protective stop -, volatility
//      target or capped Kelly from the probability);
//   5. holds for the label horizon (`hold`), extended by a new signal in the same direction and
//      cut by an opposite one, with an optional protective stop and target at multiples of the
//      expected move.
// Predictions come from the walk-forward experiment: each fold's out-of-sample rows are predicted
// by the model trained before that fold, so the backtest never trades on a model that saw them.
// The strategy only reads signals whose decision time has passed (Now() >= time).
// Thread-safety: driven by one event loop. Ownership: owns its signals.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backtest/trading.h"
#include "core/time.h"
#include "risk/sizing.h"

namespace arus::pipeline {

// One decision: what the model said at `time` about `symbol`.
struct Signal {
  UnixNanos time;
  double p_up = 0;    // classification: probability of the up class
  double p_down = 0;  // probability of the down class
  double expected_return = 0;  // regression: predicted return (fraction of price)
  bool regime_ok = true;       // the regime filter's verdict at this time
};

// Sizes a trade through the risk module (risk::PositionSizer): a quantity in units of base
// currency (0 = do not trade) or an error.
using SizeFn =
    std::function<Result<double>(const risk::SizeRequest&, const backtest::AccountView&)>;

struct ModelStrategyOptions {
  std::string symbol = "EURUSD";
  bool regression = false;  // signals carry expected_return instead of probabilities
  int horizon = 12;         // decisions ahead the label looks (e.g. 12 M5 bars)
  Duration hold{Duration(60LL * kNanosPerMinute)};  // time a position is held
  int move_window = 500;            // decisions used to estimate the expected move
  double min_edge_multiple = 1.0;   // trade when edge > multiple x round-trip cost
  double slippage_pips = 0.1;       // slippage allowance per side in the cost estimate
  double min_probability = 0.0;     // also require max(p_up, p_down) >= this (classification)
  double stop_multiple = 0;         // protective stop at this x expected move (0 = none)
  double target_multiple = 0;       // take profit at this x expected move (0 = none)
  double bar_seconds = 300;         // decision spacing, to annualise the volatility estimate
};

// Counts of what the strategy decided, for the run summary.
struct ModelStrategyStats {
  size_t signals = 0;         // decisions seen
  size_t warmup = 0;          // skipped: expected move not yet estimated
  size_t below_cost = 0;      // edge did not cover the cost
  size_t regime_blocked = 0;  // the regime filter said no
  size_t size_zero = 0;       // the sizer said no
  size_t orders = 0;          // orders submitted (entries, reversals and exits)
  size_t rejected = 0;        // orders the guard or broker rejected
};

class ModelStrategy final : public backtest::Strategy {
 public:
  // `signals` must be in increasing time order (InvalidArgument otherwise, from Create).
  static Result<std::unique_ptr<ModelStrategy>> Create(std::vector<Signal> signals,
                                                       const ModelStrategyOptions& options,
                                                       SizeFn size);

  void OnStart(backtest::StrategyContext& ctx) override;
  void OnQuote(backtest::StrategyContext& ctx, backtest::InstrumentIndex i,
               const QuoteTick& q) override;
  void OnBar(backtest::StrategyContext& ctx, backtest::InstrumentIndex i,
             const Bar& bid_bar) override;
  void OnEnd(backtest::StrategyContext& ctx) override;

  const ModelStrategyStats& stats() const { return stats_; }
  // The first error met (e.g. the symbol is not in the run, the sizer failed); OK otherwise.
  const Status& status() const { return status_; }

 private:
  ModelStrategy(std::vector<Signal> signals, const ModelStrategyOptions& options, SizeFn size)
      : signals_(std::move(signals)), opt_(options), size_(std::move(size)) {}
  // Acts on every signal whose time is <= now, with the given quote.
  void Advance(backtest::StrategyContext& ctx, UnixNanos now, double bid, double ask);
  void Decide(backtest::StrategyContext& ctx, const Signal& s, double bid, double ask);
  void ExitIfDue(backtest::StrategyContext& ctx, UnixNanos now);
  void Submit(backtest::StrategyContext& ctx, const backtest::OrderRequest& order);
  const backtest::Position* OpenPosition(const backtest::StrategyContext& ctx) const;
  void Fail(Status s);

  std::vector<Signal> signals_;
  ModelStrategyOptions opt_;
  SizeFn size_;
  backtest::InstrumentIndex instrument_ = 0;
  bool ready_ = false;
  double pip_ = 0.0001;
  size_t next_ = 0;
  std::vector<double> mids_;  // mid at each past decision (ring of move_window + horizon)
  size_t decisions_ = 0;
  double abs_move_sum_ = 0;   // sum of |mid_t - mid_{t-horizon}| over the window
  std::vector<double> moves_; // the window's moves, ring
  UnixNanos exit_at_ = UnixNanos::Max();
  ModelStrategyStats stats_;
  Status status_;
};

}  // namespace arus::pipeline
