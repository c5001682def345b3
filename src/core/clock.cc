#include "core/clock.h"

#include <chrono>

namespace arus {

UnixNanos LiveClock::Now() const {
  const auto d = std::chrono::system_clock::now().time_since_epoch();
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

Status SimulatedClock::AdvanceTo(UnixNanos t) {
  if (t < now_) {
    return FailedPrecondition("simulated clock cannot go back from " + now_.ToIso() + " to " +
                              t.ToIso());
  }
  now_ = t;
  return Status::Ok();
}

}  // namespace arus
