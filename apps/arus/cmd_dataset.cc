// `arus dataset info|export`: what a dataset file holds, and its rows as CSV.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>

#include "cli.h"
#include "core/format.h"
#include "core/progress.h"
#include "features/dataset.h"

namespace arus::cli {

namespace {

using features::DatasetReader;
using features::DatasetReadOptions;

struct DatasetArgs {
  std::string path;
  bool json = false;
  std::string csv;
  std::string from, to;
  std::string columns;
};

// Summary of one value column: NaN count and min / max / mean of the other values.
struct ValueStats {
  int64_t nan = 0;
  int64_t count = 0;
  double min = 0, max = 0, sum = 0;
  void Add(std::span<const double> v) {
    for (double x : v) {
      if (std::isnan(x)) {
        ++nan;
        continue;
      }
      min = count == 0 ? x : std::min(min, x);
      max = count == 0 ? x : std::max(max, x);
      sum += x;
      ++count;
    }
  }
  double mean() const { return count ? sum / double(count) : NAN; }
};

// Summary of an end-time column: unknown (UnixNanos::Max) count, earliest and latest known.
struct TimeStats {
  int64_t unknown = 0;
  int64_t count = 0;
  UnixNanos min, max;
  void Add(std::span<const UnixNanos> v) {
    for (UnixNanos t : v) {
      if (t == UnixNanos::Max()) {
        ++unknown;
        continue;
      }
      min = count == 0 ? t : std::min(min, t);
      max = count == 0 ? t : std::max(max, t);
      ++count;
    }
  }
};

nlohmann::json Number(double v) {  // JSON has no NaN or infinities
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return nullptr;
  return v > 0 ? "inf" : "-inf";
}

std::string Text(double v) {
  if (std::isnan(v)) return "-";
  return ShortestText(v);
}

Status RunInfo(const DatasetArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<DatasetReader> r, DatasetReader::Open(a.path));
  const features::Dataset& sc = r->schema();
  const size_t rows = r->rows();
  nlohmann::json out;
  out["path"] = a.path;
  out["symbol"] = sc.symbol;
  out["base_timeframe"] = sc.base_timeframe;
  out["feature_set"] = {
      {"name", sc.feature_set_name}, {"hash", sc.feature_set_hash}, {"text", sc.feature_set_text}};
  out["rows"] = rows;
  out["file_bytes"] = r->file_bytes();
  out["first"] = nullptr;
  out["last"] = nullptr;
  if (rows > 0) {
    ARUS_ASSIGN_OR_RETURN(auto first, r->ReadTime(0, 1));
    ARUS_ASSIGN_OR_RETURN(auto last, r->ReadTime(rows - 1, rows));
    out["first"] = first[0].ToIso();
    out["last"] = last[0].ToIso();
  }
  // One column at a time through one buffer: memory stays at one column whatever the file size.
  std::vector<double> values(rows);
  std::vector<UnixNanos> times(rows);
  ProgressBar progress("reading columns", sc.feature_names.size() + 2 * sc.label_names.size(),
                       !g.quiet && !a.json, "columns");
  ARUS_RETURN_IF_ERROR(r->ReadTimeInto(0, times));  // verifies the time column too
  out["columns"] = nlohmann::json::array();
  auto value_column = [&](const std::string& name, const char* kind, const ValueStats& s) {
    out["columns"].push_back({{"name", name},
                              {"kind", kind},
                              {"nan", s.nan},
                              {"min", s.count ? Number(s.min) : nullptr},
                              {"max", s.count ? Number(s.max) : nullptr},
                              {"mean", Number(s.mean())}});
  };
  for (size_t c = 0; c < sc.feature_names.size(); ++c) {
    ARUS_RETURN_IF_ERROR(r->ReadFeatureInto(c, 0, values));
    ValueStats s;
    s.Add(values);
    value_column(sc.feature_names[c], "feature", s);
    progress.Add(1);
  }
  for (size_t l = 0; l < sc.label_names.size(); ++l) {
    ARUS_RETURN_IF_ERROR(r->ReadLabelInto(l, 0, values));
    ValueStats s;
    s.Add(values);
    value_column(sc.label_names[l], "label", s);
    progress.Add(1);
  }
  for (size_t l = 0; l < sc.label_names.size(); ++l) {
    ARUS_RETURN_IF_ERROR(r->ReadLabelEndInto(l, 0, times));
    TimeStats s;
    s.Add(times);
    out["columns"].push_back({{"name", sc.label_names[l] + "_end"},
                              {"kind", "label_end"},
                              {"unknown", s.unknown},
                              {"min", s.count ? nlohmann::json(s.min.ToIso()) : nullptr},
                              {"max", s.count ? nlohmann::json(s.max.ToIso()) : nullptr}});
    progress.Add(1);
  }
  ARUS_ASSIGN_OR_RETURN(auto checkpoint, r->ReadCheckpoint());
  out["checkpoint_bytes"] = checkpoint.size();
  progress.Finish();

  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  std::printf("dataset %s\n", a.path.c_str());
  std::printf("  symbol %s, base timeframe %s, feature set '%s' (hash %s)\n", sc.symbol.c_str(),
              sc.base_timeframe.c_str(), sc.feature_set_name.c_str(), sc.feature_set_hash.c_str());
  std::printf("  %zu rows", rows);
  if (rows > 0) {
    std::printf(", %s .. %s", out["first"].get<std::string>().c_str(),
                out["last"].get<std::string>().c_str());
  }
  std::printf("\n  %zu feature(s), %zu label(s), checkpoint %zu bytes, %s on disk\n",
              sc.feature_names.size(), sc.label_names.size(), checkpoint.size(),
              HumanBytes(double(r->file_bytes())).c_str());
  size_t width = 6;
  for (const auto& c : out["columns"]) width = std::max(width, c["name"].get<std::string>().size());
  std::printf("\n%-*s %-9s %9s %20s %20s %20s\n", int(width), "column", "kind", "NaN", "min", "max",
              "mean");
  auto cell = [](const nlohmann::json& v) {
    if (v.is_null()) return std::string("-");
    if (v.is_string()) return v.get<std::string>();
    return Text(v.get<double>());
  };
  for (const auto& c : out["columns"]) {
    const std::string kind = c["kind"];
    if (kind == "label_end") {
      std::printf("%-*s %-9s %9lld (unknown)  %s .. %s\n", int(width),
                  c["name"].get<std::string>().c_str(), kind.c_str(),
                  static_cast<long long>(c["unknown"].get<int64_t>()), cell(c["min"]).c_str(),
                  cell(c["max"]).c_str());
      continue;
    }
    std::printf("%-*s %-9s %9lld %20s %20s %20s\n", int(width),
                c["name"].get<std::string>().c_str(), kind.c_str(),
                static_cast<long long>(c["nan"].get<int64_t>()), cell(c["min"]).c_str(),
                cell(c["max"]).c_str(), cell(c["mean"]).c_str());
  }
  return Status::Ok();
}

Status RunExport(const DatasetArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<DatasetReader> r, DatasetReader::Open(a.path));
  DatasetReadOptions o;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &o.from, &o.to));
  o.checkpoint = false;
  if (!a.columns.empty()) {
    // Each name is a feature or a label (a label brings its `<label>_end` column).
    o.features = std::vector<std::string>{};
    o.labels = std::vector<std::string>{};
    const features::Dataset& sc = r->schema();
    size_t pos = 0;
    for (;;) {
      const size_t comma = a.columns.find(',', pos);
      const std::string name = a.columns.substr(pos, comma - pos);
      if (sc.FeatureIndex(name) >= 0) {
        o.features->push_back(name);
      } else if (sc.LabelIndex(name) >= 0) {
        o.labels->push_back(name);
      } else {
        std::string have;
        for (const auto& n : sc.feature_names) have += (have.empty() ? "" : ", ") + n;
        for (const auto& n : sc.label_names) have += (have.empty() ? "" : ", ") + n;
        return InvalidArgument("--columns: no column '" + name + "' in '" + a.path +
                               "' (features and labels: " + (have.empty() ? "none" : have) + ")");
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  ARUS_RETURN_IF_ERROR(features::WriteDatasetCsv(a.csv, *r, o));
  if (!g.quiet) {
    ARUS_ASSIGN_OR_RETURN(auto range, r->RowRange(o.from, o.to));
    std::printf("wrote %zu rows to %s\n", range.second - range.first, a.csv.c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddDatasetCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<DatasetArgs>();
  CLI::App* app = root.add_subcommand("dataset", "Inspect a dataset file or export it as CSV");
  app->require_subcommand(1, 1);
  app->footer(
      "Dataset files (docs/dataset-format.md) are what `arus features` materialises: one "
      "row per decision time with features, labels and label end times.");
  CLI::App* info = app->add_subcommand(
      "info", "Identity, rows, time range and per-column NaN count / min / max / mean");
  info->add_option("path", args->path, "Dataset file")->required();
  info->add_flag("--json", args->json, "Print JSON instead of a table");
  CLI::App* exp = app->add_subcommand("export", "Write the rows (or a selection) as CSV");
  exp->add_option("path", args->path, "Dataset file")->required();
  exp->add_option("--csv", args->csv, "Output CSV file (written atomically)")->required();
  exp->add_option("--from", args->from, "First decision time (ISO-8601 UTC, inclusive)");
  exp->add_option("--to", args->to, "End decision time (ISO-8601 UTC, exclusive)");
  exp->add_option("--columns", args->columns,
                  "Comma-separated features and labels to export (default: all); a label "
                  "brings its <label>_end column");
  exp->footer(
      "CSV columns: time, features, labels, then <label>_end per label. Numbers in "
      "shortest round-trip form; empty cells for NaN and unknown label ends.");
  return Command{
      app, [args, &g, info] { return info->parsed() ? RunInfo(*args, g) : RunExport(*args, g); }};
}

}  // namespace arus::cli
