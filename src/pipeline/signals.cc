#include "pipeline/signals.h"

#include <algorithm>
#include <cmath>

#include "bars/timeframe.h"
#include "core/toml_util.h"

namespace arus::pipeline {

namespace {

Status Bad(const std::string& origin, const toml::node& n, const std::string& key,
           const std::string& what) {
  return ParseError(origin, n.source().begin.line, "strategy." + key, what);
}

}  // namespace

Result<StrategyConfig> ParseStrategyConfig(const std::string& toml_text, const std::string& origin,
                                           const features::Dataset& dataset,
                                           const std::string& label) {
  StrategyConfig c;
  ModelStrategyOptions& o = c.options;
  o.symbol = dataset.symbol;
  // Horizon and hold from the label: the median time from decision to label end.
  const int li = dataset.LabelIndex(label);
  ARUS_ASSIGN_OR_RETURN(bars::Timeframe tf, bars::ParseTimeframe(dataset.base_timeframe));
  const int64_t bar_ns = NominalDuration(tf).count();
  o.bar_seconds = static_cast<double>(bar_ns) / kNanosPerSecond;
  if (li >= 0) {
    std::vector<int64_t> spans;
    for (size_t r = 0; r < dataset.rows(); ++r) {
      const UnixNanos end = dataset.label_end[li][r];
      if (end != UnixNanos::Max() && end > dataset.time[r]) {
        spans.push_back((end - dataset.time[r]).count());
      }
    }
    if (!spans.empty()) {
      std::nth_element(spans.begin(), spans.begin() + spans.size() / 2, spans.end());
      const int64_t median = spans[spans.size() / 2];
      o.horizon = std::max<int>(1, static_cast<int>(std::llround(double(median) / bar_ns)));
      o.hold = Duration(int64_t(o.horizon) * bar_ns);
    }
  }

  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(toml_text, origin));
  const toml::table* t = root["strategy"].as_table();
  if (t == nullptr) return c;
  for (const auto& [k, node] : *t) {
    const std::string key(k.str());
    auto number = [&](double* out, double lo, double hi) -> Status {
      const std::optional<double> parsed = TomlNumber(node);
      if (!parsed) return Bad(origin, node, key, "expected a number, got " + TomlTypeName(node));
      const double v = *parsed;
      if (!(v >= lo && v <= hi)) {
        return Bad(origin, node, key,
                   "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
      *out = v;
      return Status::Ok();
    };
    double v = 0;
    if (key == "min_edge_multiple") {
      ARUS_RETURN_IF_ERROR(number(&o.min_edge_multiple, 0, 1e6));
    } else if (key == "slippage_pips") {
      ARUS_RETURN_IF_ERROR(number(&o.slippage_pips, 0, 1e4));
    } else if (key == "min_probability") {
      ARUS_RETURN_IF_ERROR(number(&o.min_probability, 0, 1));
    } else if (key == "stop_multiple") {
      ARUS_RETURN_IF_ERROR(number(&o.stop_multiple, 0, 1e3));
    } else if (key == "target_multiple") {
      ARUS_RETURN_IF_ERROR(number(&o.target_multiple, 0, 1e3));
    } else if (key == "move_window") {
      ARUS_RETURN_IF_ERROR(number(&v, 1, 1e7));
      o.move_window = static_cast<int>(v);
    } else if (key == "horizon") {
      ARUS_RETURN_IF_ERROR(number(&v, 1, 1e6));
      o.horizon = static_cast<int>(v);
    } else if (key == "hold_minutes") {
      ARUS_RETURN_IF_ERROR(number(&v, 1, 1e7));
      o.hold = Duration(static_cast<int64_t>(v * kNanosPerMinute));
    } else if (key == "regime_min") {
      ARUS_RETURN_IF_ERROR(number(&c.regime_min, -1e300, 1e300));
    } else if (key == "regime_max") {
      ARUS_RETURN_IF_ERROR(number(&c.regime_max, -1e300, 1e300));
    } else if (key == "regime_column") {
      if (!node.is_string()) return Bad(origin, node, key, "expected a string");
      c.regime_column = node.as_string()->get();
      if (dataset.FeatureIndex(c.regime_column) < 0) {
        return Bad(origin, node, key,
                   "no feature column \"" + c.regime_column + "\" in the dataset");
      }
    } else {
      return Bad(origin, node, key,
                 "unknown key (known: min_edge_multiple, slippage_pips, min_probability, "
                 "stop_multiple, target_multiple, move_window, horizon, hold_minutes, "
                 "regime_column, regime_min, regime_max)");
    }
  }
  return c;
}

Result<std::vector<Signal>> OutOfSampleSignals(const validation::ExperimentData& data,
                                               const validation::ExperimentResult& result,
                                               size_t model, const features::Dataset& dataset,
                                               const StrategyConfig& config) {
  if (model >= result.oos_outputs.size()) {
    return InvalidArgument("no out-of-sample predictions for model " + std::to_string(model));
  }
  const bool cls = data.task == ml::Task::kClassification;
  const size_t k = cls ? result.classes.size() : 1;
  int up = -1, down = -1;
  if (cls) {
    for (size_t c = 0; c < k; ++c) {
      if (result.classes[c] > 0 && up < 0) up = static_cast<int>(c);
      if (result.classes[c] < 0) down = static_cast<int>(c);
    }
    if (up < 0 && down < 0) {
      return InvalidArgument("the label's classes have no direction (need classes above and/or "
                             "below 0, e.g. -1 / 0 / +1)");
    }
  }
  const int regime = config.regime_column.empty() ? -1
                                                  : dataset.FeatureIndex(config.regime_column);
  std::vector<Signal> out;
  out.reserve(result.oos_rows.size());
  const std::vector<double>& p = result.oos_outputs[model];
  for (size_t i = 0; i < result.oos_rows.size(); ++i) {
    const size_t row = result.oos_rows[i];
    const size_t ds_row = data.dataset_row[row];
    Signal s;
    s.time = dataset.time[ds_row];
    if (cls) {
      s.p_up = up >= 0 ? p[i * k + up] : 0;
      s.p_down = down >= 0 ? p[i * k + down] : 0;
    } else {
      s.expected_return = p[i];
    }
    if (regime >= 0) {
      const double v = dataset.features[regime][ds_row];
      s.regime_ok = v >= config.regime_min && v <= config.regime_max;  // NaN: no
    }
    if (!out.empty() && s.time <= out.back().time) continue;  // purged k-fold overlap: keep first
    out.push_back(s);
  }
  return out;
}

}  // namespace arus::pipeline
