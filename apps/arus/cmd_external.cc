// `arus external`: import, list and show external point-in-time data (economic calendar, CFTC COT,
// sentiment, daily indices) kept under STORE/external (docs/external-data.md).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/clock.h"
#include "features/external.h"
#include "ingest/quarantine.h"

namespace arus::cli {

namespace {

using features::ExternalKind;

struct ImportArgs {
  std::string kind, name, store, revised_at, schedule_lead, zone = "America/New_York";
  std::string release_weekday = "fri", release_time = "15:30", close_time, delay;
  std::vector<std::string> inputs, cot_markets;
  bool strict = false;
  bool json = false;
};

struct ListArgs {
  std::string store;
  bool json = false;
};

struct ShowArgs {
  std::string store, kind, name, from, to;
  bool json = false;
};

// "15:30" -> minutes after midnight.
Result<int> ParseClockTime(const std::string& flag, const std::string& text) {
  unsigned h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%2u:%2u%c", &h, &m, &extra) != 2 || text.size() != 5 || h > 23 ||
      m > 59) {
    return InvalidArgument(flag + " must be HH:MM (00:00 .. 23:59), got '" + text + "'");
  }
  return static_cast<int>(h * 60 + m);
}

Result<int> ParseWeekday(const std::string& text) {
  static const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string t;
  for (char c : text) t += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (int i = 0; i < 7; ++i) {
    if (t == kDays[i] || (t.size() > 3 && t.rfind(kDays[i], 0) == 0 && t.back() == 'y')) return i;
    if (t == std::to_string(i)) return i;
  }
  return InvalidArgument("--release-weekday must be a weekday (sun .. sat or 0 .. 6), got '" +
                         text + "'");
}

// "20240102T170000Z" for file names.
std::string CompactUtc(UnixNanos t) {
  std::string out;
  for (char c : t.ToIso().substr(0, 19)) {
    if (c != '-' && c != ':') out += c;
  }
  return out + "Z";
}

Status RunImport(const ImportArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(ExternalKind kind, features::ParseExternalKind(a.kind));
  features::ExternalImportOptions opt;
  opt.strict = a.strict;
  opt.zone = a.zone;
  if (!a.schedule_lead.empty()) {
    ARUS_ASSIGN_OR_RETURN(opt.schedule_lead, ParseDuration(a.schedule_lead));
  }
  ARUS_ASSIGN_OR_RETURN(opt.cot_release_weekday, ParseWeekday(a.release_weekday));
  ARUS_ASSIGN_OR_RETURN(opt.cot_release_minute, ParseClockTime("--release-time", a.release_time));
  if (!a.close_time.empty()) {
    ARUS_ASSIGN_OR_RETURN(opt.index_close_minute, ParseClockTime("--close-time", a.close_time));
  }
  if (!a.delay.empty()) {
    ARUS_ASSIGN_OR_RETURN(opt.avail_delay, ParseDuration(a.delay));
  }
  for (const std::string& m : a.cot_markets) {
    const size_t eq = m.rfind('=');
    if (eq == std::string::npos || eq == 0 || m.size() - eq - 1 != 3) {
      return InvalidArgument("--cot-market must be 'MARKET AND EXCHANGE NAME=CCY', got '" + m +
                             "'");
    }
    opt.cot_markets[m.substr(0, eq)] = m.substr(eq + 1);
  }
  if (kind == ExternalKind::kIndex) {
    if (a.name.empty()) return InvalidArgument("--kind index needs --name (e.g. --name DXY)");
    ARUS_ASSIGN_OR_RETURN(opt.index_name, features::NormalizeExternalName(a.name));
  } else if (!a.name.empty()) {
    return InvalidArgument("--name is only for --kind index (" + a.kind +
                           " files are stored per currency or target)");
  }
  const LiveClock clock;
  features::ExternalMergeOptions merge;
  // A contradicted record became known now unless the user says when it was published.
  merge.revision_time = clock.Now();
  if (!a.revised_at.empty()) {
    ARUS_ASSIGN_OR_RETURN(merge.revision_time, ParseIsoUtc(a.revised_at));
  }

  ingest::Quarantine quarantine;
  const std::string qpath = a.store + "/quarantine/" + CompactUtc(clock.Now()) + "-external-" +
                            std::string(features::ExternalKindName(kind)) + ".csv";
  ARUS_RETURN_IF_ERROR(quarantine.OpenFile(qpath));
  features::ExternalImportSummary total;
  for (const std::string& in : a.inputs) {
    Result<features::ExternalImportSummary> s =
        features::ImportExternalFile(a.store, kind, in, opt, merge, &quarantine);
    if (!s.ok()) return s.status();
    total.parse.rows += s->parse.rows;
    total.parse.accepted += s->parse.accepted;
    total.parse.skipped += s->parse.skipped;
    total.parse.quarantined += s->parse.quarantined;
    total.merge.incoming += s->merge.incoming;
    total.merge.stored += s->merge.stored;
    total.merge.already_stored += s->merge.already_stored;
    total.merge.filled += s->merge.filled;
    total.merge.revisions += s->merge.revisions;
    total.merge.rejected += s->merge.rejected;
    for (const std::string& f : s->merge.files_written) total.merge.files_written.push_back(f);
  }
  ARUS_ASSIGN_OR_RETURN(std::string qfile, quarantine.Commit());
  const int64_t errors = total.parse.quarantined + total.merge.rejected;

  nlohmann::json j;
  j["kind"] = features::ExternalKindName(kind);
  if (!opt.index_name.empty()) j["name"] = opt.index_name;
  j["inputs"] = a.inputs;
  j["store"] = a.store;
  j["rows"] = total.parse.rows;
  j["accepted"] = total.parse.accepted;
  j["skipped"] = total.parse.skipped;
  j["stored"] = total.merge.stored;
  j["already_stored"] = total.merge.already_stored;
  j["filled"] = total.merge.filled;
  j["revisions"] = total.merge.revisions;
  j["errors"] = errors;
  j["errors_by_reason"] = quarantine.counts_by_reason();
  j["files_written"] = total.merge.files_written;
  j["revision_time"] = merge.revision_time->ToIso();
  if (!qfile.empty()) j["quarantine_file"] = qfile;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("%s: %lld row(s) read, %lld stored, %lld already stored", a.kind.c_str(),
                static_cast<long long>(total.parse.rows),
                static_cast<long long>(total.merge.stored),
                static_cast<long long>(total.merge.already_stored));
    if (total.merge.filled > 0) {
      std::printf(", %lld filled", static_cast<long long>(total.merge.filled));
    }
    if (total.merge.revisions > 0) {
      std::printf(" (%lld revision(s) known from %s)",
                  static_cast<long long>(total.merge.revisions),
                  merge.revision_time->ToIso().c_str());
    }
    if (total.parse.skipped > 0) {
      std::printf(", %lld skipped (not currency markets)",
                  static_cast<long long>(total.parse.skipped));
    }
    std::printf(", %lld error(s)", static_cast<long long>(errors));
    for (const auto& [reason, n] : quarantine.counts_by_reason()) {
      std::printf("; %s: %lld", reason.c_str(), static_cast<long long>(n));
    }
    std::printf("\n");
    for (const std::string& f : total.merge.files_written) std::printf("  wrote %s\n", f.c_str());
    if (!qfile.empty()) std::printf("  quarantine file: %s\n", qfile.c_str());
  }
  return Status::Ok();
}

Status RunList(const ListArgs& a, const GlobalFlags& g) {
  features::ExternalStore store(a.store);
  ARUS_ASSIGN_OR_RETURN(std::vector<features::ExternalDatasetInfo> infos, store.List());
  nlohmann::json arr = nlohmann::json::array();
  for (const features::ExternalDatasetInfo& i : infos) {
    nlohmann::json o;
    o["kind"] = features::ExternalKindName(i.kind);
    o["name"] = i.name;
    o["path"] = i.path;
    o["records"] = i.records;
    o["revisions"] = i.revisions;
    if (i.records > 0) {
      o["first_event"] = i.first_event.ToIso();
      o["last_event"] = i.last_event.ToIso();
      o["last_avail"] = i.last_avail.ToIso();
    }
    arr.push_back(o);
  }
  if (a.json) {
    std::printf("%s\n", arr.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  if (infos.empty()) {
    std::printf("no external data in %s\n", a.store.c_str());
    return Status::Ok();
  }
  std::printf("%-10s %-8s %8s %9s  %-20s  %-20s  %s\n", "kind", "name", "records", "revisions",
              "first event", "last event", "last available");
  for (const features::ExternalDatasetInfo& i : infos) {
    const bool any = i.records > 0;
    std::printf("%-10s %-8s %8lld %9lld  %-20s  %-20s  %s\n",
                std::string(features::ExternalKindName(i.kind)).c_str(), i.name.c_str(),
                static_cast<long long>(i.records), static_cast<long long>(i.revisions),
                any ? i.first_event.ToIso().c_str() : "-", any ? i.last_event.ToIso().c_str() : "-",
                any ? i.last_avail.ToIso().c_str() : "-");
  }
  return Status::Ok();
}

nlohmann::json OptJson(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json OptJson(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename R>
void KeepRange(std::vector<R>* v, UnixNanos from, UnixNanos to) {
  std::erase_if(*v, [&](const R& r) { return r.ts_event < from || r.ts_event >= to; });
}

Status RunShow(const ShowArgs& a, const GlobalFlags&) {
  ARUS_ASSIGN_OR_RETURN(ExternalKind kind, features::ParseExternalKind(a.kind));
  UnixNanos from, to;
  ARUS_RETURN_IF_ERROR(ParseTimeRange(a.from, a.to, &from, &to));
  features::ExternalStore store(a.store);
  std::vector<std::string> names;
  if (!a.name.empty()) names.push_back(a.name);
  ARUS_ASSIGN_OR_RETURN(features::ExternalRecords recs, store.Load(kind, names));
  KeepRange(&recs.calendar, from, to);
  KeepRange(&recs.cot, from, to);
  KeepRange(&recs.sentiment, from, to);
  KeepRange(&recs.index, from, to);
  if (!a.json) {
    std::string text = features::FormatExternalCanonical(kind, recs);
    text.erase(text.rfind('#'));  // the checksum footer belongs to the stored file only
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : recs.calendar) {
    arr.push_back({{"ts_event", r.ts_event.ToIso()},
                   {"ts_avail", r.ts_avail.ToIso()},
                   {"ts_schedule", r.ts_schedule.ToIso()},
                   {"revision", r.revision},
                   {"currency", r.currency},
                   {"event", r.event},
                   {"impact", ingest::EventImpactName(r.impact)},
                   {"actual", OptJson(r.actual)},
                   {"forecast", OptJson(r.forecast)},
                   {"previous", OptJson(r.previous)},
                   {"revised_previous", OptJson(r.revised_previous)}});
  }
  for (const auto& r : recs.cot) {
    arr.push_back({{"ts_event", r.ts_event.ToIso()},
                   {"ts_avail", r.ts_avail.ToIso()},
                   {"revision", r.revision},
                   {"currency", r.currency},
                   {"market", r.market},
                   {"as_of", r.as_of.ToString()},
                   {"open_interest", OptJson(r.open_interest)},
                   {"noncomm_long", r.noncomm_long},
                   {"noncomm_short", r.noncomm_short},
                   {"net", r.net()},
                   {"comm_long", OptJson(r.comm_long)},
                   {"comm_short", OptJson(r.comm_short)}});
  }
  for (const auto& r : recs.sentiment) {
    arr.push_back({{"ts_event", r.ts_event.ToIso()},
                   {"ts_avail", r.ts_avail.ToIso()},
                   {"source", r.source},
                   {"target", r.target},
                   {"score", r.score},
                   {"weight", r.weight}});
  }
  for (const auto& r : recs.index) {
    arr.push_back({{"ts_event", r.ts_event.ToIso()},
                   {"ts_avail", r.ts_avail.ToIso()},
                   {"revision", r.revision},
                   {"series", r.series},
                   {"date", r.date.ToString()},
                   {"open", r.open},
                   {"high", r.high},
                   {"low", r.low},
                   {"close", r.close},
                   {"volume", OptJson(r.volume)}});
  }
  std::printf("%s\n", arr.dump(2).c_str());
  return Status::Ok();
}

}  // namespace

Command AddExternalCommand(CLI::App& root, const GlobalFlags& g) {
  CLI::App* app = root.add_subcommand(
      "external",
      "Import, list and show external point-in-time data (calendar, COT, sentiment, "
      "indices)");
  app->require_subcommand(1, 1);
  app->footer(
      "Every record carries ts_event (when it happened) and ts_avail (when it became known); "
      "features use a record at time t only if ts_avail <= t. Formats and rules: "
      "docs/external-data.md.");

  auto imp = std::make_shared<ImportArgs>();
  CLI::App* i = app->add_subcommand("import", "Import files into STORE/external/<kind>/");
  i->footer(
      "Kinds and inputs: calendar (time,currency,event,impact,actual,forecast,previous"
      "[,revised_previous]), cot (the CFTC Legacy futures-only report, annual.txt/deacot*.txt), "
      "sentiment (time,source,target,score[,weight]), index (date,open,high,low,close[,volume], "
      "with --name). Bad rows are quarantined into STORE/quarantine/ and counted as errors; "
      "re-importing the same data adds nothing; a record contradicting a stored one is kept as "
      "a revision known from --revised-at (default: now).");
  i->add_option("--kind", imp->kind, "calendar, cot, sentiment or index")->required();
  i->add_option("--name", imp->name, "index: the series name (DXY, VIX, XAU, WTI, SPX...)");
  i->add_option("--input", imp->inputs, "Input file(s)")->required();
  i->add_option("--store", imp->store, "Store directory")->required();
  i->add_flag("--strict", imp->strict,
              "The first bad row is an error and nothing from its file is stored");
  i->add_option("--revised-at", imp->revised_at,
                "When contradicting values became known, ISO-8601 UTC (default: now)");
  i->add_option("--schedule-lead", imp->schedule_lead,
                "calendar: how long before an event its schedule is known (default 7d)");
  i->add_option("--zone", imp->zone, "cot, index: zone of release and close times")
      ->capture_default_str();
  i->add_option("--release-weekday", imp->release_weekday, "cot: publication weekday")
      ->capture_default_str();
  i->add_option("--release-time", imp->release_time, "cot: publication time HH:MM")
      ->capture_default_str();
  i->add_option("--close-time", imp->close_time,
                "index: the daily close HH:MM (default by series: 17:00, SPX 16:00, VIX 16:15, "
                "WTI 14:30)");
  i->add_option("--delay", imp->delay, "index, sentiment: ts_avail = time + delay (default 0s)");
  i->add_option("--cot-market", imp->cot_markets,
                "cot: extra 'MARKET AND EXCHANGE NAME=CCY' mapping (repeatable)");
  i->add_flag("--json", imp->json, "Print the summary as JSON");

  auto lst = std::make_shared<ListArgs>();
  CLI::App* l = app->add_subcommand("list", "List the external data sets in a store");
  l->add_option("--store", lst->store, "Store directory")->required();
  l->add_flag("--json", lst->json, "Print as JSON");

  auto shw = std::make_shared<ShowArgs>();
  CLI::App* s = app->add_subcommand("show", "Print stored records (canonical CSV or JSON)");
  s->add_option("--store", shw->store, "Store directory")->required();
  s->add_option("--kind", shw->kind, "calendar, cot, sentiment or index")->required();
  s->add_option("--name", shw->name, "One name (EUR, DXY, EURUSD...); default all");
  s->add_option("--from", shw->from, "Records with ts_event from here, ISO-8601 UTC");
  s->add_option("--to", shw->to, "Records with ts_event before this, ISO-8601 UTC");
  s->add_flag("--json", shw->json, "Print as JSON");

  return Command{app, [=, &g]() -> Status {
                   if (i->parsed()) return RunImport(*imp, g);
                   if (l->parsed()) return RunList(*lst, g);
                   return RunShow(*shw, g);
                 }};
}

}  // namespace arus::cli
