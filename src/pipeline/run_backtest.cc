// Stages 5-7 of `arus run`: out-of-sample backtests, analytics and overfitting statistics, the
// report and metrics.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "backtest/analytics.h"
#include "backtest/engine.h"
#include "core/file.h"
#include "core/format.h"
#include "core/version.h"
#include "fx/instrument.h"
#include "pipeline/model_strategy.h"
#include "pipeline/report.h"
#include "pipeline/run_stages.h"
#include "pipeline/signals.h"
#include "risk/config.h"
#include "risk/risk_manager.h"
#include "validation/overfitting.h"

namespace arus::pipeline {

namespace {

// One backtest of one model's out-of-sample signals.
struct ModelBacktest {
  std::string model;
  backtest::BacktestResult result;
  backtest::BrokerStats broker;
  ModelStrategyStats strategy;
  risk::RiskStats risk;
  size_t signals = 0;
};

Result<ModelBacktest> BacktestModel(const RunState& st, size_t model, const StrategyConfig& sc,
                                    const backtest::BacktestConfig& bc,
                                    const risk::RiskConfig& rc,
                                    const std::vector<fx::Instrument>& instruments,
                                    UnixNanos from, UnixNanos to) {
  ModelBacktest out;
  out.model = st.result.model_names[model];
  ARUS_ASSIGN_OR_RETURN(std::vector<Signal> signals,
                        OutOfSampleSignals(st.data, st.result, model, st.dataset, sc));
  out.signals = signals.size();
  risk::RiskManager::Options ro;
  ro.hedging = bc.broker.mode == backtest::AccountMode::kHedging;
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<risk::RiskManager> rm, risk::RiskManager::Create(rc, ro));
  risk::RiskManager* rmp = rm.get();
  SizeFn size = [rmp](const risk::SizeRequest& r,
                      const backtest::AccountView& a) -> Result<double> {
    ARUS_ASSIGN_OR_RETURN(risk::SizeDecision d, rmp->Size(r, a));
    return d.quantity;
  };
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<ModelStrategy> strategy,
                        ModelStrategy::Create(std::move(signals), sc.options, size));
  backtest::BacktestEngine engine(bc);
  ARUS_ASSIGN_OR_RETURN(out.result, engine.RunStoreTicks(*st.store, instruments, from, to,
                                                         *strategy, rm.get()));
  ARUS_RETURN_IF_ERROR(strategy->status());
  out.broker = engine.last_stats();
  out.strategy = strategy->stats();
  out.risk = rm->stats();
  return out;
}

// Daily returns of every model's backtest on the trading dates they share, T x N row-major.
std::vector<double> DailyReturnMatrix(const std::vector<backtest::PerformanceStats>& perf,
                                      size_t* periods) {
  std::map<int64_t, std::vector<double>> by_date;
  for (size_t m = 0; m < perf.size(); ++m) {
    for (const backtest::DailyPoint& d : perf[m].daily) {
      auto& row = by_date[d.date.days];
      row.resize(perf.size(), std::numeric_limits<double>::quiet_NaN());
      row[m] = d.ret;
    }
  }
  std::vector<double> out;
  *periods = 0;
  for (auto& [date, row] : by_date) {
    row.resize(perf.size(), std::numeric_limits<double>::quiet_NaN());
    if (std::any_of(row.begin(), row.end(), [](double v) { return !std::isfinite(v); })) continue;
    out.insert(out.end(), row.begin(), row.end());
    ++*periods;
  }
  return out;
}

// The mid at the end of every `step` bucket of [from, to) for the report's trades-on-price chart.
Result<ReportPriceSeries> PriceSeries(const store::TickStore& store, const fx::Instrument& inst,
                                      UnixNanos from, UnixNanos to, Duration step) {
  ReportPriceSeries out;
  out.symbol = inst.symbol;
  out.decimals = inst.price_precision;
  ARUS_ASSIGN_OR_RETURN(auto scanner, store.Scan(inst.symbol, from, to));
  int64_t bucket = std::numeric_limits<int64_t>::min();
  for (;;) {
    ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> run, scanner->Next());
    if (run.empty()) break;
    for (const QuoteTick& q : run) {
      const int64_t b = q.ts_event.FloorTo(step).ns();
      if (b != bucket) {
        out.time.push_back(q.ts_event);
        out.price.push_back(q.mid().ToDouble());
        bucket = b;
      } else {
        out.time.back() = q.ts_event;
        out.price.back() = q.mid().ToDouble();
      }
    }
  }
  return out;
}

}  // namespace

Status RunBacktestStages(RunState& st, StageDisplay& display, RunSummary* summary) {
  const RunConfig& c = *st.config;
  ARUS_ASSIGN_OR_RETURN(StrategyConfig sc,
                        ParseStrategyConfig(c.text, c.origin, st.dataset, st.data.label));
  sc.options.regression = st.data.task == ml::Task::kRegression;
  ARUS_ASSIGN_OR_RETURN(backtest::BacktestConfig bc,
                        backtest::ParseBacktestConfig(c.text, c.origin));
  ARUS_ASSIGN_OR_RETURN(risk::RiskConfig rc, risk::ParseRiskConfig(c.text, c.origin));

  std::vector<fx::Instrument> instruments;
  for (const std::string& s : st.symbols) {
    ARUS_ASSIGN_OR_RETURN(const fx::Instrument* inst, fx::InstrumentTable::Builtin().Find(s));
    instruments.push_back(*inst);
  }
  size_t traded = st.result.model_names.size();
  std::string names;
  for (size_t m = 0; m < st.result.model_names.size(); ++m) {
    if (st.result.model_names[m] == c.trade_model) traded = m;
    names += (names.empty() ? "" : ", ") + st.result.model_names[m];
  }
  if (traded == st.result.model_names.size()) {
    return InvalidArgument(c.origin + ": train.model \"" + c.trade_model +
                           "\" is not a model of the experiment (models: " + names + ")");
  }
  if (st.result.oos_rows.empty()) {
    return FailedPrecondition("the experiment produced no out-of-sample rows to trade");
  }
  // The out-of-sample span, with an hour before it for the first quotes and the holding time
  // after the last decision (positions still open at the end close at the last quote).
  const UnixNanos first = st.dataset.time[st.data.dataset_row[st.result.oos_rows.front()]];
  const UnixNanos last = st.dataset.time[st.data.dataset_row[st.result.oos_rows.back()]];
  const UnixNanos from = std::max(c.from, first - Duration(kNanosPerHour));
  const UnixNanos to = std::min(c.to, last + sc.options.hold + Duration(kNanosPerMinute));

  // 5. One backtest per model: the traded model's is the run's; the others are the trials the
  // overfitting statistics count.
  std::vector<ModelBacktest> runs;
  {
    auto bar = display.Begin(5, "backtest", st.result.model_names.size(), " models");
    for (size_t m = 0; m < st.result.model_names.size(); ++m) {
      ARUS_ASSIGN_OR_RETURN(ModelBacktest b,
                            BacktestModel(st, m, sc, bc, rc, instruments, from, to));
      runs.push_back(std::move(b));
      bar->Update(m + 1);
    }
    bar->Finish();
  }
  const ModelBacktest& main = runs[traded];
  {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "backtest: %s over %s .. %s: %zu signals, %zu orders (%zu rejected), %zu "
                  "trades, %s events",
                  main.model.c_str(), from.ToIso().c_str(), to.ToIso().c_str(), main.signals,
                  main.strategy.orders, main.result.rejections.size(),
                  main.result.trades.size(), HumanCount(double(main.result.events)).c_str());
    display.Line(buf);
  }

  // 6. Analytics and overfitting statistics.
  auto abar = display.Begin(6, "analytics", runs.size() + 2);
  std::vector<backtest::PerformanceStats> perf;
  for (const ModelBacktest& b : runs) {
    perf.push_back(backtest::ComputePerformance(b.result));
    abar->Add(1);
  }
  const backtest::PerformanceStats& ps = perf[traded];
  std::vector<double> daily;
  for (const backtest::DailyPoint& d : ps.daily) daily.push_back(d.ret);
  std::vector<double> trial_sharpes;
  for (const backtest::PerformanceStats& p : perf) {
    if (std::isfinite(p.daily_stdev) && p.daily_stdev > 0 && std::isfinite(p.daily_mean)) {
      trial_sharpes.push_back(p.daily_mean / p.daily_stdev);
    }
  }
  nlohmann::json overfit;
  validation::DeflatedSharpeOptions dso;
  // Trials: every model backtested plus every hyperparameter configuration the search tried.
  dso.effective_trials = static_cast<double>(runs.size() + st.result.trials.size());
  auto dsr = validation::DeflatedSharpeRatio(daily, trial_sharpes, dso);
  if (dsr.ok()) {
    validation::ToJson(overfit["deflated_sharpe"], *dsr);
    summary->deflated_sharpe_probability = dsr->dsr;
  } else {
    overfit["deflated_sharpe"] = {{"error", dsr.status().message()}};
  }
  size_t periods = 0;
  const std::vector<double> matrix = DailyReturnMatrix(perf, &periods);
  validation::PboOptions po;
  po.partitions = std::min<size_t>(16, periods / 2 / 2 * 2);
  auto pbo = po.partitions >= 2 ? validation::ProbabilityOfBacktestOverfitting(
                                      matrix, periods, perf.size(), po)
                                : Result<validation::PboResult>(FailedPrecondition(
                                      "too few common trading days for CSCV"));
  if (pbo.ok()) {
    validation::ToJson(overfit["pbo"], *pbo);
  } else {
    overfit["pbo"] = {{"error", pbo.status().message()}};
  }
  overfit["trial_models"] = st.result.model_names;
  overfit["search_trials"] = st.result.trials.size();
  abar->Add(1);

  nlohmann::json metrics;
  metrics["run"] = {{"name", c.name}, {"config_hash", c.hash}, {"traded_model", main.model}};
  backtest::ToJson(metrics["performance"], ps);
  metrics["overfitting"] = overfit;
  metrics["strategy"] = {{"signals", main.strategy.signals},
                         {"warmup", main.strategy.warmup},
                         {"below_cost", main.strategy.below_cost},
                         {"regime_blocked", main.strategy.regime_blocked},
                         {"size_zero", main.strategy.size_zero},
                         {"orders", main.strategy.orders},
                         {"rejected", main.strategy.rejected}};
  metrics["broker"] = {{"orders", main.broker.orders},
                       {"fills", main.broker.fills},
                       {"rejected", main.broker.rejected},
                       {"margin_calls", main.broker.margin_calls},
                       {"stop_outs", main.broker.stop_outs},
                       {"rollovers", main.broker.rollovers}};
  metrics["risk"] = {{"checks", main.risk.checks},
                     {"accepted", main.risk.accepted},
                     {"rejected_halted", main.risk.rejected_halted},
                     {"rejected_daily", main.risk.rejected_daily},
                     {"rejected_positions", main.risk.rejected_positions},
                     {"rejected_leverage", main.risk.rejected_leverage},
                     {"rejected_exposure", main.risk.rejected_exposure},
                     {"rejected_other", main.risk.rejected_other},
                     {"daily_trips", main.risk.daily_trips},
                     {"drawdown_trips", main.risk.drawdown_trips}};
  risk::ToJson(metrics["risk"]["config"], rc);
  nlohmann::json trials = nlohmann::json::array();
  for (size_t m = 0; m < runs.size(); ++m) {
    trials.push_back({{"model", runs[m].model},
                      {"trades", perf[m].trades},
                      {"net_pnl", perf[m].net_pnl},
                      {"sharpe", std::isfinite(perf[m].sharpe) ? nlohmann::json(perf[m].sharpe)
                                                               : nlohmann::json()}});
  }
  metrics["model_backtests"] = trials;
  // Each model's pooled out-of-sample validation metrics (validation.json has the folds).
  nlohmann::json pooled = nlohmann::json::object();
  if (const auto v = st.validation_json.find("validation"); v != st.validation_json.end()) {
    for (const auto& [model, mv] : v->items()) {
      if (mv.contains("pooled")) pooled[model] = mv["pooled"];
    }
  }
  metrics["validation_pooled"] = pooled;
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(st.run_dir + "/metrics.json", metrics.dump(2) + "\n"));
  ARUS_RETURN_IF_ERROR(backtest::WriteTradesCsv(main.result, instruments,
                                                st.run_dir + "/trades.csv"));
  ARUS_RETURN_IF_ERROR(backtest::WriteEquityCsv(main.result, ps, st.run_dir + "/equity.csv"));
  abar->Add(1);
  abar->Finish();
  {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "analytics: Sharpe %.2f, max drawdown %.2f%%, profit factor %.2f, costs %.2f "
                  "%s (spread %.2f, commission %.2f, slippage %.2f, swap %.2f)",
                  ps.sharpe, 100 * ps.max_drawdown_pct, ps.profit_factor, ps.costs.total,
                  ps.account_currency.c_str(), ps.costs.spread, ps.costs.commission,
                  ps.costs.slippage, ps.costs.swap);
    display.Line(buf);
  }

  // 7. The report.
  {
    auto rbar = display.Begin(7, "report", instruments.size() + 1);
    ReportInput ri;
    ri.run_name = c.name;
    ri.config_hash = c.hash;
    ri.code_revision = CodeRevision();
    ri.data_from = c.from;
    ri.data_to = c.to;
    ri.symbols = st.symbols;
    ri.traded_model = main.model;
    ri.facts = {{"Seed", std::to_string(c.seed)},
                {"Data", c.source == "generate" ? "synthetic (" + c.market_mode + ")" : c.store},
                {"Base timeframe", st.dataset.base_timeframe},
                {"Feature set", st.dataset.feature_set_name + " (" +
                                    std::to_string(st.dataset.feature_names.size()) +
                                    " features)"},
                {"Experiment", st.experiment.name},
                {"Out-of-sample span", from.ToIso().substr(0, 10) + " .. " +
                                           to.ToIso().substr(0, 10)}};
    ri.result = &main.result;
    ri.stats = &ps;
    // Mids every 15 minutes (at most ~2,000 points survive downsampling in the chart).
    const Duration step(std::max<int64_t>(15 * kNanosPerMinute, (to - from).count() / 4000));
    // The pairs that were traded (the others are loaded only to convert P&L).
    for (const fx::Instrument& inst : instruments) {
      const auto& trades = main.result.trades;
      if (std::any_of(trades.begin(), trades.end(),
                      [&](const backtest::Trade& t) { return t.symbol == inst.symbol; })) {
        ARUS_ASSIGN_OR_RETURN(ReportPriceSeries p, PriceSeries(*st.store, inst, from, to, step));
        ri.prices.push_back(std::move(p));
      }
      rbar->Add(1);
    }
    for (const QualitySummary& q : st.quality) {
      ri.quality.push_back({q.symbol, q.score, q.text, q.json});
    }
    ri.validation = st.validation_json;
    if (dsr.ok()) ri.deflated_sharpe = *dsr;
    if (pbo.ok()) ri.pbo = *pbo;
    for (size_t m = 0; m < runs.size(); ++m) {
      ri.trials.push_back({runs[m].model, perf[m].sharpe, perf[m].total_return,
                           perf[m].max_drawdown_pct, perf[m].trades, m == traded});
    }
    summary->report_path = st.run_dir + "/report.html";
    ARUS_RETURN_IF_ERROR(WriteReport(ri, summary->report_path));
    rbar->Add(1);
    rbar->Finish();
    display.Line("report: " + summary->report_path);
  }

  summary->trades = ps.trades;
  summary->account_currency = ps.account_currency;
  summary->net_pnl = ps.net_pnl;
  summary->total_return = ps.total_return;
  summary->sharpe = ps.sharpe;
  summary->max_drawdown = ps.max_drawdown_pct;
  return Status::Ok();
}

}  // namespace arus::pipeline
