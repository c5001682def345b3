// The HTML report of a run: ONE self-contained file (inline CSS, inline SVG charts drawn here,
// a few lines of inline JavaScript for hover read-outs; no network access, no libraries) with
// the run header, headline figures, the metrics table, equity and drawdown curves, the monthly
// returns heat map, trades on the price, the cost split, P&L by session / weekday / month, the
// overfitting statistics, the model validation metrics, the data-quality summary and the trade
// list. What each part shows: docs/report.md. The report only renders: every number comes from
// the inputs (backtest::ComputePerformance, validation/overfitting.h, validation.json, quality
// reports); it never reads the clock, so the same inputs give the same bytes.
// All text from the inputs is HTML-escaped; lines are downsampled to <= 2,000 points.
// Thread-safety: free functions; reentrant. ReportInput borrows the result and the stats.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backtest/analytics.h"
#include "backtest/result.h"
#include "core/status.h"
#include "core/time.h"
#include "validation/overfitting.h"

namespace arus::pipeline {

// A price line to mark the trades of `symbol` on (e.g. bar-close mids). Ascending times.
struct ReportPriceSeries {
  std::string symbol;
  int decimals = 5;  // price decimals for labels
  std::vector<UnixNanos> time;
  std::vector<double> price;  // same length as time
};

// One symbol's data-quality report (quality::QualityReport ToText / ToJson).
struct ReportQuality {
  std::string symbol;
  double score = 0;
  std::string text;
  std::string json;  // parsed for the summary table; shown as text only when malformed
};

// Another model / parameter set backtested on the same data (the trials behind the deflated
// Sharpe ratio), for the comparison table.
struct ReportTrial {
  std::string name;
  double sharpe = 0;  // annualised
  double total_return = 0;
  double max_drawdown_pct = 0;
  size_t trades = 0;
  bool selected = false;  // the traded one
};

struct ReportInput {
  std::string run_name;
  std::string config_hash;
  std::string code_revision;
  std::string generated_at;  // optional text (the caller's clock; empty = left out)
  UnixNanos data_from, data_to;
  std::vector<std::string> symbols;
  std::string traded_model;
  // Extra header facts, e.g. {"Timeframe", "M5"}, {"Seed", "7"}.
  std::vector<std::pair<std::string, std::string>> facts;

  const backtest::BacktestResult* result = nullptr;   // required, borrowed
  const backtest::PerformanceStats* stats = nullptr;  // required, borrowed

  std::vector<ReportPriceSeries> prices;
  std::vector<ReportQuality> quality;
  // validation.json (validation::ExperimentJson) or just its "validation" object
  // ({model: ModelValidationJson}); null = no validation section.
  nlohmann::json validation;
  std::optional<validation::DeflatedSharpe> deflated_sharpe;
  std::optional<validation::PboResult> pbo;
  std::vector<ReportTrial> trials;
};

// The HTML text. InvalidArgument when result or stats is missing.
Result<std::string> RenderReport(const ReportInput& in);
// RenderReport, written atomically (temp file, fsync, rename).
Status WriteReport(const ReportInput& in, const std::string& path);

// & < > " ' as entities; invalid UTF-8 bytes become U+FFFD.
std::string HtmlEscape(std::string_view text);

// Downsampling for lines: indices of at most `max_points` points keeping each bucket's minimum
// and maximum (in time order) plus the first and last point, so spikes and drawdowns survive.
std::vector<size_t> DownsampleMinMax(const std::vector<double>& y, size_t max_points);

}  // namespace arus::pipeline
