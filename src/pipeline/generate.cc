#include "pipeline/generate.h"

namespace arus::pipeline {

// Trading days of ticks kept in memory before one store transaction: fewer manifest commits.
constexpr int kDaysPerAppend = 5;

int64_t GenerateResult::ticks() const {
  int64_t n = 0;
  for (const auto& s : stats) n += s.ticks_in;
  return n;
}

int64_t GenerateResult::added() const {
  int64_t n = 0;
  for (const auto& s : stats) n += s.ticks_added;
  return n;
}

Result<GenerateResult> GenerateIntoStore(ingest::SyntheticMarket& market, store::TickStore& store,
                                         bool replace,
                                         const std::function<void(double)>& progress) {
  GenerateResult out;
  out.instruments = market.Instruments();
  const size_t n = out.instruments.size();
  out.stats.resize(n);
  std::vector<std::vector<QuoteTick>> day(n), pending(n);
  store::AppendOptions append_opt;
  append_opt.replace = replace;
  auto flush = [&]() -> Status {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i].empty()) continue;
      ARUS_ASSIGN_OR_RETURN(store::AppendStats s,
                            store.Append(out.instruments[i].symbol, pending[i],
                                         out.instruments[i].price_precision, append_opt));
      out.stats[i].ticks_in += s.ticks_in;
      out.stats[i].ticks_added += s.ticks_added;
      out.stats[i].ticks_duplicate += s.ticks_duplicate;
      out.stats[i].ticks_replaced += s.ticks_replaced;
      out.stats[i].partitions_written += s.partitions_written;
      pending[i].clear();
    }
    return Status::Ok();
  };
  while (true) {
    ARUS_ASSIGN_OR_RETURN(bool more, market.NextDay(&day));
    if (!more) break;
    for (size_t i = 0; i < n; ++i) pending[i].insert(pending[i].end(), day[i].begin(), day[i].end());
    if (++out.trading_days % kDaysPerAppend == 0) ARUS_RETURN_IF_ERROR(flush());
    if (progress) progress(market.Progress());
  }
  ARUS_RETURN_IF_ERROR(flush());
  out.events = market.Events();
  return out;
}

}  // namespace arus::pipeline
