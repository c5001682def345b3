// `arus ticks`: stored ticks back out as CSV.
#include <cstdio>

#include "cli.h"
#include "core/file.h"
#include "core/format.h"
#include "core/progress.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct TicksArgs {
  std::string store, symbol, from, to, output;
};

Status RunTicks(const TicksArgs& a, const GlobalFlags& g) {
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  const std::string symbol = CanonicalSymbol(a.symbol);
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(store::SymbolInfo info, store->Info(symbol));
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->Scan(symbol, from, to));
  const int decimals = info.price_decimals;

  AtomicFile out;
  ARUS_RETURN_IF_ERROR(out.Open(a.output));
  std::string buf = "time,bid,ask,bid_volume,ask_volume\n";
  ProgressBar progress("ticks", static_cast<uint64_t>(info.tick_count), !g.quiet, " ticks");
  int64_t n = 0;
  while (true) {
    ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> batch, scanner->Next());
    if (batch.empty()) break;
    for (const QuoteTick& t : batch) {
      buf += t.ts_event.ToIso();
      buf += ',';
      t.bid.AppendTo(&buf, decimals);
      buf += ',';
      t.ask.AppendTo(&buf, decimals);
      buf += ',';
      AppendShortest(&buf, t.bid_volume);
      buf += ',';
      AppendShortest(&buf, t.ask_volume);
      buf += '\n';
    }
    n += static_cast<int64_t>(batch.size());
    if (buf.size() > (1 << 20)) {
      ARUS_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
    progress.Update(static_cast<uint64_t>(n));
  }
  ARUS_RETURN_IF_ERROR(out.Write(buf));
  ARUS_RETURN_IF_ERROR(out.Commit());
  progress.Finish();
  if (!g.quiet) {
    std::fprintf(stderr, "wrote %lld %s ticks to %s\n", static_cast<long long>(n),
                 symbol.c_str(), a.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddTicksCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<TicksArgs>();
  CLI::App* app = root.add_subcommand(
      "ticks", "Write stored ticks as CSV");
  app->footer("Output: time,bid,ask,bid_volume,ask_volume; time in UTC (ISO-8601), prices at the "
              "stored precision.");
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_option("--symbol", args->symbol, "Symbol, e.g. EURUSD")->required();
  app->add_option("--from", args->from, "Start (inclusive), ISO-8601 UTC, e.g. 2024-01-02");
  app->add_option("--to", args->to, "End (exclusive), ISO-8601 UTC");
  app->add_option("-o,--output", args->output, "Output CSV file (written atomically)")->required();
  return Command{app, [args, &g] { return RunTicks(*args, g); }};
}

}  // namespace arus::cli
