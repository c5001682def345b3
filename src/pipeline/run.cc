// RunPipeline: the stages of `arus run` (docs/run.md).
#include "pipeline/run.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/file.h"
#include "core/progress.h"
#include "core/version.h"
#include "features/build.h"
#include "features/dataset.h"
#include "features/feature_set.h"
#include "fx/instrument.h"
#include "ingest/economic_calendar.h"
#include "ingest/synthetic_market.h"
#include "pipeline/generate.h"
#include "pipeline/run_stages.h"
#include "quality/config.h"
#include "quality/tick_source.h"
#include "quality/tick_validator.h"
#include "store/tick_store.h"
#include "validation/experiment.h"
#include "validation/model_export.h"

namespace arus::pipeline {

namespace {

// "20260124T101502": the run directory's time stamp (UTC).
std::string Stamp(UnixNanos t) {
  std::string out;
  for (char ch : t.ToIso().substr(0, 19)) {
    if (ch != '-' && ch != ':') out += ch;
  }
  return out;
}

Result<ingest::SyntheticOptions::Mode> ParseMode(const std::string& m) {
  using Mode = ingest::SyntheticOptions::Mode;
  for (Mode mode : {Mode::kNormal, Mode::kRandomWalk, Mode::kPlantSignal}) {
    if (ingest::SyntheticModeName(mode) == m) return mode;
  }
  return InvalidArgument("data.mode: unknown market mode \"" + m +
                         "\" (known: normal, random_walk, plant_signal)");
}

}  // namespace

Result<RunSummary> RunPipeline(const RunConfig& c, const RunOptions& options) {
  RunSummary summary;
  StageDisplay display(options.progress, &summary);
  const UnixNanos started = LiveClock().Now();
  const std::string dir_name =
      options.run_name.empty() ? Stamp(started) + "-" + c.name : options.run_name;
  const std::string run_dir = options.runs_dir + "/" + dir_name;
  std::error_code ec;
  if (std::filesystem::exists(run_dir, ec)) {
    return AlreadyExists("run directory '" + run_dir + "' exists");
  }
  std::filesystem::create_directories(run_dir + "/quality", ec);
  if (ec) return IoError("create '" + run_dir + "': " + ec.message());
  summary.run_dir = run_dir;

  RunState st;
  st.config = &c;
  st.run_dir = run_dir;

  // 1. Data.
  std::string store_dir = c.store;
  if (c.source == "generate") {
    ingest::SyntheticOptions so;
    so.symbols = c.symbols;
    so.from = c.from;
    so.to = c.to;
    so.seed = c.seed;
    ARUS_ASSIGN_OR_RETURN(so.mode, ParseMode(c.market_mode));
    if (so.mode == ingest::SyntheticOptions::Mode::kPlantSignal) {
      so.signal_strength = c.signal_strength;
    }
    so.tick_rate_scale = c.tick_rate_scale;
    ARUS_ASSIGN_OR_RETURN(auto market,
                          ingest::SyntheticMarket::Create(so, fx::InstrumentTable::Builtin()));
    store_dir = run_dir + "/store";
    ARUS_ASSIGN_OR_RETURN(auto store,
                          store::TickStore::Open(store_dir, store::OpenMode::kReadWrite));
    auto bar = display.Begin(1, "generate", 1000);
    ARUS_ASSIGN_OR_RETURN(GenerateResult gen,
                          GenerateIntoStore(*market, *store, false, [&](double f) {
                            bar->Update(static_cast<uint64_t>(f * 1000));
                          }));
    bar->Finish();
    ARUS_RETURN_IF_ERROR(
        ingest::WriteEconomicCalendarCsv(store_dir + "/economic_calendar.csv", gen.events));
    display.Line("data: generated " + HumanCount(double(gen.ticks())) + " ticks of " +
                 std::to_string(gen.instruments.size()) + " pairs over " +
                 std::to_string(gen.trading_days) + " trading days (" +
                 std::string(ingest::SyntheticModeName(so.mode)) + " market, seed " +
                 std::to_string(c.seed) + ")");
  }
  ARUS_ASSIGN_OR_RETURN(st.store, store::TickStore::Open(store_dir, store::OpenMode::kReadOnly));
  st.store_dir = store_dir;
  if (st.symbols = c.symbols; st.symbols.empty()) st.symbols = st.store->Symbols();

  // 2. Quality: one report per symbol over the run's range.
  {
    quality::QualityConfig qc;
    if (!c.quality_config.empty()) {
      ARUS_ASSIGN_OR_RETURN(qc, quality::LoadQualityConfig(c.quality_config));
    }
    auto bar = display.Begin(2, "quality", st.symbols.size(), " pairs");
    std::string line = "quality:";
    for (size_t i = 0; i < st.symbols.size(); ++i) {
      ARUS_ASSIGN_OR_RETURN(const fx::Instrument* inst,
                            fx::InstrumentTable::Builtin().Find(st.symbols[i]));
      ARUS_ASSIGN_OR_RETURN(auto scanner, st.store->Scan(inst->symbol, c.from, c.to));
      quality::TickValidatorOptions vo;
      vo.symbol = inst->symbol;
      vo.source = store_dir;
      vo.expected_from = c.from;
      vo.expected_to = c.to;
      ARUS_ASSIGN_OR_RETURN(quality::QualityReport rep,
                            quality::ValidateTicks(quality::ScannerSource(scanner.get()), *inst,
                                                   qc, vo));
      ARUS_RETURN_IF_ERROR(
          WriteFileAtomic(run_dir + "/quality/" + inst->symbol + ".json", rep.ToJson()));
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.1f", inst->symbol.c_str(), rep.score);
      line += buf;
      st.quality.push_back({inst->symbol, rep.score, rep.ToText(), rep.ToJson()});
      bar->Update(i + 1);
    }
    bar->Finish();
    display.Line(line + " (score 0-100; reports in quality/)");
  }

  // 3. Features.
  {
    ARUS_ASSIGN_OR_RETURN(features::FeatureSetSpec spec,
                          features::LoadFeatureSet(c.feature_spec));
    features::BuildOptions bo;
    bo.from = c.from;
    bo.to = c.to;
    auto bar = display.Begin(3, "features", 0, " bars");
    bo.progress = [&](int64_t done, int64_t total) {
      bar->SetTotal(static_cast<uint64_t>(total));
      bar->Update(static_cast<uint64_t>(done));
    };
    ARUS_ASSIGN_OR_RETURN(st.dataset, features::BuildDataset(*st.store, spec, bo));
    bar->Finish();
    ARUS_RETURN_IF_ERROR(features::WriteDataset(run_dir + "/dataset.ds", st.dataset));
    display.Line("features: " + std::to_string(st.dataset.rows()) + " " + st.dataset.symbol +
                 " " + st.dataset.base_timeframe + " rows x " +
                 std::to_string(st.dataset.feature_names.size()) + " features, set " +
                 st.dataset.feature_set_name + " (" + st.dataset.feature_set_hash + ")");
  }

  // 4. Walk-forward training.
  {
    ARUS_ASSIGN_OR_RETURN(st.experiment, validation::LoadExperimentConfig(c.train_config));
    st.experiment.dataset = run_dir + "/dataset.ds";
    ARUS_ASSIGN_OR_RETURN(st.data, validation::PrepareData(st.experiment, st.dataset));
    validation::RunOptions ro;
    auto bar = display.Begin(4, "train", 0, " fits");
    ro.progress = [&](size_t done, size_t total) {
      bar->SetTotal(total);
      bar->Update(done);
    };
    ARUS_ASSIGN_OR_RETURN(st.result, validation::RunExperiment(st.experiment, st.data, ro));
    bar->Finish();
    st.validation_json = validation::ExperimentJson(st.experiment, st.data, st.result);
    ARUS_RETURN_IF_ERROR(
        WriteFileAtomic(run_dir + "/validation.json", st.validation_json.dump(2) + "\n"));
    ARUS_ASSIGN_OR_RETURN(st.saved_models,
                          validation::SaveFinalModels(st.experiment, st.data, st.result,
                                                      st.dataset, run_dir + "/dataset.ds",
                                                      run_dir + "/models", started));
    std::string line = "train: " + std::to_string(st.result.folds.size()) +
                       " walk-forward folds, " + std::to_string(st.result.oos_rows.size()) +
                       " out-of-sample rows;";
    for (size_t m = 0; m < st.result.model_names.size(); ++m) {
      char buf[96];
      const auto& pm = st.result.pooled[m];
      if (pm.task == ml::Task::kClassification) {
        std::snprintf(buf, sizeof buf, " %s acc %.3f", st.result.model_names[m].c_str(),
                      pm.cls.accuracy);
      } else {
        std::snprintf(buf, sizeof buf, " %s IC %.3f", st.result.model_names[m].c_str(),
                      pm.reg.ic);
      }
      line += buf;
    }
    display.Line(line);
  }

  // 5-7. Backtest, analytics, report.
  ARUS_RETURN_IF_ERROR(RunBacktestStages(st, display, &summary));

  // The manifest: what ran, on what, with which code.
  nlohmann::json man;
  man["name"] = c.name;
  man["config_file"] = c.origin;
  man["config"] = nlohmann::json::parse(c.canonical_text, nullptr, false);
  man["config_hash"] = c.hash;
  man["seed"] = c.seed;
  man["code_revision"] = CodeRevision();
  man["created_at"] = started.ToIso();
  man["data"] = {{"source", c.source},
                 {"store", store_dir},
                 {"symbols", st.symbols},
                 {"from", c.from.ToIso()},
                 {"to", c.to.ToIso()}};
  man["dataset"] = {{"path", "dataset.ds"},
                    {"rows", st.dataset.rows()},
                    {"feature_set", st.dataset.feature_set_name},
                    {"feature_set_hash", st.dataset.feature_set_hash}};
  man["experiment"] = {{"name", st.experiment.name}, {"hash", st.experiment.hash}};
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [name, id] : st.saved_models) models[name] = id;
  man["models"] = models;
  man["traded_model"] = c.trade_model;
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(run_dir + "/manifest.json", man.dump(2) + "\n"));
  return summary;
}

}  // namespace arus::pipeline
