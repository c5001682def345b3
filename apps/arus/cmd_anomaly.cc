// `arus anomaly fit|score`: the window autoencoder of dl/autoencoder.h (docs/anomaly.md). `fit`
// trains a detector on rows of a dataset and saves it into the model registry; `score` appends
// its reconstruction error and anomaly flag to a dataset as two feature columns, prints a
// summary, and can write the data-quality report with the "ae_anomaly" rule.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/clock.h"
#include "core/file.h"
#include "dl/autoencoder.h"
#include "features/dataset.h"
#include "fx/instrument.h"
#include "ml/registry.h"
#include "quality/config.h"
#include "quality/report.h"
#include "quality/tick_source.h"
#include "quality/tick_validator.h"
#include "store/tick_codec.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

constexpr const char* kRuleName = "ae_anomaly";

struct AnomalyArgs {
  std::string dataset, columns, from, to, models = "models", name, exclude_column;
  dl::AnomalyOptions opt;
  std::string model, output, csv, report, store, quality_config;
  size_t top = 10;
  bool json = false;
};

// '*' matches any run of characters, '?' one character.
bool GlobMatch(std::string_view pattern, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == s[i])) {
      ++p, ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string JoinNames(const std::vector<std::string>& v) {
  std::string o;
  for (const std::string& s : v) o += (o.empty() ? "" : ", ") + s;
  return o.empty() ? "none" : o;
}

// Feature columns selected by comma-separated globs, in dataset order (all when empty).
Result<std::vector<size_t>> SelectColumns(const features::Dataset& schema,
                                          const std::string& globs, const std::string& path) {
  const auto& names = schema.feature_names;
  std::vector<uint8_t> take(names.size(), globs.empty() ? 1 : 0);
  size_t pos = 0;
  while (!globs.empty()) {
    const size_t comma = globs.find(',', pos);
    const std::string pat = globs.substr(pos, comma == std::string::npos ? comma : comma - pos);
    bool any = false;
    for (size_t c = 0; c < names.size(); ++c) {
      if (!pat.empty() && GlobMatch(pat, names[c])) take[c] = 1, any = true;
    }
    if (!any) {
      return InvalidArgument("--columns: '" + pat + "' matches no feature column of '" + path +
                             "' (features: " + JoinNames(names) + ")");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::vector<size_t> out;
  for (size_t c = 0; c < names.size(); ++c) {
    if (take[c]) out.push_back(c);
  }
  if (out.empty()) return InvalidArgument("'" + path + "' has no feature columns");
  return out;
}

std::string Num(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

Status RunFit(const AnomalyArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(auto reader, features::DatasetReader::Open(a.dataset));
  const features::Dataset& schema = reader->schema();
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  ARUS_ASSIGN_OR_RETURN(auto range, reader->RowRange(from, to));
  const size_t begin = range.first, rows = range.second - range.first;
  if (rows == 0) {
    return InvalidArgument("no rows to fit on in '" + a.dataset + "'" +
                           (a.from.empty() && a.to.empty() ? "" : " within --from/--to"));
  }
  ARUS_ASSIGN_OR_RETURN(std::vector<size_t> cols, SelectColumns(schema, a.columns, a.dataset));
  ARUS_RETURN_IF_ERROR(dl::ValidateAnomalyOptions(a.opt, cols.size()));
  ml::Matrix x(rows, cols.size());
  std::vector<std::string> names;
  std::vector<double> column(rows);
  for (size_t j = 0; j < cols.size(); ++j) {
    ARUS_RETURN_IF_ERROR(reader->ReadFeatureInto(cols[j], begin, column));
    for (size_t r = 0; r < rows; ++r) x.at(r, j) = column[r];
    names.push_back(schema.feature_names[cols[j]]);
  }
  std::vector<uint8_t> mask;
  if (!a.exclude_column.empty()) {
    const int f = schema.FeatureIndex(a.exclude_column);
    const int l = schema.LabelIndex(a.exclude_column);
    if (f < 0 && l < 0) {
      return InvalidArgument("--exclude-column: no feature or label '" + a.exclude_column +
                             "' in '" + a.dataset + "'");
    }
    ARUS_RETURN_IF_ERROR(f >= 0 ? reader->ReadFeatureInto(size_t(f), begin, column)
                                : reader->ReadLabelInto(size_t(l), begin, column));
    mask.resize(rows);
    for (size_t r = 0; r < rows; ++r) mask[r] = std::isfinite(column[r]) && column[r] != 0;
  }
  ARUS_ASSIGN_OR_RETURN(auto times, reader->ReadTime(begin, begin + rows));
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<dl::AnomalyDetector> d,
                        dl::AnomalyDetector::Fit(x.view(), names, a.opt, mask));

  ml::ModelManifest m;
  m.name = a.name.empty() ? "ae-" + schema.feature_set_name : a.name;
  m.symbol = schema.symbol;
  m.base_timeframe = schema.base_timeframe;
  m.feature_set_name = schema.feature_set_name;
  m.feature_set_hash = schema.feature_set_hash;
  m.dataset = a.dataset;
  m.data_from = times.front();
  m.data_to = times.back();
  m.created_at = LiveClock().Now();
  ml::ModelRegistry reg(a.models);
  ARUS_ASSIGN_OR_RETURN(std::string id, dl::SaveAnomalyDetector(*d, reg, m));

  const dl::AnomalyFitInfo& i = d->info();
  if (a.json) {
    nlohmann::json j = {{"id", id},
                        {"models", a.models},
                        {"columns", names},
                        {"rows", rows},
                        {"excluded_rows", i.excluded_rows},
                        {"window", i.options.window},
                        {"windows", {{"fit", i.windows_fit},
                                     {"validation", i.windows_validation},
                                     {"purged", i.windows_purged},
                                     {"incomplete", i.windows_incomplete},
                                     {"excluded", i.windows_excluded}}},
                        {"epochs", i.epochs},
                        {"best_epoch", i.best_epoch},
                        {"validation_loss", i.validation_loss},
                        {"quantile", i.options.quantile},
                        {"threshold", i.threshold}};
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  std::printf("anomaly detector %s saved in %s\n", id.c_str(), a.models.c_str());
  std::printf("  %zu column(s): %s\n", names.size(), JoinNames(names).c_str());
  std::printf("  rows %zu (%s .. %s), %zu excluded by the mask\n", rows,
              times.front().ToIso().c_str(), times.back().ToIso().c_str(), i.excluded_rows);
  std::printf("  windows of %" PRId64 ": %zu fit, %zu validation, %zu purged, %zu incomplete, %zu"
              " excluded\n",
              i.options.window, i.windows_fit, i.windows_validation, i.windows_purged,
              i.windows_incomplete, i.windows_excluded);
  std::printf("  epochs %" PRId64 " (best %" PRId64 "), validation error %s\n", i.epochs,
              i.best_epoch, Num(i.validation_loss).c_str());
  std::printf("  threshold %s (quantile %s of %zu training windows; median error %s)\n",
              Num(i.threshold).c_str(), Num(i.options.quantile).c_str(), i.threshold_windows,
              Num(i.error_median).c_str());
  return Status::Ok();
}

// The report the rule goes into: the tick report of the store over the dataset's time range, or
// a "dataset" report holding only the rule.
Result<quality::QualityReport> BaseReport(const AnomalyArgs& a, const features::Dataset& ds) {
  if (a.store.empty()) {
    quality::QualityReport r;
    r.kind = "dataset";
    r.symbol = ds.symbol;
    if (ds.rows() > 0) {
      r.range_from = r.first = ds.time.front();
      r.range_to = r.last = ds.time.back();
    }
    r.rows_in = r.rows_out = static_cast<int64_t>(ds.rows());
    r.ComputeScore();
    return r;
  }
  if (ds.rows() == 0) return InvalidArgument("'" + a.dataset + "' has no rows");
  quality::QualityConfig cfg;
  if (!a.quality_config.empty()) {
    ARUS_ASSIGN_OR_RETURN(cfg, quality::LoadQualityConfig(a.quality_config));
  }
  ARUS_ASSIGN_OR_RETURN(const fx::Instrument* instrument,
                        fx::InstrumentTable::Builtin().Find(ds.symbol));
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  const UnixNanos from = ds.time.front(), to = ds.time.back() + Duration(1);
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->Scan(instrument->symbol, from, to));
  quality::TickValidatorOptions opt;
  opt.symbol = instrument->symbol;
  opt.source = a.store;
  return quality::ValidateTicks(quality::ScannerSource(scanner.get()), *instrument, cfg, opt);
}

Status RunScore(const AnomalyArgs& a, const GlobalFlags& g) {
  if (a.output.empty() && a.csv.empty() && a.report.empty() && !a.json) {
    return InvalidArgument("give --output, --csv, --report or --json (nothing to write)");
  }
  ARUS_ASSIGN_OR_RETURN(features::Dataset ds, features::ReadDataset(a.dataset));
  ml::ModelRegistry reg(a.models);
  ml::ModelManifest manifest;
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<dl::AnomalyDetector> d,
                        dl::LoadAnomalyDetector(reg, a.model, ds.feature_set_hash, &manifest));
  const auto& names = d->info().feature_names;
  std::vector<std::string> missing;
  std::vector<int> idx;
  for (const std::string& n : names) {
    idx.push_back(ds.FeatureIndex(n));
    if (idx.back() < 0) missing.push_back(n);
  }
  if (!missing.empty()) {
    return FailedPrecondition("'" + a.dataset + "' lacks feature column(s) " +
                              JoinNames(missing) + " needed by anomaly model '" + a.model + "'");
  }
  const size_t rows = ds.rows();
  ml::Matrix x(rows, names.size());
  for (size_t j = 0; j < names.size(); ++j) {
    const std::vector<double>& col = ds.features[size_t(idx[j])];
    for (size_t r = 0; r < rows; ++r) x.at(r, j) = col[r];
  }
  std::vector<double> error(rows), flag(rows);
  ARUS_RETURN_IF_ERROR(d->Score(x.view(), error));
  for (size_t r = 0; r < rows; ++r) flag[r] = d->Flag(error[r]);

  const std::string suffix = "_" + std::to_string(d->window());
  const std::string error_name = "ae_error" + suffix, flag_name = "ae_anomaly" + suffix;
  char threshold_text[32];
  std::snprintf(threshold_text, sizeof threshold_text, "%.6g", d->threshold());
  quality::ExternalRule rule = quality::SummarizeExternalRule(
      kRuleName,
      "autoencoder reconstruction error above " + std::string(threshold_text) + " (model " +
          a.model + ", window " + std::to_string(d->window()) + ", quantile " +
          Num(d->info().options.quantile) + ")",
      ds.time, error, d->threshold(), a.top);

  if (!a.output.empty() || !a.csv.empty()) {
    for (const std::string& n : {error_name, flag_name}) {
      if (ds.FeatureIndex(n) >= 0 || ds.LabelIndex(n) >= 0) {
        return InvalidArgument("'" + a.dataset + "' already has a column '" + n +
                               "' (scored before?)");
      }
    }
    features::Dataset out = std::move(ds);
    // The output is another feature set: the input's plus this model. Its text says so and its
    // hash is the xxhash64 of that text, so models fitted on it refuse the plain input.
    out.feature_set_name += "+ae";
    out.feature_set_text += "\n# arus anomaly score: model " + a.model + " (window " +
                            std::to_string(d->window()) + ", columns " + JoinNames(names) +
                            ") -> " + error_name + ", " + flag_name + "\n";
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(store::Checksum(out.feature_set_text)));
    out.feature_set_hash = hex;
    out.feature_names.push_back(error_name);
    out.features.push_back(error);
    out.feature_names.push_back(flag_name);
    out.features.push_back(flag);
    out.checkpoint.clear();  // the feature pipeline's state does not cover the new columns
    if (!a.output.empty()) ARUS_RETURN_IF_ERROR(features::WriteDataset(a.output, out));
    if (!a.csv.empty()) ARUS_RETURN_IF_ERROR(features::WriteDatasetCsv(a.csv, out));
    ds = std::move(out);  // identity is not used below; rows and times are unchanged
  }

  if (!a.report.empty()) {
    ARUS_ASSIGN_OR_RETURN(quality::QualityReport report, BaseReport(a, ds));
    report.external_rules.push_back(rule);
    if (a.report == "-") {
      std::printf("%s", report.ToJson().c_str());
    } else {
      ARUS_RETURN_IF_ERROR(WriteFileAtomic(a.report, report.ToJson()));
    }
  }

  if (a.json) {
    nlohmann::json worst = nlohmann::json::array();
    for (const quality::Example& e : rule.worst) {
      worst.push_back({{"from", e.ts.ToIso()}, {"to", e.end.ToIso()}, {"peak", e.severity}});
    }
    nlohmann::json j = {{"model", a.model},
                        {"dataset", a.dataset},
                        {"columns", {error_name, flag_name}},
                        {"threshold", d->threshold()},
                        {"rows", rows},
                        {"scored", rule.rows},
                        {"anomalies", rule.hits},
                        {"events", rule.events},
                        {"worst", worst}};
    if (a.report != "-") std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet || a.report == "-") return Status::Ok();
  std::printf("anomaly model %s on %s: threshold %s\n", a.model.c_str(), a.dataset.c_str(),
              threshold_text);
  std::printf("  %" PRId64 " of %zu rows scored, %" PRId64 " anomalies (%.2f%%) in %" PRId64
              " events\n",
              rule.rows, rows, rule.hits,
              rule.rows ? 100.0 * double(rule.hits) / double(rule.rows) : 0.0, rule.events);
  if (!rule.worst.empty()) std::printf("  worst:\n");
  for (const quality::Example& e : rule.worst) {
    std::printf("    %s .. %s  %s\n", e.ts.ToIso().c_str(), e.end.ToIso().c_str(),
                e.why.c_str());
  }
  if (!a.output.empty()) {
    std::printf("  wrote %s with %s, %s\n", a.output.c_str(), error_name.c_str(),
                flag_name.c_str());
  }
  if (!a.csv.empty()) std::printf("  wrote %s\n", a.csv.c_str());
  if (!a.report.empty()) std::printf("  quality report %s\n", a.report.c_str());
  return Status::Ok();
}

}  // namespace

Command AddAnomalyCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<AnomalyArgs>();
  CLI::App* app = root.add_subcommand(
      "anomaly", "Autoencoder anomaly detector: fit on normal windows, score a dataset");
  app->require_subcommand(1, 1);
  app->footer(
      "A window autoencoder (docs/anomaly.md) learns what L consecutive rows of selected "
      "dataset features look like; its reconstruction error flags unusual market states.");
  AnomalyArgs* a = args.get();
  CLI::App* fit = app->add_subcommand("fit", "Train a detector and save it into the registry");
  fit->add_option("--dataset", a->dataset, "Dataset file")->required();
  fit->add_option("--columns", a->columns,
                  "Comma-separated feature names or globs (* and ?); default: every feature");
  fit->add_option("--window", a->opt.window, "Rows per window L (default 16)");
  fit->add_option("--hidden", a->opt.hidden, "Hidden units H (default 32)");
  fit->add_option("--bottleneck", a->opt.bottleneck, "Bottleneck size B (default 4)");
  fit->add_option("--quantile", a->opt.quantile,
                  "Threshold quantile of the training errors (default 0.99)");
  fit->add_option("--epochs", a->opt.max_epochs, "Maximum epochs (default 200)");
  fit->add_option("--patience", a->opt.patience,
                  "Epochs without a better validation error before stopping (default 10)");
  fit->add_option("--learning-rate", a->opt.learning_rate, "Adam learning rate (default 0.001)");
  fit->add_option("--weight-decay", a->opt.weight_decay, "Adam weight decay (default 0)");
  fit->add_option("--batch", a->opt.batch_size, "Windows per batch (default 64)");
  fit->add_option("--validation-fraction", a->opt.validation_fraction,
                  "Last fraction of the normal windows used for early stopping (default 0.2)");
  fit->add_option("--seed", a->opt.seed, "Seed (default 42)");
  fit->add_option("--threads", a->opt.threads, "Torch threads while training (default 1)");
  fit->add_option("--from", a->from, "First training decision time (ISO-8601 UTC, inclusive)");
  fit->add_option("--to", a->to, "End of the training rows (ISO-8601 UTC, exclusive)");
  fit->add_option("--exclude-column", a->exclude_column,
                  "Feature or label column: rows where it is non-zero are not normal (kept out "
                  "of training and the threshold)");
  fit->add_option("--name", a->name, "Model name (default ae-<feature set>)");
  fit->add_option("--models", a->models, "Model registry directory (default ./models)");
  fit->add_flag("--json", a->json, "Print the fit summary as JSON");

  CLI::App* score = app->add_subcommand(
      "score", "Append ae_error_<L> and ae_anomaly_<L> to a dataset; quality report rule");
  score->add_option("--model", a->model, "Model id")->required();
  score->add_option("--models", a->models, "Model registry directory (default ./models)");
  score->add_option("--dataset", a->dataset, "Dataset file (same feature set as the model's)")
      ->required();
  score->add_option("--output", a->output, "Output dataset with the two columns appended");
  score->add_option("--csv", a->csv, "The output dataset as CSV too");
  score->add_option("--report", a->report,
                    "Write the data-quality report with the ae_anomaly rule as JSON ('-' = "
                    "stdout)");
  score->add_option("--store", a->store,
                    "With --report: tick store whose report (over the dataset's time range) "
                    "the rule joins; default: a report of the dataset rows only");
  score->add_option("--quality-config", a->quality_config,
                    "With --store: quality rules TOML (default: built-in)");
  score->add_option("--top", a->top, "Worst events listed (default 10)");
  score->add_flag("--json", a->json, "Print the summary as JSON");
  score->footer(
      "ae_error_<L> is the reconstruction error of the window of L rows ending at each row (NaN "
      "before the first full window and for windows with missing values); ae_anomaly_<L> is 1 "
      "above the model's threshold, else 0 (NaN where the error is NaN).");
  return Command{app, [args, &g, fit] {
                   return fit->parsed() ? RunFit(*args, g) : RunScore(*args, g);
                 }};
}

}  // namespace arus::cli
