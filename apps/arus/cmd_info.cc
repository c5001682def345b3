// `arus info`: what a tick store holds.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/progress.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

nlohmann::json ProvenanceJson(const std::vector<store::ProvenanceRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::ProvenanceRecord& r : records) {
    out.push_back({{"source", r.provenance.source},
                   {"policy_hash", r.provenance.policy_hash},
                   {"cleaning_policy", r.provenance.cleaning_policy},
                   {"note", r.provenance.note},
                   {"first", r.first_ts.ToIso()},
                   {"last", r.last_ts.ToIso()},
                   {"first_committed", r.first_committed.ToIso()},
                   {"last_committed", r.last_committed.ToIso()},
                   {"appends", r.appends}});
  }
  return out;
}

void PrintProvenance(const std::string& what, const std::vector<store::ProvenanceRecord>& recs) {
  for (const store::ProvenanceRecord& r : recs) {
    std::printf("  %-16s %s .. %s  %s, policy %s, %lld append(s)\n", what.c_str(),
                r.first_ts.ToIso().c_str(), r.last_ts.ToIso().c_str(),
                r.provenance.source.c_str(),
                r.provenance.policy_hash.empty() ? "none" : r.provenance.policy_hash.c_str(),
                static_cast<long long>(r.appends));
  }
}

struct InfoArgs {
  std::string store;
  bool json = false;
  bool verify = false;
};

Status RunInfo(const InfoArgs& a, const GlobalFlags& g) {
  ARUS_ASSIGN_OR_RETURN(auto store, store::TickStore::Open(a.store, store::OpenMode::kReadOnly));
  nlohmann::json out;
  out["store"] = a.store;
  out["symbols"] = nlohmann::json::array();
  int64_t total_ticks = 0;
  uint64_t total_bytes = 0, total_raw = 0;
  std::vector<store::SymbolInfo> infos;
  std::vector<std::string> damaged;
  std::map<std::string, std::vector<store::ProvenanceRecord>> provenance;
  for (const std::string& sym : store->Symbols()) {
    Result<store::SymbolInfo> info = store->Info(sym);
    if (!info.ok()) {
      damaged.push_back(info.status().ToString());
      continue;
    }
    infos.push_back(*info);
    Result<std::vector<store::ProvenanceRecord>> prov = store->Provenance(sym);
    if (prov.ok()) provenance[sym] = *prov;
    total_ticks += info->tick_count;
    total_bytes += info->bytes_on_disk;
    total_raw += info->raw_bytes;
    out["symbols"].push_back({{"symbol", info->symbol},
                              {"first", info->first_ts.ToIso()},
                              {"last", info->last_ts.ToIso()},
                              {"first_trading_date", info->first_date.ToString()},
                              {"last_trading_date", info->last_date.ToString()},
                              {"trading_days", info->partitions},
                              {"ticks", info->tick_count},
                              {"bytes_on_disk", info->bytes_on_disk},
                              {"bytes_per_tick", info->bytes_per_tick()},
                              {"compression_ratio", info->compression_ratio()},
                              {"price_decimals", info->price_decimals},
                              {"provenance", ProvenanceJson(provenance[sym])}});
  }
  out["bar_series"] = nlohmann::json::array();
  std::vector<store::BarSeriesInfo> bar_infos;
  for (const store::BarSeriesKey& key : store->BarSeries()) {
    Result<store::BarSeriesInfo> info = store->BarInfo(key);
    if (!info.ok()) {
      damaged.push_back(info.status().ToString());
      continue;
    }
    bar_infos.push_back(*info);
    Result<std::vector<store::ProvenanceRecord>> prov = store->Provenance(key);
    if (prov.ok()) provenance[key.ToString()] = *prov;
    out["bar_series"].push_back({{"series", key.ToString()},
                                 {"symbol", key.symbol},
                                 {"timeframe", key.timeframe},
                                 {"side", key.side},
                                 {"first", info->first_ts.ToIso()},
                                 {"last", info->last_ts.ToIso()},
                                 {"partitions", info->partitions},
                                 {"bars", info->bar_count},
                                 {"filled", info->filled_count},
                                 {"bytes_on_disk", info->bytes_on_disk},
                                 {"bytes_per_bar", info->bytes_per_bar()},
                                 {"price_decimals", info->price_decimals},
                                 {"provenance", ProvenanceJson(provenance[key.ToString()])}});
  }
  out["total"] = {{"ticks", total_ticks},
                  {"bytes_on_disk", total_bytes},
                  {"compression_ratio", total_bytes ? double(total_raw) / total_bytes : 0.0}};
  if (!damaged.empty()) out["damaged"] = damaged;

  Result<store::VerifyReport> verify = InvalidArgument("not run");
  if (a.verify) {
    verify = store->Verify();
    if (!verify.ok()) return verify.status();
    nlohmann::json problems = nlohmann::json::array();
    for (const Status& s : verify->problems) problems.push_back(s.ToString());
    out["verify"] = {{"ok", verify->ok()},
                     {"partitions", verify->partitions},
                     {"blocks", verify->blocks},
                     {"ticks", verify->ticks},
                     {"orphan_files", verify->orphan_files},
                     {"problems", problems}};
  }

  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("store %s: %zu symbol(s), %s ticks, %s on disk (%.1f bytes/tick, %.1fx smaller "
                "than 32-byte ticks)\n",
                a.store.c_str(), infos.size(), HumanCount(double(total_ticks)).c_str(),
                HumanBytes(double(total_bytes)).c_str(),
                total_ticks ? double(total_bytes) / total_ticks : 0.0,
                total_bytes ? double(total_raw) / total_bytes : 0.0);
    if (!infos.empty()) {
      std::printf("%-8s %-24s %-24s %6s %12s %11s %8s %6s\n", "symbol", "first tick (UTC)",
                  "last tick (UTC)", "days", "ticks", "on disk", "B/tick", "ratio");
      for (const store::SymbolInfo& i : infos) {
        std::printf("%-8s %-24s %-24s %6d %12lld %11s %8.2f %5.1fx\n", i.symbol.c_str(),
                    i.first_ts.ToIso().c_str(), i.last_ts.ToIso().c_str(), i.partitions,
                    static_cast<long long>(i.tick_count), HumanBytes(double(i.bytes_on_disk)).c_str(),
                    i.bytes_per_tick(), i.compression_ratio());
      }
    }
    if (!bar_infos.empty()) {
      std::printf("\n%-16s %-24s %-24s %10s %8s %11s %7s\n", "bar series", "first bar (UTC)",
                  "last bar (UTC)", "bars", "filled", "on disk", "B/bar");
      for (const store::BarSeriesInfo& i : bar_infos) {
        std::printf("%-16s %-24s %-24s %10lld %8lld %11s %7.2f\n", i.key.ToString().c_str(),
                    i.first_ts.ToIso().c_str(), i.last_ts.ToIso().c_str(),
                    static_cast<long long>(i.bar_count), static_cast<long long>(i.filled_count),
                    HumanBytes(double(i.bytes_on_disk)).c_str(), i.bytes_per_bar());
      }
    }
    bool any_provenance = false;
    for (const auto& [what, recs] : provenance) any_provenance |= !recs.empty();
    if (any_provenance) {
      std::printf("\nprovenance (source, cleaning policy hash):\n");
      for (const auto& [what, recs] : provenance) PrintProvenance(what, recs);
    }
    for (const std::string& d : damaged) std::printf("damaged: %s\n", d.c_str());
    if (a.verify) {
      std::printf("verify: %s — %d partitions, %lld blocks, %lld ticks checked, %d orphan file(s)\n",
                  verify->ok() ? "ok" : "PROBLEMS", verify->partitions,
                  static_cast<long long>(verify->blocks), static_cast<long long>(verify->ticks),
                  verify->orphan_files);
      for (const Status& s : verify->problems) std::printf("  %s\n", s.ToString().c_str());
    }
  }
  if (!damaged.empty()) return Corruption(damaged.front());
  if (a.verify && !verify->ok()) return Corruption(verify->problems.front().ToString());
  return Status::Ok();
}

}  // namespace

Command AddInfoCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* app = root.add_subcommand(
      "info", "Show what a store holds: tick symbols, bar series, provenance");
  app->footer("Per symbol: first and last tick, trading days, ticks, size on disk, bytes per tick "
              "and compression ratio against 32-byte in-memory ticks. Per bar series: range, "
              "bars, bars filled by a repair policy, size. Provenance: which source and which "
              "cleaning policy (hash; the full policy text with --json) produced each range.");
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_flag("--json", args->json, "Print JSON instead of a table");
  app->add_flag("--verify", args->verify,
                "Read every block and check every checksum (exit 1 on any problem)");
  return Command{app, [args, &g] { return RunInfo(*args, g); }};
}

}  // namespace arus::cli
