// `arus predict`: apply a registered model to a dataset made by the same feature set.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/file.h"
#include "core/format.h"
#include "features/dataset.h"
#include "ml/ensemble.h"
#include "ml/registry.h"

namespace arus::cli {

namespace {

struct PredictArgs {
  std::string model, dataset, output, models = "models", from, to;
  bool json = false;
};

Status RunPredict(const PredictArgs& a, const GlobalFlags& g) {
  ml::ModelRegistry reg(a.models);
  ARUS_ASSIGN_OR_RETURN(ml::ModelManifest man, reg.Manifest(a.model));
  ARUS_ASSIGN_OR_RETURN(auto reader, features::DatasetReader::Open(a.dataset));
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model,
                        reg.Load(a.model, reader->schema().feature_set_hash));
  features::DatasetReadOptions opt;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &opt.from, &opt.to));
  // A sequence model reads history: rows before --from are read too, as context only.
  const size_t context = model->context_rows();
  const UnixNanos from = opt.from;
  if (context > 0) opt.from = UnixNanos::Min();
  opt.features = man.feature_names;
  const bool has_label = reader->schema().LabelIndex(man.label) >= 0;
  opt.labels = has_label ? std::vector<std::string>{man.label} : std::vector<std::string>{};
  opt.checkpoint = false;
  ARUS_ASSIGN_OR_RETURN(features::Dataset ds, reader->Read(opt));

  // Rows [first, all) are predicted; [start, first) are their context.
  const size_t all = ds.rows();
  const size_t first =
      std::lower_bound(ds.time.begin(), ds.time.end(), from) - ds.time.begin();
  const size_t start = first - std::min(first, context);
  const size_t n = all - first, f = man.feature_names.size(), k = model->info().outputs();
  const size_t hz = model->info().horizons, width = k * hz, skip = first - start;
  ml::Matrix x(all - start, f);
  for (size_t c = 0; c < f; ++c) {
    for (size_t r = start; r < all; ++r) x.at(r - start, c) = ds.features[c][r];
  }
  std::vector<double> out((all - start) * width);
  if (hz > 1) {
    ARUS_RETURN_IF_ERROR(model->PredictHorizons(x.view(), out));
  } else {
    ARUS_RETURN_IF_ERROR(model->Predict(x.view(), out));
  }
  out.erase(out.begin(), out.begin() + skip * width);
  std::vector<double> agreement;
  const auto* ens = dynamic_cast<const ml::Ensemble*>(model.get());
  if (ens) {
    agreement.resize(all - start);
    ARUS_RETURN_IF_ERROR(ens->Agreement(x.view(), agreement));
    agreement.erase(agreement.begin(), agreement.begin() + skip);
  }

  const bool cls = model->info().task == ml::Task::kClassification;
  std::string csv = "time";
  if (has_label) csv += ",label";
  if (cls) {
    for (double c : model->info().classes) {
      csv += ",p_";
      AppendShortest(&csv, c);
    }
  }
  csv += ",pred";
  if (ens) csv += ",agreement";
  // Multi-step models: the same columns for every further horizon, prefixed h2_, h3_, ...
  for (size_t h = 1; h < hz; ++h) {
    const std::string pre = ",h" + std::to_string(h + 1) + "_";
    if (cls) {
      for (double c : model->info().classes) {
        csv += pre + "p_";
        AppendShortest(&csv, c);
      }
    }
    csv += pre + "pred";
  }
  csv += "\n";
  size_t counts[3] = {0, 0, 0};
  for (size_t r = 0; r < n; ++r) {
    csv += ds.time[first + r].ToIso();
    if (has_label) {
      csv += ',';
      if (std::isfinite(ds.labels[0][first + r])) AppendShortest(&csv, ds.labels[0][first + r]);
    }
    // Horizon h's values of row r: out[(r * hz + h) * k ...].
    auto append_horizon = [&](size_t h) {
      const double* o = out.data() + (r * hz + h) * k;
      if (cls) {
        size_t best = 0;
        for (size_t c = 0; c < k; ++c) {
          csv += ',';
          AppendShortest(&csv, o[c]);
          if (o[c] > o[best]) best = c;
        }
        csv += ',';
        AppendShortest(&csv, model->info().classes[best]);
        return best;
      }
      csv += ',';
      AppendShortest(&csv, o[0]);
      return size_t{0};
    };
    const size_t best = append_horizon(0);
    if (cls && best < 3) ++counts[best];
    if (ens) {
      csv += ',';
      AppendShortest(&csv, agreement[r]);
    }
    for (size_t h = 1; h < hz; ++h) append_horizon(h);
    csv += '\n';
  }
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(a.output, csv));

  nlohmann::json j;
  j["model"] = man.id;
  j["learner"] = man.learner;
  j["dataset"] = a.dataset;
  j["rows"] = n;
  j["output"] = a.output;
  if (hz > 1) j["horizons"] = hz;
  if (context > 0) j["context_rows"] = skip;
  if (n > 0) {
    j["first"] = ds.time[first].ToIso();
    j["last"] = ds.time.back().ToIso();
  }
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("%s: %zu predictions", man.id.c_str(), n);
    if (n > 0) {
      std::printf(" for %s .. %s", ds.time[first].ToIso().c_str(), ds.time.back().ToIso().c_str());
    }
    std::printf(" written to %s\n", a.output.c_str());
    if (cls && n > 0) {
      std::printf("  predicted classes:");
      for (size_t c = 0; c < k && c < 3; ++c) {
        std::printf(" %g: %.1f%%", model->info().classes[c], 100.0 * counts[c] / n);
      }
      std::printf("\n");
    }
  }
  return Status::Ok();
}

}  // namespace

Command AddPredictCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* app = root.add_subcommand("predict", "Predict with a registered model on a dataset");
  app->footer(
      "The dataset must come from the feature set the model was trained on (same hash); "
      "otherwise this fails and says which set the model needs. Output CSV: time, label (when "
      "the dataset has it), one probability column per class (p_-1, p_0, p_1) or nothing for "
      "regression, pred (most likely class or predicted value), agreement for ensembles; for "
      "multi-step models the same columns again per further horizon (h2_p_-1, ..., h2_pred). "
      "Sequence models (lstm, gru, ...) also read the rows before --from as history.");
  app->add_option("--model", args->model, "Model id (arus models list)")->required();
  app->add_option("--dataset", args->dataset, "Dataset file")->required();
  app->add_option("-o,--output", args->output, "Predictions CSV")->required();
  app->add_option("--models", args->models, "Model registry directory")->capture_default_str();
  app->add_option("--from", args->from, "First decision time (inclusive), ISO-8601 UTC");
  app->add_option("--to", args->to, "Decision times before this (exclusive)");
  app->add_flag("--json", args->json, "Print the summary as JSON");
  return Command{app, [args, &g] { return RunPredict(*args, g); }};
}

}  // namespace arus::cli
