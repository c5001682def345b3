#include "indicators/indicator.h"

#include <climits>

namespace arus::indicators {

BarInput ToBarInput(const Bar& bar) {
  BarInput b;
  b.ts_open = bar.ts_open;
  b.ts_close = bar.ts_close;
  b.open = bar.open.ToDouble();
  b.high = bar.high.ToDouble();
  b.low = bar.low.ToDouble();
  b.close = bar.close.ToDouble();
  b.volume = bar.volume;
  b.tick_count = static_cast<double>(bar.tick_count);
  b.spread_mean = bar.spread_mean;
  b.spread_max = bar.spread_max.ToDouble();
  return b;
}

Status StateReader::Get(void* p, size_t n) {
  if (n > bytes_.size() - pos_) {
    return Corruption("indicator state truncated: " + std::to_string(n) + " byte(s) wanted at " +
                      std::to_string(pos_) + " of " + std::to_string(bytes_.size()));
  }
  std::memcpy(p, bytes_.data() + pos_, n);
  pos_ += n;
  return Status::Ok();
}

Status StateReader::GetDoubles(std::vector<double>* v, int64_t expected_size) {
  int64_t n = 0;
  ARUS_RETURN_IF_ERROR(GetInt(&n));
  const size_t left = (bytes_.size() - pos_) / sizeof(double);
  if (n < 0 || static_cast<uint64_t>(n) > left) {
    return Corruption("indicator state: bad vector length " + std::to_string(n));
  }
  if (expected_size >= 0 && n != expected_size) {
    return Corruption("indicator state: vector of " + std::to_string(n) + " value(s), expected " +
                      std::to_string(expected_size));
  }
  v->resize(static_cast<size_t>(n));
  return Get(v->data(), static_cast<size_t>(n) * sizeof(double));
}

std::vector<double> RunBatch(Indicator& ind, std::span<const BarInput> bars) {
  ind.Reset();
  const size_t k = ind.OutputNames().size();
  std::vector<double> out(bars.size() * k);
  double* row = out.data();
  for (const BarInput& b : bars) {
    ind.UpdateValues(b, row);
    row += k;
  }
  return out;
}

int DecayPeriod(double keep, double tolerance) {
  if (!(keep > 0)) return 0;  // no memory (e.g. EMA(1))
  if (!(tolerance > 0 && tolerance < 1)) return 0;
  if (keep >= 1) return INT_MAX / 4;
  const double n = std::ceil(std::log(tolerance) / std::log(keep));
  return n > INT_MAX / 4 ? INT_MAX / 4 : static_cast<int>(n);
}

}  // namespace arus::indicators
