// Clocks are injected: engines never read the wall clock themselves, so the same code runs live
// (LiveClock) and in backtests or tests (SimulatedClock).
// Thread-safety: LiveClock is safe from any thread; SimulatedClock is owned by one event loop.
#pragma once

#include "core/time.h"

namespace arus {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixNanos Now() const = 0;
};

// The system's real-time clock (UTC).
class LiveClock final : public Clock {
 public:
  UnixNanos Now() const override;
};

// Time advances only when told to, and never backwards.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(UnixNanos start = UnixNanos()) : now_(start) {}
  UnixNanos Now() const override { return now_; }
  // Moves time to `t`; returns FailedPrecondition if `t` is before the current time.
  Status AdvanceTo(UnixNanos t);

 private:
  UnixNanos now_;
};

}  // namespace arus
