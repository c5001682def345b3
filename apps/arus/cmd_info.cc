// `arus info`: what a tick store holds.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/progress.h"
#include "store/tick_store.h"

namespace arus::cli {

namespace {

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
  for (const std::string& sym : store->Symbols()) {
    Result<store::SymbolInfo> info = store->Info(sym);
    if (!info.ok()) {
      damaged.push_back(info.status().ToString());
      continue;
    }
    infos.push_back(*info);
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
                              {"price_decimals", info->price_decimals}});
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
    std::printf("%-8s %-24s %-24s %6s %12s %11s %8s %6s\n", "symbol", "first tick (UTC)",
                "last tick (UTC)", "days", "ticks", "on disk", "B/tick", "ratio");
    for (const store::SymbolInfo& i : infos) {
      std::printf("%-8s %-24s %-24s %6d %12lld %11s %8.2f %5.1fx\n", i.symbol.c_str(),
                  i.first_ts.ToIso().c_str(), i.last_ts.ToIso().c_str(), i.partitions,
                  static_cast<long long>(i.tick_count), HumanBytes(double(i.bytes_on_disk)).c_str(),
                  i.bytes_per_tick(), i.compression_ratio());
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
      "info", "Show what a tick store holds");
  app->footer("Per symbol: first and last tick, trading days, ticks, size on disk, bytes per tick "
              "and compression ratio against 32-byte in-memory ticks.");
  app->add_option("--store", args->store, "Store directory")->required();
  app->add_flag("--json", args->json, "Print JSON instead of a table");
  app->add_flag("--verify", args->verify,
                "Read every block and check every checksum (exit 1 on any problem)");
  return Command{app, [args, &g] { return RunInfo(*args, g); }};
}

}  // namespace arus::cli
