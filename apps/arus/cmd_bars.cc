// `arus bars`: ticks from the store aggregated into bars, written as CSV.
#include <cstdio>

#include "bars/bar_aggregator.h"
#include "cli.h"
#include "core/file.h"
#include "core/format.h"
#include "core/progress.h"
#include "fx/calendar.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct BarsArgs {
  std::string store, symbol, timeframe, price = "mid", from, to, output;
};

void AppendBar(std::string* buf, const Bar& b, int decimals) {
  *buf += b.ts_open.ToIso();
  *buf += ',';
  b.open.AppendTo(buf, decimals);
  *buf += ',';
  b.high.AppendTo(buf, decimals);
  *buf += ',';
  b.low.AppendTo(buf, decimals);
  *buf += ',';
  b.close.AppendTo(buf, decimals);
  *buf += ',';
  *buf += std::to_string(b.tick_count);
  *buf += ',';
  AppendFixed(buf, b.volume, 4);  // a sum of float volumes: more digits would be noise
  *buf += ',';
  // Two more decimals than the prices: a mean of spreads needs them.
  AppendFixed(buf, b.spread_mean, decimals + 2);
  *buf += '\n';
}

Status RunBars(const BarsArgs& a, const GlobalFlags& g) {
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  ARUS_ASSIGN_OR_RETURN(bars::Timeframe tf, bars::ParseTimeframe(a.timeframe));
  ARUS_ASSIGN_OR_RETURN(PriceSide side, ParsePriceSide(a.price));
  const std::string symbol = CanonicalSymbol(a.symbol);
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(store::SymbolInfo info, store->Info(symbol));
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->Scan(symbol, from, to));
  // A mid of two quotes can need one more decimal than the quotes.
  const int decimals = std::min(kPriceDecimals, info.price_decimals + (side == PriceSide::kMid));

  AtomicFile out;
  ARUS_RETURN_IF_ERROR(out.Open(a.output));
  std::string buf = "time,open,high,low,close,tick_count,volume,spread_mean\n";
  bars::BarAggregator agg(tf, side, fx::FxCalendar::Default());
  ProgressBar progress("bars", static_cast<uint64_t>(info.tick_count), !g.quiet, " ticks");
  int64_t ticks = 0, nbars = 0;
  // With explicit bounds only bars wholly inside [from, to) are written: a bar cut by a bound
  // would hold only part of its interval's ticks.
  int64_t cut = 0;
  auto drain = [&]() -> Status {
    for (const Bar& b : agg.completed()) {
      if (b.ts_open < from || b.ts_close > to) {
        ++cut;
        continue;
      }
      AppendBar(&buf, b, decimals);
      ++nbars;
    }
    agg.ClearCompleted();
    if (buf.size() > (1 << 20)) {
      ARUS_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
    return Status::Ok();
  };
  while (true) {
    ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> batch, scanner->Next());
    if (batch.empty()) break;
    ARUS_RETURN_IF_ERROR(agg.Update(batch).WithContext(a.store + " " + symbol));
    ticks += static_cast<int64_t>(batch.size());
    ARUS_RETURN_IF_ERROR(drain());
    progress.Update(static_cast<uint64_t>(ticks));
  }
  agg.Flush();
  ARUS_RETURN_IF_ERROR(drain());
  ARUS_RETURN_IF_ERROR(out.Write(buf));
  ARUS_RETURN_IF_ERROR(out.Commit());
  progress.Finish();
  if (agg.closed_market_ticks() > 0) {
    std::fprintf(stderr,
                 "warning: %lld tick(s) at closed-market times (weekend or holiday, first at %s, "
                 "last at %s) were not merged into bars\n",
                 static_cast<long long>(agg.closed_market_ticks()),
                 agg.first_closed_market_tick().ToIso().c_str(),
                 agg.last_closed_market_tick().ToIso().c_str());
  }
  if (!g.quiet) {
    std::fprintf(stderr, "wrote %lld %s %s bars (%s) from %lld ticks to %s\n",
                 static_cast<long long>(nbars), symbol.c_str(),
                 std::string(bars::TimeframeName(tf)).c_str(),
                 std::string(PriceSideName(side)).c_str(), static_cast<long long>(ticks),
                 a.output.c_str());
    if (cut > 0) {
      std::fprintf(stderr, "left out %lld bar(s) cut by --from/--to\n",
                   static_cast<long long>(cut));
    }
  }
  return Status::Ok();
}

}  // namespace

Command AddBarsCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<BarsArgs>();
  CLI::App* app = root.add_subcommand("bars", "Aggregate stored ticks into bars (CSV)");
  app->footer(
      "Output: time,open,high,low,close,tick_count,volume,spread_mean; `time` is the bar's open "
      "(UTC).\nD1 bars run 17:00 -> 17:00 New York, H4 bars align to 17:00 New York, W1 runs "
      "Sunday 17:00 to Friday 17:00 New York (docs/bars.md).\nTicks at closed-market times are "
      "reported, not merged.\nWith --from/--to, only bars wholly inside [from, to) are written; "
      "without --to the last bar holds the ticks up to the end of the data.");
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_option("--symbol", args->symbol, "Symbol, e.g. EURUSD")->required();
  app->add_option("--timeframe", args->timeframe, "M1 M5 M15 M30 H1 H4 D1 W1")->required();
  app->add_option("--price", args->price, "Price series: mid, bid or ask")
      ->capture_default_str();
  app->add_option("--from", args->from, "Start (inclusive), ISO-8601 UTC, e.g. 2024-01-02");
  app->add_option("--to", args->to, "End (exclusive), ISO-8601 UTC");
  app->add_option("-o,--output", args->output, "Output CSV file (written atomically)")->required();
  return Command{app, [args, &g] { return RunBars(*args, g); }};
}

}  // namespace arus::cli
