// `arus ingest`: import market data files into the tick store, quarantining bad rows.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/clock.h"
#include "core/progress.h"
#include "fx/instrument.h"
#include "ingest/importer.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct IngestArgs {
  std::string format, symbol, store, tz, columns, time_format, from, to, instruments;
  std::vector<std::string> inputs;
  std::string delimiter = ",";
  bool no_header = false;
  bool strict = false;
  bool replace = false;
  bool json = false;
  int threads = 1;
};

// Ticks buffered before one store transaction: large enough that a partition is rarely rewritten.
constexpr size_t kTicksPerAppend = 4'000'000;

// "20240102T170000Z" for file names.
std::string CompactUtc(UnixNanos t) {
  std::string iso = t.ToIso().substr(0, 19);
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out + "Z";
}

Status RunIngest(const IngestArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(ingest::SourceFormat format, ingest::ParseSourceFormat(a.format));
  fx::InstrumentTable table = fx::InstrumentTable::Builtin();
  if (!a.instruments.empty()) {
    ARUS_ASSIGN_OR_RETURN(table, fx::InstrumentTable::LoadWithOverrides(a.instruments));
  }
  ARUS_ASSIGN_OR_RETURN(const fx::Instrument* instrument, table.Find(a.symbol));

  ingest::ImportOptions opt;
  opt.instrument = *instrument;
  ARUS_ASSIGN_OR_RETURN(opt.zone, fx::SourceZone::Parse(a.tz.empty()
                                                            ? ingest::DefaultZoneSpec(format)
                                                            : std::string_view(a.tz)));
  opt.strict = a.strict;
  opt.threads = std::max(1, a.threads);
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &opt.from, &opt.to));
  if (format == ingest::SourceFormat::kCsv) {
    const bool tab = a.delimiter == "\\t" || a.delimiter == "tab";
    if (!tab && a.delimiter.size() != 1) {
      return InvalidArgument("--delimiter must be one character or \\t, got '" + a.delimiter +
                             "'");
    }
    opt.csv.delimiter = tab ? '\t' : a.delimiter[0];
    opt.csv.header = !a.no_header;
    if (!a.columns.empty()) ARUS_RETURN_IF_ERROR(ingest::ParseCsvColumns(a.columns, &opt.csv));
    if (!a.time_format.empty()) opt.csv.time_format = a.time_format;
  }
  if (ingest::IsBarFormat(format)) {
    return InvalidArgument("format '" + a.format +
                           "' holds bars; bar import into the store is not available yet");
  }

  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadWrite));
  const LiveClock clock;
  ingest::Quarantine quarantine;
  const std::string quarantine_path = a.store + "/quarantine/" + CompactUtc(clock.Now()) + "-" +
                                      instrument->symbol + "-" + a.format + ".csv";
  ARUS_RETURN_IF_ERROR(quarantine.OpenFile(quarantine_path));

  store::AppendOptions append_opt;
  append_opt.replace = a.replace;
  store::AppendStats totals;
  std::vector<QuoteTick> pending;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    ARUS_ASSIGN_OR_RETURN(store::AppendStats s, store->Append(instrument->symbol, pending,
                                                              instrument->price_precision,
                                                              append_opt));
    totals.ticks_in += s.ticks_in;
    totals.ticks_added += s.ticks_added;
    totals.ticks_duplicate += s.ticks_duplicate;
    totals.ticks_replaced += s.ticks_replaced;
    totals.partitions_written += s.partitions_written;
    pending.clear();
    return Status::Ok();
  };
  ProgressBar progress("ingest", 0, !g.quiet, " ticks");
  int64_t received = 0;
  const auto start = std::chrono::steady_clock::now();
  Result<ingest::ImportStats> stats = ingest::ImportTicks(
      format, a.inputs, opt, &quarantine, [&](std::span<const QuoteTick> ticks) -> Status {
        pending.insert(pending.end(), ticks.begin(), ticks.end());
        received += static_cast<int64_t>(ticks.size());
        progress.Update(static_cast<uint64_t>(received));
        // Strict imports are all or nothing: store only once every row has parsed.
        if (!a.strict && pending.size() >= kTicksPerAppend) return flush();
        return Status::Ok();
      });
  if (!stats.ok()) return stats.status();
  ARUS_RETURN_IF_ERROR(flush());
  progress.Finish();
  ARUS_ASSIGN_OR_RETURN(std::string qfile, quarantine.Commit());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json j;
  j["format"] = a.format;
  j["symbol"] = instrument->symbol;
  j["store"] = a.store;
  j["time_zone"] = opt.zone.spec();
  j["files"] = stats->files;
  j["rows"] = stats->rows;
  j["bytes"] = stats->bytes;
  j["accepted"] = stats->accepted;
  j["stored"] = totals.ticks_added;
  j["already_stored"] = totals.ticks_duplicate;
  j["replaced"] = totals.ticks_replaced;
  j["quarantined"] = stats->quarantined;
  j["quarantined_by_reason"] = quarantine.counts_by_reason();
  if (!qfile.empty()) j["quarantine_file"] = qfile;
  if (stats->accepted > 0) {
    j["first"] = stats->first.ToIso();
    j["last"] = stats->last.ToIso();
  }
  j["seconds"] = secs;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("%s %s: %lld file(s), %s rows, %s in %.2f s (%s/s, %s rows/s)\n", a.format.c_str(),
                instrument->symbol.c_str(), static_cast<long long>(stats->files),
                HumanCount(double(stats->rows)).c_str(), HumanBytes(double(stats->bytes)).c_str(),
                secs, HumanBytes(secs > 0 ? stats->bytes / secs : 0).c_str(),
                HumanCount(secs > 0 ? stats->rows / secs : 0).c_str());
    std::printf("  stored %lld new ticks, %lld already stored, %lld replaced\n",
                static_cast<long long>(totals.ticks_added),
                static_cast<long long>(totals.ticks_duplicate),
                static_cast<long long>(totals.ticks_replaced));
    if (stats->accepted > 0) {
      std::printf("  range %s .. %s (UTC, source clock %s)\n", stats->first.ToIso().c_str(),
                  stats->last.ToIso().c_str(), opt.zone.spec().c_str());
    }
    std::printf("  quarantined %lld row(s)", static_cast<long long>(stats->quarantined));
    for (const auto& [reason, n] : quarantine.counts_by_reason()) {
      std::printf("; %s: %lld", reason.c_str(), static_cast<long long>(n));
    }
    std::printf("\n");
    if (!qfile.empty()) std::printf("  quarantine file: %s\n", qfile.c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddIngestCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* app = root.add_subcommand("ingest", "Import market data files into the tick store");
  app->footer(
      "Formats (docs/import-formats.md): dukascopy (bi5 files or trees, UTC), truefx (UTC), "
      "histdata-tick and histdata-m1 (EST without DST), mt5-ticks and mt5-bars (server time, "
      "default NY+7 = UTC+2/+3 following New York DST), csv (--columns, --time-format).\n"
      "Bad rows are quarantined with file, line, field and reason into "
      "STORE/quarantine/*.csv and counted; --strict makes the first bad row an error.\n"
      "Re-importing the same data adds nothing.");
  app->add_option("--format", args->format,
                  "dukascopy, truefx, histdata-tick, histdata-m1, mt5-ticks, mt5-bars, csv")
      ->required();
  app->add_option("--symbol", args->symbol, "Instrument, e.g. EURUSD")->required();
  app->add_option("--input", args->inputs, "Input files or directories (several allowed)")
      ->required();
  app->add_option("--store", args->store, "Store directory (created if missing)")->required();
  app->add_option("--tz", args->tz,
                  "Source clock: UTC, UTC+2, EST, an IANA zone, or NY+7 (default by format)");
  app->add_flag("--strict", args->strict, "The first bad row is an error and nothing is stored");
  app->add_option("--threads", args->threads, "Decoding threads (dukascopy)")
      ->capture_default_str();
  app->add_option("--from", args->from, "Only data from here (inclusive), ISO-8601 UTC");
  app->add_option("--to", args->to, "Only data before this (exclusive), ISO-8601 UTC");
  app->add_option("--columns", args->columns,
                  "csv: column mapping, e.g. time=0,bid=1,ask=2[,bid_volume=3,ask_volume=4]");
  app->add_option("--time-format", args->time_format,
                  "csv: iso, %s, %ms, or a pattern like '%Y-%m-%d %H:%M:%S.%f'");
  app->add_option("--delimiter", args->delimiter, "csv: field delimiter (\\t for tab)")
      ->capture_default_str();
  app->add_flag("--no-header", args->no_header, "csv: the first line is data");
  app->add_option("--instruments", args->instruments, "TOML file overriding instruments");
  app->add_flag("--replace", args->replace,
                "Replace stored ticks that differ instead of failing on the overlap");
  app->add_flag("--json", args->json, "Print the summary as JSON");
  return Command{app, [args, &g] { return RunIngest(*args, g); }};
}

}  // namespace arus::cli
