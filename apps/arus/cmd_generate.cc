// `arus generate`: the synthetic FX market (the built-in example data) into a tick store.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/progress.h"
#include "fx/instrument.h"
#include "ingest/synthetic_market.h"
#include "pipeline/generate.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct GenerateArgs {
  std::vector<std::string> symbols;
  std::string from, to, store, calendar, instruments;
  uint64_t seed = 7;
  double plant_signal = -1;
  bool random_walk = false;
  bool no_news = false;
  double tick_rate_scale = 1.0;
  bool replace = false;
  bool json = false;
};

Status RunGenerate(const GenerateArgs& a, const GlobalFlags& g) {
  ingest::SyntheticOptions opt;
  opt.symbols = a.symbols;
  ARUS_ASSIGN_OR_RETURN(opt.from, ParseIsoUtc(a.from));
  ARUS_ASSIGN_OR_RETURN(opt.to, ParseIsoUtc(a.to));
  opt.seed = a.seed;
  if (a.random_walk) opt.mode = ingest::SyntheticOptions::Mode::kRandomWalk;
  if (a.plant_signal >= 0) {
    opt.mode = ingest::SyntheticOptions::Mode::kPlantSignal;
    opt.signal_strength = a.plant_signal;
  }
  opt.news = !a.no_news;
  opt.tick_rate_scale = a.tick_rate_scale;

  fx::InstrumentTable table = fx::InstrumentTable::Builtin();
  if (!a.instruments.empty()) {
    ARUS_ASSIGN_OR_RETURN(table, fx::InstrumentTable::LoadWithOverrides(a.instruments));
  }
  ARUS_ASSIGN_OR_RETURN(auto market, ingest::SyntheticMarket::Create(opt, table));
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadWrite));

  const auto start = std::chrono::steady_clock::now();
  ProgressBar progress("generate", 1000, !g.quiet);
  ARUS_ASSIGN_OR_RETURN(
      pipeline::GenerateResult gen,
      pipeline::GenerateIntoStore(*market, *store, a.replace, [&](double fraction) {
        progress.Update(static_cast<uint64_t>(fraction * 1000));
      }));
  progress.Finish();
  const std::vector<fx::Instrument>& instruments = gen.instruments;
  const std::vector<store::AppendStats>& stats = gen.stats;
  const size_t n = instruments.size();
  const int days = gen.trading_days;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::string calendar_path =
      a.calendar.empty() ? a.store + "/economic_calendar.csv" : a.calendar;
  if (opt.news) {
    ARUS_RETURN_IF_ERROR(ingest::WriteEconomicCalendarCsv(calendar_path, gen.events));
  }

  int64_t total_in = 0, total_added = 0;
  nlohmann::json j;
  j["store"] = a.store;
  j["mode"] = std::string(ingest::SyntheticModeName(opt.mode));
  j["seed"] = a.seed;
  j["from"] = opt.from.ToIso();
  j["to"] = opt.to.ToIso();
  j["trading_days"] = days;
  j["economic_events"] = gen.events.size();
  if (opt.news) j["economic_calendar"] = calendar_path;
  j["symbols"] = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    total_in += stats[i].ticks_in;
    total_added += stats[i].ticks_added;
    j["symbols"].push_back({{"symbol", instruments[i].symbol},
                            {"ticks", stats[i].ticks_in},
                            {"added", stats[i].ticks_added},
                            {"duplicate", stats[i].ticks_duplicate},
                            {"replaced", stats[i].ticks_replaced}});
  }
  j["ticks"] = total_in;
  j["added"] = total_added;
  j["seconds"] = secs;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("generated %s ticks (%s mode, seed %llu) over %d trading days in %.2f s "
                "(%s ticks/s incl. storing)\n",
                HumanCount(double(total_in)).c_str(),
                std::string(ingest::SyntheticModeName(opt.mode)).c_str(),
                static_cast<unsigned long long>(a.seed), days, secs,
                HumanCount(secs > 0 ? total_in / secs : 0).c_str());
    for (size_t i = 0; i < n; ++i) {
      std::printf("  %-8s %10lld ticks, %10lld added, %10lld already stored\n",
                  instruments[i].symbol.c_str(), static_cast<long long>(stats[i].ticks_in),
                  static_cast<long long>(stats[i].ticks_added),
                  static_cast<long long>(stats[i].ticks_duplicate));
    }
    if (opt.news) {
      std::printf("economic calendar: %zu scheduled events -> %s\n", gen.events.size(),
                  calendar_path.c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

Command AddGenerateCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* app =
      root.add_subcommand("generate", "Generate a synthetic FX market into a tick store");
  app->footer(
      "Deterministic: the same options give the same ticks. Bid/ask ticks with sessions, "
      "stochastic volatility, spreads that widen at the 17:00 New York rollover and around "
      "scheduled news, weekend gaps and rare jumps; writes the economic calendar of the news it "
      "used. Model: docs/synthetic-market.md");
  app->add_option("--symbols", args->symbols, "Comma-separated symbols, e.g. EURUSD,USDJPY")
      ->required()
      ->delimiter(',');
  app->add_option("--from", args->from, "Start (inclusive), ISO-8601 UTC")->required();
  app->add_option("--to", args->to, "End (exclusive), ISO-8601 UTC")->required();
  app->add_option("--seed", args->seed, "Random seed; same seed, same ticks")
      ->capture_default_str();
  app->add_option("--store", args->store, "Store directory (created if missing)")->required();
  app->add_option("--calendar", args->calendar,
                  "Economic calendar CSV to write (default: STORE/economic_calendar.csv)");
  app->add_option("--instruments", args->instruments,
                  "TOML file overriding or adding instruments");
  auto* plant = app->add_option("--plant-signal", args->plant_signal,
                                "Plant a weak momentum pattern of this strength in [0, 1/3) "
                                "(docs/synthetic-market.md)");
  auto* rw = app->add_flag("--random-walk", args->random_walk,
                           "Unpredictable martingale prices: models must find nothing");
  plant->excludes(rw);
  app->add_flag("--no-news", args->no_news, "No scheduled news events");
  app->add_option("--tick-rate-scale", args->tick_rate_scale,
                  "Multiply tick arrival rates (e.g. 0.1 for a small store)")
      ->capture_default_str();
  app->add_flag("--replace", args->replace,
                "Replace stored ticks that differ instead of failing on the overlap");
  app->add_flag("--json", args->json, "Print the summary as JSON");
  return Command{app, [args, &g] { return RunGenerate(*args, g); }};
}

}  // namespace arus::cli
