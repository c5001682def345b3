#include "quality/config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/file.h"
#include "quality/bar_validator.h"
#include "quality/quality_test_util.h"
#include "quality/tick_validator.h"

namespace arus::quality {
namespace {

Result<QualityConfig> Parse(std::string_view text) { return ParseQualityConfig(text, "q.toml"); }

std::string ErrorOf(std::string_view text) {
  Result<QualityConfig> r = Parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().ToString();
}

TEST(QualityConfig, DefaultsValidateAndEmptyTextGivesDefaults) {
  EXPECT_TRUE(ValidateQualityConfig(QualityConfig{}).ok());
  EXPECT_TRUE(CleaningPolicy{}.Validate().ok());
  Result<QualityConfig> r = Parse("");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, QualityConfig{});
}

TEST(QualityConfig, ExampleFileDocumentsExactlyTheDefaults) {
  Result<QualityConfig> r = LoadQualityConfig(std::string(ARUS_SOURCE_DIR) + "/examples/quality.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, QualityConfig{});
  // Every key of the canonical text appears in the example.
  Result<std::string> text = ReadFile(std::string(ARUS_SOURCE_DIR) + "/examples/quality.toml");
  ASSERT_TRUE(text.ok());
  const std::string canon = CleaningPolicy{}.ToCanonicalText();
  size_t pos = 0;
  while ((pos = canon.find('\n', pos)) != std::string::npos) {
    const size_t next = canon.find('\n', pos + 1);
    if (next == std::string::npos) break;
    const std::string line = canon.substr(pos + 1, next - pos - 1);
    pos = next;
    if (line.empty() || line[0] == '[' || line[0] == '#') continue;
    const std::string key = line.substr(0, line.find(' '));
    EXPECT_NE(text->find("\n" + key + " ="), std::string::npos) << key;
  }
  for (const char* key : {"examples", "max_gaps", "max_jumps", "grid", "max_lag", "max_quote_age",
                          "arb_tolerance_pips"}) {
    EXPECT_NE(text->find(std::string("\n") + key + " ="), std::string::npos) << key;
  }
}

TEST(QualityConfig, EveryKeyIsRead) {
  Result<QualityConfig> r = Parse(R"(
[time_order]
enabled = false
policy = "flag"
[duplicate]
policy = "flag"
[crossed]
policy = "flag"
[locked]
policy = "drop"
[spread]
window = 50
min_samples = 10
multiple = 7.5
max_pips = 0
[spike]
window = 100
min_samples = 20
z = 6
min_move_pips = 2.5
revert_ticks = 3
revert_fraction = 0.5
policy = "flag"
[stale]
max_duration = "90s"
policy = "drop"
[gap]
max_duration = "2m"
[bar_ohlc]
policy = "flag"
[bar_volume]
enabled = false
[bar_order]
policy = "flag"
[bar_gap]
policy = "repair"
min_bars = 3
[report]
examples = 4
max_gaps = 7
max_jumps = 8
[compare]
grid = "1s"
max_lag = "30s"
max_quote_age = "10s"
arb_tolerance_pips = 0.2
examples = 2
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const CleaningPolicy& p = r->policy;
  EXPECT_FALSE(p.time_order.enabled);
  EXPECT_EQ(p.time_order.policy, Policy::kFlag);
  EXPECT_EQ(p.duplicate.policy, Policy::kFlag);
  EXPECT_EQ(p.crossed.policy, Policy::kFlag);
  EXPECT_EQ(p.locked.policy, Policy::kDrop);
  EXPECT_EQ(p.spread.window, 50);
  EXPECT_EQ(p.spread.min_samples, 10);
  EXPECT_EQ(p.spread.multiple, 7.5);
  EXPECT_EQ(p.spread.max_pips, 0);
  EXPECT_EQ(p.spike.window, 100);
  EXPECT_EQ(p.spike.min_samples, 20);
  EXPECT_EQ(p.spike.z, 6);
  EXPECT_EQ(p.spike.min_move_pips, 2.5);
  EXPECT_EQ(p.spike.revert_ticks, 3);
  EXPECT_EQ(p.spike.revert_fraction, 0.5);
  EXPECT_EQ(p.spike.policy, Policy::kFlag);
  EXPECT_EQ(p.stale.max_duration, Duration(90 * kNanosPerSecond));
  EXPECT_EQ(p.stale.policy, Policy::kDrop);
  EXPECT_EQ(p.gap.max_duration, Duration(2 * kNanosPerMinute));
  EXPECT_EQ(p.bar_ohlc.policy, Policy::kFlag);
  EXPECT_FALSE(p.bar_volume.enabled);
  EXPECT_EQ(p.bar_order.policy, Policy::kFlag);
  EXPECT_EQ(p.bar_gap.policy, Policy::kRepair);
  EXPECT_EQ(p.bar_gap.min_bars, 3);
  EXPECT_EQ(r->report.examples, 4);
  EXPECT_EQ(r->report.max_gaps, 7);
  EXPECT_EQ(r->report.max_jumps, 8);
  EXPECT_EQ(r->compare.grid, Duration(kNanosPerSecond));
  EXPECT_EQ(r->compare.max_lag, Duration(30 * kNanosPerSecond));
  EXPECT_EQ(r->compare.max_quote_age, Duration(10 * kNanosPerSecond));
  EXPECT_EQ(r->compare.arb_tolerance_pips, 0.2);
  EXPECT_EQ(r->compare.examples, 2);
  // The canonical text reads back to the same policy.
  Result<QualityConfig> again = Parse(p.ToCanonicalText());
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << p.ToCanonicalText();
  EXPECT_EQ(again->policy, p);
  EXPECT_EQ(again->policy.Hash(), p.Hash());
}

TEST(QualityConfig, CanonicalTextAndHash) {
  const CleaningPolicy d;
  const std::string text = d.ToCanonicalText();
  EXPECT_NE(text.find("[spike]\nenabled = true\npolicy = \"drop\"\nwindow = 500\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[gap]\nenabled = true\npolicy = \"flag\"\nmax_duration = \"10m\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("multiple = 20\n"), std::string::npos);
  EXPECT_EQ(text.find("[report]"), std::string::npos);  // not part of the policy
  // Stable, 16 hex digits, and sensitive to every setting.
  EXPECT_EQ(d.Hash(), CleaningPolicy{}.Hash());
  EXPECT_EQ(d.HashHex().size(), 16u);
  EXPECT_EQ(d.HashHex().find_first_not_of("0123456789abcdef"), std::string::npos);
  CleaningPolicy p = d;
  p.spike.z = 12.5;
  EXPECT_NE(p.Hash(), d.Hash());
  p = d;
  p.gap.max_duration = Duration(11 * kNanosPerMinute);
  EXPECT_NE(p.Hash(), d.Hash());
  p = d;
  p.locked.policy = Policy::kDrop;
  EXPECT_NE(p.Hash(), d.Hash());
  p = d;
  p.bar_volume.enabled = false;
  EXPECT_NE(p.Hash(), d.Hash());
  // Report and compare settings do not change the policy hash.
  Result<QualityConfig> r = Parse("[report]\nexamples = 3\n[compare]\ngrid = \"1s\"\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->policy.HashHex(), d.HashHex());
  // Equivalent spellings give the same canonical text.
  Result<QualityConfig> a = Parse("[stale]\nmax_duration = \"300s\"\n[spread]\nmultiple = 20.0\n");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->policy.HashHex(), d.HashHex());
}

TEST(QualityConfig, ErrorsNameFileLineTableAndKey) {
  std::string e = ErrorOf("[spike]\nz = 12\nwindw = 5\n");
  EXPECT_NE(e.find("q.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("[spike] key 'windw'"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("revert_fraction"), std::string::npos) << e;  // lists the known keys

  e = ErrorOf("[spikes]\nz = 3\n");
  EXPECT_NE(e.find("q.toml:1"), std::string::npos) << e;
  EXPECT_NE(e.find("[spikes]"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown table"), std::string::npos) << e;

  e = ErrorOf("spike = 3\n");
  EXPECT_NE(e.find("expected a table"), std::string::npos) << e;

  e = ErrorOf("[spread]\nwindow = \"big\"\n");
  EXPECT_NE(e.find("q.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("key 'window'"), std::string::npos) << e;
  EXPECT_NE(e.find("expected an integer"), std::string::npos) << e;

  e = ErrorOf("[spread]\nwindow = 1.5\n");
  EXPECT_NE(e.find("expected an integer"), std::string::npos) << e;

  e = ErrorOf("[spike]\nz = 0\n");
  EXPECT_NE(e.find("key 'z'"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;

  e = ErrorOf("[spike]\nrevert_fraction = 1.5\n");
  EXPECT_NE(e.find("key 'revert_fraction'"), std::string::npos) << e;

  e = ErrorOf("[spike]\nz = nan\n");
  EXPECT_NE(e.find("finite"), std::string::npos) << e;

  e = ErrorOf("[gap]\nmax_duration = \"5 minutes\"\n");
  EXPECT_NE(e.find("key 'max_duration'"), std::string::npos) << e;

  e = ErrorOf("[gap]\nmax_duration = 300\n");
  EXPECT_NE(e.find("duration string"), std::string::npos) << e;

  e = ErrorOf("[stale]\nmax_duration = \"0s\"\n");
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;

  e = ErrorOf("[locked]\nenabled = \"yes\"\n");
  EXPECT_NE(e.find("expected true or false"), std::string::npos) << e;

  e = ErrorOf("[locked]\npolicy = \"fix\"\n");
  EXPECT_NE(e.find("unknown policy 'fix'"), std::string::npos) << e;

  e = ErrorOf("[spread]\nwindow = 100\nmin_samples = 200\n");
  EXPECT_NE(e.find("q.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("key 'min_samples'"), std::string::npos) << e;

  e = ErrorOf("[compare]\ngrid = \"1ms\"\nmax_lag = \"10m\"\n");
  EXPECT_NE(e.find("key 'max_lag'"), std::string::npos) << e;
}

TEST(QualityConfig, RepairOnATickRuleIsAConfigError) {
  for (const char* rule :
       {"time_order", "duplicate", "crossed", "locked", "spread", "spike", "stale", "gap"}) {
    const std::string e = ErrorOf(std::string("[") + rule + "]\npolicy = \"repair\"\n");
    EXPECT_NE(e.find("q.toml:2"), std::string::npos) << e;
    EXPECT_NE(e.find("[" + std::string(rule) + "] key 'policy'"), std::string::npos) << e;
    EXPECT_NE(e.find("not allowed for tick rules"), std::string::npos) << e;
    EXPECT_NE(e.find("invent"), std::string::npos) << e;
  }
  for (const char* rule : {"bar_ohlc", "bar_volume", "bar_order"}) {
    const std::string e = ErrorOf(std::string("[") + rule + "]\npolicy = \"repair\"\n");
    EXPECT_NE(e.find("only meaningful for bar_gap"), std::string::npos) << e;
  }
  // A gap has no row to drop.
  EXPECT_NE(ErrorOf("[gap]\npolicy = \"drop\"\n").find("no row to drop"), std::string::npos);
  EXPECT_NE(ErrorOf("[bar_gap]\npolicy = \"drop\"\n").find("no row to drop"), std::string::npos);
  EXPECT_TRUE(Parse("[bar_gap]\npolicy = \"repair\"\n").ok());

  // The same check guards configs built in code.
  QualityConfig c;
  c.policy.spike.policy = Policy::kRepair;
  Status s = c.policy.Validate();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("[spike] key 'policy'"), std::string::npos) << s.ToString();
  Result<std::unique_ptr<TickValidator>> v = TickValidator::Create(c, testing::Eurusd());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("invent"), std::string::npos);
  Result<std::unique_ptr<BarValidator>> bv =
      BarValidator::Create(c, testing::Eurusd(), Duration(kNanosPerMinute));
  EXPECT_FALSE(bv.ok());
}

TEST(QualityConfig, SyntaxErrorsAndMissingFiles) {
  Result<QualityConfig> r = Parse("[spike]\nz = = 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  EXPECT_NE(r.status().ToString().find("q.toml:2"), std::string::npos) << r.status().ToString();
  Result<QualityConfig> m = LoadQualityConfig("/nonexistent/quality.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().ToString().find("/nonexistent/quality.toml"), std::string::npos);
}

TEST(QualityConfig, PolicyNames) {
  for (Policy p : {Policy::kFlag, Policy::kDrop, Policy::kRepair}) {
    Result<Policy> r = ParsePolicy(PolicyName(p));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, p);
  }
  EXPECT_FALSE(ParsePolicy("Flag").ok());
  for (int i = 0; i < kRuleCount; ++i) EXPECT_NE(RuleName(static_cast<RuleId>(i)), "?");
}

}  // namespace
}  // namespace arus::quality
