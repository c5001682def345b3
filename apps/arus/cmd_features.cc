// `arus features`: materialise a feature set from a store into a dataset (binary, optional CSV).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/progress.h"
#include "features/build.h"
#include "features/dataset.h"
#include "features/feature_set.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct FeaturesArgs {
  std::string config, store, output, csv, from, to;
  bool extend = false;
  bool json = false;
};

Status RunFeatures(const FeaturesArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(features::FeatureSetSpec spec, features::LoadFeatureSet(a.config));
  features::BuildOptions opt;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &opt.from, &opt.to));
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  ProgressBar progress("features", 0, !g.quiet, " bars");
  opt.progress = [&](int64_t done, int64_t total) {
    progress.SetTotal(static_cast<uint64_t>(total));
    progress.Update(static_cast<uint64_t>(done));
  };
  const auto start = std::chrono::steady_clock::now();
  features::Dataset ds;
  size_t old_rows = 0;
  const bool extending = a.extend && std::filesystem::exists(a.output);
  if (extending) {
    if (!a.from.empty()) return InvalidArgument("--from cannot be used with --extend");
    ARUS_ASSIGN_OR_RETURN(features::Dataset existing, features::ReadDataset(a.output));
    old_rows = existing.rows();
    ARUS_ASSIGN_OR_RETURN(ds, features::ExtendDataset(*store, spec, existing, opt));
  } else {
    ARUS_ASSIGN_OR_RETURN(ds, features::BuildDataset(*store, spec, opt));
  }
  progress.Finish();
  ARUS_RETURN_IF_ERROR(features::WriteDataset(a.output, ds));
  if (!a.csv.empty()) ARUS_RETURN_IF_ERROR(features::WriteDatasetCsv(a.csv, ds));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json j;
  j["dataset"] = a.output;
  if (!a.csv.empty()) j["csv"] = a.csv;
  j["feature_set"] = spec.name;
  j["feature_set_hash"] = ds.feature_set_hash;
  j["symbol"] = ds.symbol;
  j["base_timeframe"] = ds.base_timeframe;
  j["rows"] = ds.rows();
  j["new_rows"] = ds.rows() - old_rows;
  j["extended"] = extending;
  j["features"] = ds.feature_names;
  j["labels"] = ds.label_names;
  if (ds.rows() > 0) {
    j["first"] = ds.time.front().ToIso();
    j["last"] = ds.time.back().ToIso();
  }
  j["seconds"] = secs;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("%s %s %s: %zu rows (%zu new) x %zu features + %zu labels in %.2f s\n",
                spec.name.c_str(), ds.symbol.c_str(), ds.base_timeframe.c_str(), ds.rows(),
                ds.rows() - old_rows, ds.feature_names.size(), ds.label_names.size(), secs);
    if (ds.rows() > 0) {
      std::printf("  decision times %s .. %s (UTC)\n", ds.time.front().ToIso().c_str(),
                  ds.time.back().ToIso().c_str());
    }
    std::printf("  feature set %s, written to %s%s%s\n", ds.feature_set_hash.c_str(),
                a.output.c_str(), a.csv.empty() ? "" : " and ", a.csv.c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddFeaturesCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<FeaturesArgs>();
  CLI::App* app = root.add_subcommand(
      "features", "Materialise a feature set (indicators, multi-timeframe, cross-pair, labels)");
  app->footer(
      "One row per close of a base-timeframe bar of the set's symbol (the decision time), "
      "with features computed only from bars that had closed by then, labels, and each label's "
      "end time. The feature-set spec is TOML (docs/features.md, examples/features.toml).\n"
      "--extend continues an existing dataset from its checkpoint: only new rows are computed "
      "and the result equals a full rebuild.");
  app->add_option("--config", args->config, "Feature-set TOML")->required();
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_option("-o,--output", args->output, "Dataset file (binary, docs/dataset-format.md)")
      ->required();
  app->add_option("--csv", args->csv, "Also write the dataset as CSV");
  app->add_option("--from", args->from, "First decision time (inclusive), ISO-8601 UTC");
  app->add_option("--to", args->to, "Decision times before this (exclusive; a whole minute)");
  app->add_flag("--extend", args->extend,
                "Extend --output if it exists (same feature set) instead of rebuilding");
  app->add_flag("--json", args->json, "Print the summary as JSON");
  return Command{app, [args, &g] { return RunFeatures(*args, g); }};
}

}  // namespace arus::cli
