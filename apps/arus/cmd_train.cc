// `arus train`: run an experiment (docs/train.md): leakage-free validation of one or more
// learners (with an optional nested hyperparameter search and an ensemble), metrics.json and
// out-of-sample predictions, then final models fitted on every usable row into the registry.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/format.h"
#include "core/progress.h"
#include "dl/learners.h"
#include "features/build.h"
#include "features/dataset.h"
#include "features/feature_set.h"
#include "ml/registry.h"
#include "store/tick_store.h"
#include "validation/experiment.h"
#include "validation/model_export.h"

namespace arus::cli {

namespace {

struct TrainArgs {
  std::string config, dataset, models, out;
  bool no_save = false;
  bool json = false;
  bool list_learners = false;
};

std::string Num(double v, int prec = 4) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string PValue(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, p < 1e-4 ? "%.1e" : "%.4f", p);
  return buf;
}

void PrintMetricsLine(const std::string& name, const validation::Metrics& m) {
  if (m.task == ml::Task::kClassification) {
    const auto& c = m.cls;
    std::printf("    %-16s acc %s  chance %s  p %-8s  bal %s  logloss %s  brier %s  auc %s\n",
                name.c_str(), Num(c.accuracy).c_str(), Num(c.chance_accuracy).c_str(),
                PValue(c.binomial_p).c_str(), Num(c.balanced_accuracy).c_str(),
                Num(c.log_loss).c_str(), Num(c.brier).c_str(), Num(c.roc_auc).c_str());
  } else {
    const auto& r = m.reg;
    std::printf("    %-16s ic %s  pearson %s  hit %s  rmse %.3g  mae %.3g  r2 %s\n", name.c_str(),
                Num(r.ic).c_str(), Num(r.pearson).c_str(), Num(r.hit_rate).c_str(), r.rmse, r.mae,
                Num(r.r2).c_str());
  }
}

void ListLearners() {
  for (const ml::LearnerSummary& l : ml::ListLearners()) {
    std::printf("%s%s%s — %s\n", l.name.c_str(), l.classification ? " [classification]" : "",
                l.regression ? " [regression]" : "", l.help.c_str());
    for (const ml::ParamSpec& p : l.params) {
      std::string range;
      if (!p.choices.empty()) {
        for (const std::string& c : p.choices) range += (range.empty() ? "" : "|") + c;
      } else if (p.type == ml::ParamType::kInt || p.type == ml::ParamType::kDouble) {
        range = "[" + (std::isinf(p.min) ? std::string("-inf") : Num(p.min, 6)) + ", " +
                (std::isinf(p.max) ? std::string("inf") : Num(p.max, 6)) + "]";
      }
      std::printf("    %-22s = %-10s %-18s %s\n", p.name.c_str(),
                  ml::ParamValueText(p.default_value).c_str(), range.c_str(), p.help.c_str());
    }
  }
}

// The experiment's dataset: a file, or built in memory from a feature set and a store.
Result<features::Dataset> LoadData(const validation::ExperimentConfig& c, const TrainArgs& a,
                                   const GlobalFlags& g, std::string* origin) {
  const std::string path = !a.dataset.empty() ? a.dataset : c.dataset;
  if (!path.empty()) {
    *origin = path;
    return features::ReadDataset(path);
  }
  if (c.feature_spec.empty()) {
    return InvalidArgument(c.origin + ": give `dataset` (or --dataset), or `features` and `store`");
  }
  *origin = c.feature_spec + " @ " + c.store;
  ARUS_ASSIGN_OR_RETURN(features::FeatureSetSpec spec, features::LoadFeatureSet(c.feature_spec));
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(c.store, store::OpenMode::kReadOnly));
  features::BuildOptions opt;
  ProgressBar progress("features", 0, !g.quiet, " bars");
  opt.progress = [&](int64_t done, int64_t total) {
    progress.SetTotal(static_cast<uint64_t>(total));
    progress.Update(static_cast<uint64_t>(done));
  };
  auto ds = features::BuildDataset(*store, spec, opt);
  progress.Finish();
  return ds;
}

Status WritePredictionsCsv(const std::string& path, const features::Dataset& ds,
                           const validation::ExperimentData& d,
                           const validation::ExperimentResult& r) {
  std::string out = "time,label";
  const bool cls = d.task == ml::Task::kClassification;
  const size_t k = cls ? r.classes.size() : 1;
  for (const std::string& m : r.model_names) {
    if (cls) {
      for (double c : r.classes) out += "," + m + "_p" + ShortestText(c);
    } else {
      out += "," + m + "_pred";
    }
  }
  if (!r.oos_agreement.empty()) out += ",ensemble_agreement";
  out += "\n";
  for (size_t i = 0; i < r.oos_rows.size(); ++i) {
    const size_t row = r.oos_rows[i];
    out += ds.time[d.dataset_row[row]].ToIso() + "," + ShortestText(d.y[row]);
    for (size_t m = 0; m < r.model_names.size(); ++m) {
      for (size_t c = 0; c < k; ++c) out += "," + ShortestText(r.oos_outputs[m][i * k + c]);
    }
    if (!r.oos_agreement.empty()) out += "," + ShortestText(r.oos_agreement[i]);
    out += "\n";
  }
  return WriteFileAtomic(path, out);
}

Status RunTrain(const TrainArgs& a, const GlobalFlags& g) {
  if (a.list_learners) {
    ListLearners();
    return Status::Ok();
  }
  if (a.config.empty()) return InvalidArgument("--config is required (or --list-learners)");
  ARUS_ASSIGN_OR_RETURN(validation::ExperimentConfig c, validation::LoadExperimentConfig(a.config));
  std::string origin;
  ARUS_ASSIGN_OR_RETURN(features::Dataset ds, LoadData(c, a, g, &origin));
  ARUS_ASSIGN_OR_RETURN(validation::ExperimentData d, validation::PrepareData(c, ds));
  const bool human = !a.json && !g.quiet;
  if (human) {
    std::printf("experiment %s (config %s): %s on %s, label %s (%s)\n", c.name.c_str(),
                c.hash.c_str(), ds.symbol.c_str(), origin.c_str(), d.label.c_str(),
                std::string(ml::TaskName(d.task)).c_str());
    std::printf(
        "  %zu usable rows of %zu (%zu without label, %zu flat, %zu incomplete), %zu "
        "features\n",
        d.x.rows, d.dataset_rows, d.dropped_no_label, d.dropped_flat, d.dropped_incomplete,
        d.feature_names.size());
  }

  validation::RunOptions ro;
  ro.fit_final = !a.no_save;
  ProgressBar progress("train", 0, !g.quiet, " fits");
  ro.progress = [&](size_t done, size_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  };
  // Deep-learning fits report their epoch and losses into the same bar (reset on every exit).
  struct DlProgressReset {
    ~DlProgressReset() { dl::SetTrainProgress(nullptr); }
  } dl_progress_reset;
  dl::SetTrainProgress([&](const dl::TrainProgress& p) {
    char buf[160];
    int len = std::snprintf(buf, sizeof buf, "%s epoch %zu/%zu loss %.4f", p.learner.c_str(),
                            p.epoch, p.epochs, p.train_loss);
    if (p.val_loss >= 0 && len > 0 && static_cast<size_t>(len) < sizeof buf) {
      std::snprintf(buf + len, sizeof buf - len, " val %.4f", p.val_loss);
    }
    progress.SetStatus(buf);
    progress.Add(0);
  });
  ro.on_fold = [&](const validation::FoldResult& f) {
    if (!human) return;
    std::printf(
        "\n  fold %zu: train %s .. %s (%zu rows, %zu purged, %zu embargoed)  test %s .. "
        "%s (%zu rows)\n",
        f.fold.index + 1, f.train_from.ToIso().c_str(), f.train_to.ToIso().c_str(),
        f.fold.train.size(), f.fold.purged, f.fold.embargoed, f.test_from.ToIso().c_str(),
        f.test_to.ToIso().c_str(), f.fold.test_end - f.fold.test_begin);
    for (const auto& m : f.models) PrintMetricsLine(m.model, m.metrics);
    std::fflush(stdout);
  };
  ARUS_ASSIGN_OR_RETURN(validation::ExperimentResult r, validation::RunExperiment(c, d, ro));
  progress.SetStatus("");
  progress.Finish();

  // metrics.json and the out-of-sample predictions.
  const std::string out_dir = a.out.empty() ? "runs/" + c.name : a.out;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("create '" + out_dir + "': " + ec.message());
  nlohmann::json j = validation::ExperimentJson(c, d, r);
  j["dataset"] = origin;
  j["feature_set"] = {{"name", ds.feature_set_name}, {"hash", ds.feature_set_hash}};

  // Final models into the registry.
  const std::string models_dir = a.models.empty() ? c.models : a.models;
  nlohmann::json saved = nlohmann::json::object();
  if (!a.no_save) {
    ARUS_ASSIGN_OR_RETURN(auto ids, validation::SaveFinalModels(c, d, r, ds, origin, models_dir,
                                                                LiveClock().Now()));
    for (const auto& [name, id] : ids) saved[name] = id;
  }
  j["saved_models"] = saved;
  j["models_dir"] = models_dir;
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(out_dir + "/metrics.json", j.dump(2) + "\n"));
  ARUS_RETURN_IF_ERROR(WritePredictionsCsv(out_dir + "/oos_predictions.csv", ds, d, r));

  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (!human) return Status::Ok();
  std::printf("\n  pooled out of sample (%zu rows over %zu folds):\n", r.oos_rows.size(),
              r.folds.size());
  for (size_t m = 0; m < r.model_names.size(); ++m) PrintMetricsLine(r.model_names[m], r.pooled[m]);
  if (!r.trials.empty()) {
    std::printf(
        "  hyperparameter search: %zu trials recorded (count them when judging the "
        "best result)\n",
        r.trials.size());
  }
  std::printf("\n  metrics: %s/metrics.json, predictions: %s/oos_predictions.csv\n",
              out_dir.c_str(), out_dir.c_str());
  for (auto it = saved.begin(); it != saved.end(); ++it) {
    std::printf("  saved %-16s %s/%s\n", it.key().c_str(), models_dir.c_str(),
                it.value().get<std::string>().c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddTrainCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* app = root.add_subcommand(
      "train", "Validate learners without leakage (walk-forward / purged k-fold) and save models");
  app->footer(
      "EXP.toml names the dataset (or a feature set and a store), the label, the learners with "
      "their parameters and optional search spaces, an optional [ensemble] and the [validation] "
      "scheme (docs/train.md, examples/train.toml). Prints per-fold and pooled out-of-sample "
      "metrics, writes OUT/metrics.json and OUT/oos_predictions.csv, and saves each learner "
      "(and the ensemble) fitted on every usable row into the model registry.");
  app->add_option("--config", args->config, "Experiment TOML");
  app->add_option("--dataset", args->dataset, "Dataset file (overrides the config's)");
  app->add_option("--models", args->models,
                  "Model registry directory (default: config's, "
                  "else ./models)");
  app->add_option("--out", args->out, "Directory for metrics.json (default runs/<name>)");
  app->add_flag("--no-save", args->no_save, "Validate only: fit no final models");
  app->add_flag("--list-learners", args->list_learners, "List the learners and their parameters");
  app->add_flag("--json", args->json, "Print metrics.json instead of the summary");
  return Command{app, [args, &g] { return RunTrain(*args, g); }};
}

}  // namespace arus::cli
