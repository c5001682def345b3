// `arus run`: the whole job from one config (docs/run.md): data -> quality -> features ->
// walk-forward training -> out-of-sample backtest -> report, in one run directory.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/file.h"
#include "pipeline/run.h"

namespace arus::cli {

namespace {

struct RunArgs {
  std::string config;
  std::string runs = "runs";
  std::string name;
  bool json = false;
};

Status RunRun(const RunArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(pipeline::RunConfig c, pipeline::LoadRunConfig(a.config));
  pipeline::RunOptions o;
  o.runs_dir = a.runs;
  o.run_name = a.name;
  o.progress = !g.quiet && !a.json;
  if (!g.quiet && !a.json) {
    std::printf("run %s (config %s, hash %s)\n", c.name.c_str(), a.config.c_str(),
                c.hash.c_str());
    std::fflush(stdout);
  }
  ARUS_ASSIGN_OR_RETURN(pipeline::RunSummary s, pipeline::RunPipeline(c, o));
  if (a.json) {
    ARUS_ASSIGN_OR_RETURN(std::string metrics, ReadFile(s.run_dir + "/metrics.json"));
    std::printf("%s", metrics.c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  for (const std::string& line : s.stage_lines) std::printf("  %s\n", line.c_str());
  std::printf(
      "\n%zu trades, net P&L %.2f %s (%.2f%%), Sharpe %.2f, max drawdown %.2f%%, "
      "deflated Sharpe probability %.2f\n",
      s.trades, s.net_pnl, s.account_currency.c_str(), 100 * s.total_return, s.sharpe,
      100 * s.max_drawdown, s.deflated_sharpe_probability);
  std::printf("run directory: %s\nreport: %s\n", s.run_dir.c_str(), s.report_path.c_str());
  return Status::Ok();
}

}  // namespace

Command AddRunCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* app = root.add_subcommand(
      "run", "The whole job: data, quality, features, walk-forward training, backtest, report");
  app->footer(
      "CONFIG.toml names the data (generate the synthetic market or read a tick store), the "
      "feature set, the experiment (learners, validation, ensemble), the strategy, [backtest] "
      "costs and account, and [risk] limits (docs/run.md, examples/demo.toml). Writes "
      "RUNS/<time>-<name>/ with manifest.json, quality/, dataset.ds, validation.json, models/, "
      "trades.csv, equity.csv, metrics.json and report.html. The same config gives the same "
      "metrics.");
  app->add_option("--config", args->config, "Run TOML")->required();
  app->add_option("--runs", args->runs, "Directory of run directories (default: runs)");
  app->add_option("--name", args->name,
                  "Run directory name instead of <time>-<name> (must not exist)");
  app->add_flag("--json", args->json, "Print metrics.json instead of the summary");
  return Command{app, [args, &g] { return RunRun(*args, g); }};
}

}  // namespace arus::cli
