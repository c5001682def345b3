#include "bars/resampler.h"

#include <algorithm>

#include "core/memory.h"

namespace arus::bars {

BarResampler::BarResampler(Timeframe timeframe, const fx::FxCalendar& calendar)
    : timeframe_(timeframe), calendar_(&calendar) {}

BarResampler::State BarResampler::state() const { return s_; }

void BarResampler::Restore(const State& s) { s_ = s; }

void BarResampler::ReserveCompleted(size_t n) { ReserveForWrite(completed_, n); }

void BarResampler::Emit() {
  Bar b = *s_.forming;
  const int64_t ticks = b.tick_count;
  if (ticks > 0) {
    b.spread_mean = s_.spread_weighted_sum / static_cast<double>(ticks);
  } else {
    b.spread_mean =
        s_.spread_plain_count > 0 ? s_.spread_plain_sum / double(s_.spread_plain_count) : 0.0;
  }
  completed_.push_back(b);
  s_.forming.reset();
  s_.spread_weighted_sum = 0;
  s_.spread_plain_sum = 0;
  s_.spread_plain_count = 0;
}

void BarResampler::AdvanceTo(UnixNanos now) {
  if (s_.forming && now >= s_.forming->ts_close) Emit();
}

void BarResampler::Flush() {
  if (s_.forming) Emit();
}

Status BarResampler::Update(const Bar& fine) {
  if (fine.ts_open < s_.last_fine_open) {
    return InvalidArgument("resample to " + std::string(TimeframeName(timeframe_)) + ": bar at " +
                           fine.ts_open.ToIso() + " comes after the bar at " +
                           s_.last_fine_open.ToIso());
  }
  const BarInterval bucket = BucketOf(timeframe_, fine.ts_open, *calendar_);
  if (fine.ts_close > bucket.close || fine.ts_open < bucket.open) {
    return InvalidArgument("resample to " + std::string(TimeframeName(timeframe_)) + ": bar " +
                           fine.ts_open.ToIso() + ".." + fine.ts_close.ToIso() +
                           " does not fit in one bucket (" + bucket.open.ToIso() + ".." +
                           bucket.close.ToIso() + ")");
  }
  s_.last_fine_open = fine.ts_open;
  if (s_.forming && s_.forming->ts_open != bucket.open) Emit();
  if (!s_.forming) {
    Bar b = fine;
    b.ts_open = bucket.open;
    b.ts_close = bucket.close;
    b.spread_mean = 0;
    s_.forming = b;
  } else {
    Bar& b = *s_.forming;
    b.high = std::max(b.high, fine.high);
    b.low = std::min(b.low, fine.low);
    b.close = fine.close;
    b.tick_count += fine.tick_count;
    b.volume += fine.volume;
    b.spread_max = std::max(b.spread_max, fine.spread_max);
  }
  if (fine.tick_count > 0) {
    s_.spread_weighted_sum += fine.spread_mean * static_cast<double>(fine.tick_count);
  } else {
    s_.spread_plain_sum += fine.spread_mean;
    ++s_.spread_plain_count;
  }
  return Status::Ok();
}

Result<std::vector<Bar>> ResampleBars(std::span<const Bar> fine, Timeframe timeframe,
                                      const fx::FxCalendar& calendar) {
  BarResampler r(timeframe, calendar);
  if (!fine.empty()) {
    // At most one coarse bar per fine bar and per bucket the span covers (a few spare for
    // calendar buckets shorter than nominal), reserved and mapped in at once.
    const int64_t span = (fine.back().ts_close - fine.front().ts_open).count();
    const int64_t buckets = span / NominalDuration(timeframe).count() + 8;
    r.ReserveCompleted(std::min(fine.size(), static_cast<size_t>(buckets)));
  }
  for (const Bar& b : fine) ARUS_RETURN_IF_ERROR(r.Update(b));
  r.Flush();
  return r.TakeCompleted();
}

}  // namespace arus::bars
