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
  bool stored = false;
};

constexpr std::string_view kBarsHeader = "time,open,high,low,close,tick_count,volume,spread_mean";

// `filled` < 0: no filled column (bars built from ticks are never filled).
void AppendBar(std::string* buf, const Bar& b, int decimals, int filled = -1) {
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
  if (filled >= 0) {
    *buf += ',';
    *buf += filled ? '1' : '0';
  }
  *buf += '\n';
}

// `--stored`: a bar series as stored (imported from bar files), not aggregated from ticks.
Status ExportStoredBars(const BarsArgs& a, UnixNanos from, UnixNanos to, bars::Timeframe tf,
                        PriceSide side, const GlobalFlags& g) {
  const store::BarSeriesKey key{CanonicalSymbol(a.symbol), std::string(bars::TimeframeName(tf)),
                                std::string(PriceSideName(side))};
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(store::BarSeriesInfo info, store->BarInfo(key));
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->ScanBars(key, from, to));
  AtomicFile out;
  ARUS_RETURN_IF_ERROR(out.Open(a.output));
  std::string buf(kBarsHeader);
  buf += ",filled\n";
  int64_t nbars = 0, filled = 0;
  while (true) {
    ARUS_ASSIGN_OR_RETURN(store::BarBatch batch, scanner->Next());
    if (batch.empty()) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      const bool f = (batch.flags[i] & store::kBarFilled) != 0;
      AppendBar(&buf, batch.bars[i], info.price_decimals, f ? 1 : 0);
      filled += f;
    }
    nbars += static_cast<int64_t>(batch.size());
    if (buf.size() > (1 << 20)) {
      ARUS_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
  }
  ARUS_RETURN_IF_ERROR(out.Write(buf));
  ARUS_RETURN_IF_ERROR(out.Commit());
  if (!g.quiet) {
    std::fprintf(stderr, "wrote %lld stored %s bars (%lld filled) to %s\n",
                 static_cast<long long>(nbars), key.ToString().c_str(),
                 static_cast<long long>(filled), a.output.c_str());
  }
  return Status::Ok();
}

Status RunBars(const BarsArgs& a, const GlobalFlags& g) {
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  ARUS_ASSIGN_OR_RETURN(bars::Timeframe tf, bars::ParseTimeframe(a.timeframe));
  ARUS_ASSIGN_OR_RETURN(PriceSide side, ParsePriceSide(a.price));
  if (a.stored) return ExportStoredBars(a, from, to, tf, side, g);
  const std::string symbol = CanonicalSymbol(a.symbol);
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  ARUS_ASSIGN_OR_RETURN(store::SymbolInfo info, store->Info(symbol));
  ARUS_ASSIGN_OR_RETURN(auto scanner, store->Scan(symbol, from, to));
  // A mid of two quotes can need one more decimal than the quotes.
  const int decimals = std::min(kPriceDecimals, info.price_decimals + (side == PriceSide::kMid));

  AtomicFile out;
  ARUS_RETURN_IF_ERROR(out.Open(a.output));
  std::string buf(kBarsHeader);
  buf += '\n';
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
      "without --to the last bar holds the ticks up to the end of the data.\n"
      "--stored exports a stored bar series (imported with `arus ingest --format histdata-m1|"
      "mt5-bars`) as it is, with a last column `filled` (1 = forward-filled by a repair "
      "policy); --price picks the series' side (bid for both formats).");
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_option("--symbol", args->symbol, "Symbol, e.g. EURUSD")->required();
  app->add_option("--timeframe", args->timeframe, "M1 M5 M15 M30 H1 H4 D1 W1")->required();
  app->add_option("--price", args->price, "Price series: mid, bid or ask")
      ->capture_default_str();
  app->add_option("--from", args->from, "Start (inclusive), ISO-8601 UTC, e.g. 2024-01-02");
  app->add_option("--to", args->to, "End (exclusive), ISO-8601 UTC");
  app->add_option("-o,--output", args->output, "Output CSV file (written atomically)")->required();
  app->add_flag("--stored", args->stored,
                "Export the stored bar series SYMBOL/TIMEFRAME.PRICE instead of aggregating ticks");
  return Command{app, [args, &g] { return RunBars(*args, g); }};
}

}  // namespace arus::cli
