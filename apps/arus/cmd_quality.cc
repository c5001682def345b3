// `arus quality` and `arus compare`: data-quality report of stored ticks, and comparison of one
// symbol across two stores (docs/quality.md).
#include <cstdio>

#include "cli.h"
#include "core/file.h"
#include "fx/instrument.h"
#include "quality/compare.h"
#include "quality/config.h"
#include "quality/report.h"
#include "quality/tick_source.h"
#include "quality/tick_validator.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct QualityArgs {
  std::vector<std::string> stores;
  std::string symbol, from, to, json, config;
};

Result<quality::QualityConfig> LoadConfig(const std::string& path) {
  if (path.empty()) return quality::QualityConfig{};
  return quality::LoadQualityConfig(path);
}

Status WriteJson(const std::string& path, const std::string& json) {
  if (path == "-") {
    std::printf("%s\n", json.c_str());
    return Status::Ok();
  }
  return WriteFileAtomic(path, json + "\n");
}

Status RunQuality(const QualityArgs& a, const GlobalFlags& g) {
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  ARUS_ASSIGN_OR_RETURN(quality::QualityConfig cfg, LoadConfig(a.config));
  ARUS_ASSIGN_OR_RETURN(const fx::Instrument* instrument,
                        fx::InstrumentTable::Builtin().Find(a.symbol));
  ARUS_ASSIGN_OR_RETURN(auto store,
                        store::TickStore::Open(a.stores.at(0), store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->Scan(instrument->symbol, from, to));
  quality::TickValidatorOptions opt;
  opt.symbol = instrument->symbol;
  opt.source = a.stores[0];
  // Missing data at the edges counts as a gap only when the user named the range.
  if (!a.from.empty()) opt.expected_from = from;
  if (!a.to.empty()) opt.expected_to = to;
  ARUS_ASSIGN_OR_RETURN(quality::QualityReport report,
                        quality::ValidateTicks(quality::ScannerSource(scanner.get()), *instrument,
                                               cfg, opt));
  if (!a.json.empty()) ARUS_RETURN_IF_ERROR(WriteJson(a.json, report.ToJson()));
  if (!g.quiet && a.json != "-") std::printf("%s", report.ToText().c_str());
  return Status::Ok();
}

Status RunCompare(const QualityArgs& a, const GlobalFlags& g) {
  if (a.stores.size() != 2) {
    return InvalidArgument("compare needs exactly two --store options, got " +
                           std::to_string(a.stores.size()));
  }
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  ARUS_ASSIGN_OR_RETURN(quality::QualityConfig cfg, LoadConfig(a.config));
  ARUS_ASSIGN_OR_RETURN(const fx::Instrument* instrument,
                        fx::InstrumentTable::Builtin().Find(a.symbol));
  ARUS_ASSIGN_OR_RETURN(auto store_a,
                        store::TickStore::Open(a.stores[0], store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(auto store_b,
                        store::TickStore::Open(a.stores[1], store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(auto scan_a, store_a->Scan(instrument->symbol, from, to));
  ARUS_ASSIGN_OR_RETURN(auto scan_b, store_b->Scan(instrument->symbol, from, to));
  quality::CompareOptions co;
  co.settings = cfg.compare;
  co.symbol = instrument->symbol;
  co.label_a = a.stores[0];
  co.label_b = a.stores[1];
  ARUS_ASSIGN_OR_RETURN(quality::CompareReport report,
                        quality::CompareSources(quality::ScannerSource(scan_a.get()),
                                                quality::ScannerSource(scan_b.get()),
                                                *instrument, co));
  if (!a.json.empty()) ARUS_RETURN_IF_ERROR(WriteJson(a.json, report.ToJson()));
  if (!g.quiet && a.json != "-") std::printf("%s", report.ToText().c_str());
  return Status::Ok();
}

void AddCommonOptions(CLI::App* app, QualityArgs* args) {
  app->add_option("--symbol", args->symbol, "Symbol, e.g. EURUSD")->required();
  app->add_option("--from", args->from, "Start (inclusive), ISO-8601 UTC");
  app->add_option("--to", args->to, "End (exclusive), ISO-8601 UTC");
  app->add_option("--json", args->json, "Write the report as JSON to this file ('-' = stdout)");
  app->add_option("--config", args->config,
                  "Quality rules TOML (default: built-in; see examples/quality.toml)");
}

}  // namespace

Command AddQualityCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<QualityArgs>();
  CLI::App* app = root.add_subcommand("quality", "Data-quality report of stored ticks");
  app->footer(
      "Rules: time order, duplicates, crossed/locked quotes, spread outliers, spikes (robust "
      "z-score; reverting = bad tick, persisting = genuine jump), stale quotes, gaps while the "
      "market is open (weekends and 25 Dec / 1 Jan are not gaps). Prints per-rule counts and "
      "worst examples, the gap table, spread and tick-rate profiles by New York hour, and a "
      "score 0-100 (docs/quality.md).");
  app->add_option("--store", args->stores, "Store directory")->required()->expected(1);
  AddCommonOptions(app, args.get());
  return Command{app, [args, &g] { return RunQuality(*args, g); }};
}

Command AddCompareCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<QualityArgs>();
  CLI::App* app = root.add_subcommand("compare", "Compare one symbol across two stores");
  app->footer(
      "Aligns both feeds on a time grid and reports mid-price differences in pips (mean, p50, "
      "p99), spreads, the clock offset between the feeds (lag maximising the correlation of "
      "returns; positive = the second store lags), and moments where one source quotes a price "
      "the other never did (bid above the other's ask).");
  app->add_option("--store", args->stores, "Store directory (give two)")->required()->expected(2);
  AddCommonOptions(app, args.get());
  return Command{app, [args, &g] { return RunCompare(*args, g); }};
}

}  // namespace arus::cli
