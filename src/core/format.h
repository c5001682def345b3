// Number formatting for text outputs (CSV, JSON summaries): shortest text that reads back to the
// same value, appended without temporaries, locale-independent.
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace arus {

// Shortest round-trip decimal text ("1.5", "0.1", "216", "1e-07" for very small values).
void AppendShortest(std::string* out, double v);
void AppendShortest(std::string* out, float v);
// The same as a new string.
std::string ShortestText(double v);
// Fixed decimals, rounded ("1.23457" for (1.234567, 5)).
void AppendFixed(std::string* out, double v, int decimals);

}  // namespace arus
