// arus — FX market data to trading decisions. Entry point of the command line.
#include <cstdio>
#include <vector>

#include "cli.h"
#include "dl/learners.h"
#include "fx/instrument.h"

namespace arus::cli {

std::string CanonicalSymbol(const std::string& symbol) {
  Result<const fx::Instrument*> i = fx::InstrumentTable::Builtin().Find(symbol);
  return i.ok() ? (*i)->symbol : symbol;
}

Status ParseTimeRange(const std::string& from, const std::string& to, UnixNanos* from_ns,
                      UnixNanos* to_ns) {
  *from_ns = UnixNanos::Min();
  *to_ns = UnixNanos::Max();
  if (!from.empty()) {
    ARUS_ASSIGN_OR_RETURN(*from_ns, ParseIsoUtc(from));
  }
  if (!to.empty()) {
    ARUS_ASSIGN_OR_RETURN(*to_ns, ParseIsoUtc(to));
  }
  if (*to_ns <= *from_ns) {
    return InvalidArgument("--to (" + to + ") must be after --from (" + from + ")");
  }
  return Status::Ok();
}

}  // namespace arus::cli

int main(int argc, char** argv) {
  using namespace arus::cli;
  // The deep-learning learners join the ml catalogue (ml cannot depend on dl).
  arus::dl::RegisterLearners();
  CLI::App app{
      "arus — FX market data from raw ticks to trading decisions.\n"
      "Run `arus COMMAND --help` for the options of a command."};
  app.set_version_flag("--version", "arus 0.1.0");
  app.require_subcommand(1, 1);
  app.fallthrough();
  GlobalFlags g;
  app.add_flag("-q,--quiet", g.quiet, "No progress bars or human summaries");

  std::vector<Command> commands = {AddGenerateCommand(app, g), AddInfoCommand(app, g),
                                   AddIngestCommand(app, g), AddBarsCommand(app, g),
                                   AddTicksCommand(app, g), AddQualityCommand(app, g),
                                   AddCompareCommand(app, g),
                                   AddIndicatorsCommand(app, g), AddFeaturesCommand(app, g),
                                   AddExternalCommand(app, g),
                                   AddDatasetCommand(app, g), AddTrainCommand(app, g),
                                   AddModelsCommand(app, g), AddPredictCommand(app, g),
                                   AddRunCommand(app, g), AddAnomalyCommand(app, g)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (documented in docs/cli.md).
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    arus::Status s;
    try {
      s = c.run();
    } catch (const std::exception& e) {  // a library threw past a module boundary: still one line
      s = arus::Internal(e.what());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "arus %s: error: %s\n", c.app->get_name().c_str(),
                   s.ToString().c_str());
      return 1;
    }
    return 0;
  }
  return 2;
}
