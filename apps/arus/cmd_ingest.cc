// `arus ingest`: import market data files into the tick store, quarantining bad rows.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/clock.h"
#include "core/progress.h"
#include "fx/instrument.h"
#include "ingest/importer.h"
#include "bars/timeframe.h"
#include "quality/bar_validator.h"
#include "quality/config.h"
#include "quality/tick_validator.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

struct IngestArgs {
  std::string format, symbol, store, tz, columns, time_format, from, to, instruments;
  std::string timeframe = "M1", side = "bid", quality_config;
  std::vector<std::string> inputs;
  std::string delimiter = ",";
  bool no_header = false;
  bool strict = false;
  bool replace = false;
  bool no_clean = false;
  bool json = false;
  int threads = 1;
};

// Rows buffered before one store transaction: large enough that a partition is rarely rewritten.
constexpr size_t kTicksPerAppend = 4'000'000;
constexpr size_t kBarsPerAppend = 1'000'000;

// "20240102T170000Z" for file names.
std::string CompactUtc(UnixNanos t) {
  std::string iso = t.ToIso().substr(0, 19);
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out + "Z";
}

void AddStats(const store::AppendStats& s, store::AppendStats* total) {
  total->ticks_in += s.ticks_in;
  total->ticks_added += s.ticks_added;
  total->ticks_duplicate += s.ticks_duplicate;
  total->ticks_replaced += s.ticks_replaced;
  total->partitions_written += s.partitions_written;
}

// Everything one ingest run shares between the tick and the bar path.
struct IngestRun {
  IngestRun(const IngestArgs& a, ingest::SourceFormat f) : args(a), format(f) {}
  const IngestArgs& args;
  ingest::SourceFormat format;
  const fx::Instrument* instrument = nullptr;
  ingest::ImportOptions options;
  quality::QualityConfig quality;
  std::unique_ptr<store::TickStore> store;
  ingest::Quarantine quarantine;
  store::AppendOptions append;
  store::AppendStats totals;
  ProgressBar* progress = nullptr;
  int64_t received = 0;
  ingest::ImportStats stats;
  std::optional<quality::QualityReport> report;  // empty with --no-clean
  std::string bar_series;                        // bar formats: the stored series
};

Status IngestTicks(IngestRun& run) {
  std::vector<QuoteTick> pending;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    ARUS_ASSIGN_OR_RETURN(store::AppendStats s,
                          run.store->Append(run.instrument->symbol, pending,
                                            run.instrument->price_precision, run.append));
    AddStats(s, &run.totals);
    pending.clear();
    return Status::Ok();
  };
  // Strict imports are all or nothing: store only once every row has parsed.
  ingest::TickSink store_sink = [&](std::span<const QuoteTick> ticks) -> Status {
    pending.insert(pending.end(), ticks.begin(), ticks.end());
    if (!run.args.strict && pending.size() >= kTicksPerAppend) return flush();
    return Status::Ok();
  };
  std::unique_ptr<quality::TickValidator> validator;
  if (!run.args.no_clean) {
    quality::TickValidatorOptions vo;
    vo.source = std::string(ingest::SourceFormatName(run.format));
    vo.quarantine = &run.quarantine;
    vo.sink = store_sink;
    ARUS_ASSIGN_OR_RETURN(validator,
                          quality::TickValidator::Create(run.quality, *run.instrument, vo));
  }
  Result<ingest::ImportStats> stats = ingest::ImportTicks(
      run.format, run.args.inputs, run.options, &run.quarantine,
      [&](std::span<const QuoteTick> ticks) -> Status {
        run.received += static_cast<int64_t>(ticks.size());
        run.progress->Update(static_cast<uint64_t>(run.received));
        return validator ? validator->Add(ticks) : store_sink(ticks);
      });
  if (!stats.ok()) return stats.status();
  run.stats = *stats;
  if (validator) {
    ARUS_ASSIGN_OR_RETURN(run.report, validator->Finish());
  }
  ARUS_RETURN_IF_ERROR(flush());
  return Status::Ok();
}

Status IngestBars(IngestRun& run, const store::BarSeriesKey& key) {
  std::vector<Bar> pending;
  std::vector<uint8_t> flags;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    ARUS_ASSIGN_OR_RETURN(store::AppendStats s,
                          run.store->AppendBars(key, pending, flags,
                                                run.instrument->price_precision, run.append));
    AddStats(s, &run.totals);
    pending.clear();
    flags.clear();
    return Status::Ok();
  };
  quality::CleanBarSink store_sink = [&](std::span<const Bar> bars,
                                         std::span<const uint8_t> filled) -> Status {
    pending.insert(pending.end(), bars.begin(), bars.end());
    for (uint8_t f : filled) flags.push_back(f ? store::kBarFilled : 0);
    if (!run.args.strict && pending.size() >= kBarsPerAppend) return flush();
    return Status::Ok();
  };
  std::unique_ptr<quality::BarValidator> validator;
  if (!run.args.no_clean) {
    quality::BarValidatorOptions vo;
    vo.source = std::string(ingest::SourceFormatName(run.format));
    vo.quarantine = &run.quarantine;
    vo.sink = store_sink;
    ARUS_ASSIGN_OR_RETURN(validator,
                          quality::BarValidator::Create(run.quality, *run.instrument,
                                                        run.options.bar_duration, vo));
  }
  std::vector<uint8_t> none;
  Result<ingest::ImportStats> stats = ingest::ImportBars(
      run.format, run.args.inputs, run.options, &run.quarantine,
      [&](std::span<const Bar> bars) -> Status {
        run.received += static_cast<int64_t>(bars.size());
        run.progress->Update(static_cast<uint64_t>(run.received));
        if (validator) return validator->Add(bars);
        none.assign(bars.size(), 0);
        return store_sink(bars, none);
      });
  if (!stats.ok()) return stats.status();
  run.stats = *stats;
  if (validator) {
    ARUS_ASSIGN_OR_RETURN(run.report, validator->Finish());
  }
  ARUS_RETURN_IF_ERROR(flush());
  return Status::Ok();
}

Status RunIngest(const IngestArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(ingest::SourceFormat format, ingest::ParseSourceFormat(a.format));
  fx::InstrumentTable table = fx::InstrumentTable::Builtin();
  if (!a.instruments.empty()) {
    ARUS_ASSIGN_OR_RETURN(table, fx::InstrumentTable::LoadWithOverrides(a.instruments));
  }
  IngestRun run(a, format);
  ARUS_ASSIGN_OR_RETURN(run.instrument, table.Find(a.symbol));
  const fx::Instrument& instrument = *run.instrument;

  ingest::ImportOptions& opt = run.options;
  opt.instrument = instrument;
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
  const bool bar_format = ingest::IsBarFormat(format);
  store::BarSeriesKey key;
  if (bar_format) {
    ARUS_ASSIGN_OR_RETURN(bars::Timeframe tf, bars::ParseTimeframe(a.timeframe));
    ARUS_ASSIGN_OR_RETURN(PriceSide side, ParsePriceSide(a.side));
    opt.bar_duration = bars::NominalDuration(tf);
    key = {instrument.symbol, std::string(bars::TimeframeName(tf)),
           std::string(PriceSideName(side))};
    run.bar_series = key.ToString();
  }
  if (!a.quality_config.empty()) {
    if (a.no_clean) return InvalidArgument("--quality-config and --no-clean exclude each other");
    ARUS_ASSIGN_OR_RETURN(run.quality, quality::LoadQualityConfig(a.quality_config));
  }

  // Provenance: the source and the cleaning policy that produced the stored rows.
  store::Provenance prov;
  prov.source = std::string(ingest::SourceFormatName(format)) + " (clock " + opt.zone.spec() + ")";
  if (!a.no_clean) {
    prov.cleaning_policy = run.quality.policy.ToCanonicalText();
    prov.policy_hash = run.quality.policy.HashHex();
  }
  run.append.replace = a.replace;
  run.append.provenance = prov;

  ARUS_ASSIGN_OR_RETURN(run.store, store::TickStore::Open(a.store, store::OpenMode::kReadWrite));
  const LiveClock clock;
  const std::string quarantine_path = a.store + "/quarantine/" + CompactUtc(clock.Now()) + "-" +
                                      instrument.symbol + "-" + a.format + ".csv";
  ARUS_RETURN_IF_ERROR(run.quarantine.OpenFile(quarantine_path));

  const char* unit = bar_format ? "bars" : "ticks";
  ProgressBar progress("ingest", 0, !g.quiet, bar_format ? " bars" : " ticks");
  run.progress = &progress;
  const auto start = std::chrono::steady_clock::now();
  ARUS_RETURN_IF_ERROR(bar_format ? IngestBars(run, key) : IngestTicks(run));
  progress.Finish();
  ARUS_ASSIGN_OR_RETURN(std::string qfile, run.quarantine.Commit());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ingest::ImportStats& stats = run.stats;
  const store::AppendStats& totals = run.totals;

  nlohmann::json j;
  j["format"] = a.format;
  j["symbol"] = instrument.symbol;
  j["store"] = a.store;
  j["time_zone"] = opt.zone.spec();
  if (bar_format) j["bar_series"] = run.bar_series;
  j["files"] = stats.files;
  j["rows"] = stats.rows;
  j["bytes"] = stats.bytes;
  j["accepted"] = stats.accepted;
  j["stored"] = totals.ticks_added;
  j["already_stored"] = totals.ticks_duplicate;
  j["replaced"] = totals.ticks_replaced;
  j["quarantined"] = run.quarantine.total();
  j["quarantined_by_reason"] = run.quarantine.counts_by_reason();
  if (!qfile.empty()) j["quarantine_file"] = qfile;
  if (stats.accepted > 0) {
    j["first"] = stats.first.ToIso();
    j["last"] = stats.last.ToIso();
  }
  if (run.report) {
    nlohmann::json q;
    q["policy_hash"] = run.report->policy_hash;
    q["rows_in"] = run.report->rows_in;
    q["rows_out"] = run.report->rows_out;
    q["rows_dropped"] = run.report->rows_dropped;
    q["rows_filled"] = run.report->rows_filled;
    q["score"] = run.report->score;
    nlohmann::json rules = nlohmann::json::object();
    for (const quality::RuleStats& r : run.report->rules) {
      if (r.enabled && r.hits + r.events > 0) {
        rules[std::string(quality::RuleName(r.rule))] = {
            {"policy", std::string(quality::PolicyName(r.policy))},
            {"hits", r.hits},
            {"events", r.events},
            {"dropped", r.dropped},
            {"repaired", r.repaired}};
      }
    }
    q["rules"] = rules;
    j["cleaning"] = q;
  } else {
    j["cleaning"] = nullptr;
  }
  j["seconds"] = secs;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("%s %s: %lld file(s), %s rows, %s in %.2f s (%s/s, %s rows/s)\n", a.format.c_str(),
                instrument.symbol.c_str(), static_cast<long long>(stats.files),
                HumanCount(double(stats.rows)).c_str(), HumanBytes(double(stats.bytes)).c_str(),
                secs, HumanBytes(secs > 0 ? stats.bytes / secs : 0).c_str(),
                HumanCount(secs > 0 ? stats.rows / secs : 0).c_str());
    std::printf("  stored %lld new %s%s%s, %lld already stored, %lld replaced\n",
                static_cast<long long>(totals.ticks_added), unit,
                bar_format ? " in " : "", run.bar_series.c_str(),
                static_cast<long long>(totals.ticks_duplicate),
                static_cast<long long>(totals.ticks_replaced));
    if (stats.accepted > 0) {
      std::printf("  range %s .. %s (UTC, source clock %s)\n", stats.first.ToIso().c_str(),
                  stats.last.ToIso().c_str(), opt.zone.spec().c_str());
    }
    if (run.report) {
      std::printf("  cleaning policy %s: %lld in, %lld kept, %lld dropped, %lld filled; score %.1f\n",
                  run.report->policy_hash.c_str(), static_cast<long long>(run.report->rows_in),
                  static_cast<long long>(run.report->rows_out - run.report->rows_filled),
                  static_cast<long long>(run.report->rows_dropped),
                  static_cast<long long>(run.report->rows_filled), run.report->score);
      for (const quality::RuleStats& r : run.report->rules) {
        if (!r.enabled || r.hits + r.events == 0) continue;
        std::printf("    %-11s %-6s %lld hit(s), %lld event(s)\n",
                    std::string(quality::RuleName(r.rule)).c_str(),
                    std::string(quality::PolicyName(r.policy)).c_str(),
                    static_cast<long long>(r.hits), static_cast<long long>(r.events));
      }
    } else {
      std::printf("  cleaning: none (--no-clean)\n");
    }
    std::printf("  quarantined %lld row(s)", static_cast<long long>(run.quarantine.total()));
    for (const auto& [reason, n] : run.quarantine.counts_by_reason()) {
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
      "Rows that do not parse are quarantined with file, line, field and reason into "
      "STORE/quarantine/*.csv and counted; --strict makes the first one an error.\n"
      "Parsed rows then go through the cleaning policy (docs/quality.md): rows a `drop` rule "
      "catches are quarantined with the rule as reason, bar gaps may be forward-filled "
      "(`repair`, marked as filled). The store records the source and the policy (see "
      "`arus info`). Bar formats are stored as bar series SYMBOL/TF.side (see `arus bars "
      "--stored`).\n"
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
  app->add_flag("--strict", args->strict,
                "The first row that does not parse is an error and nothing is stored");
  app->add_option("--timeframe", args->timeframe,
                  "Bar formats: the bars' timeframe (M1 M5 M15 M30 H1 H4 D1)")
      ->capture_default_str();
  app->add_option("--side", args->side, "Bar formats: price side of the bars (bid, ask, mid)")
      ->capture_default_str();
  app->add_option("--quality-config", args->quality_config,
                  "Cleaning policy TOML (examples/quality.toml); default: the built-in policy");
  app->add_flag("--no-clean", args->no_clean,
                "Store rows as parsed, without validation rules or cleaning");
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
