#include "risk/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "risk/config_toml.h"

namespace arus::risk {
namespace {

Result<RiskConfig> Parse(std::string_view text) { return ParseRiskConfig(text, "r.toml"); }

std::string ErrorOf(std::string_view text) {
  Result<RiskConfig> r = Parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().ToString();
}

TEST(RiskConfigTest, DefaultsValidateAndAbsentTablesGiveDefaults) {
  EXPECT_TRUE(ValidateRiskConfig(RiskConfig{}).ok());
  for (const char* text : {"", "[backtest]\nspread = 1\n", "[risk]\n"}) {
    Result<RiskConfig> r = Parse(text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, RiskConfig{});
  }
}

TEST(RiskConfigTest, EveryKeyIsRead) {
  Result<RiskConfig> r = Parse(R"(
[other]
ignored = true
[risk]
max_open_positions = 3
max_leverage = 7.5
max_currency_exposure = 2
daily_loss_limit = 0.03
max_drawdown = 0.15
[risk.sizing]
method = "kelly"
lots = 0.3
risk_fraction = 0.02
target_volatility = 0.12
kelly_fraction = 0.25
kelly_cap = 0.03
lot_step = 0.1
min_lots = 0.2
max_lots = 20
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->limits.max_open_positions, 3);
  EXPECT_EQ(r->limits.max_leverage, 7.5);
  EXPECT_EQ(r->limits.max_currency_exposure, 2);
  EXPECT_EQ(r->limits.daily_loss_limit, 0.03);
  EXPECT_EQ(r->limits.max_drawdown, 0.15);
  EXPECT_EQ(r->sizing.method, SizingMethod::kKelly);
  EXPECT_EQ(r->sizing.lots, 0.3);
  EXPECT_EQ(r->sizing.risk_fraction, 0.02);
  EXPECT_EQ(r->sizing.target_volatility, 0.12);
  EXPECT_EQ(r->sizing.kelly_fraction, 0.25);
  EXPECT_EQ(r->sizing.kelly_cap, 0.03);
  EXPECT_EQ(r->sizing.lot_step, 0.1);
  EXPECT_EQ(r->sizing.min_lots, 0.2);
  EXPECT_EQ(r->sizing.max_lots, 20);
}

TEST(RiskConfigTest, NestedTablePathAndInlineSizing) {
  Result<RiskConfig> r = ParseRiskConfig(R"(
[backtest.risk]
max_leverage = 4
sizing = { method = "fixed_lots", lots = 1.5 }
)",
                                         "run.toml", "backtest.risk");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->limits.max_leverage, 4);
  EXPECT_EQ(r->sizing.method, SizingMethod::kFixedLots);
  EXPECT_EQ(r->sizing.lots, 1.5);
  // Errors use the path given.
  r = ParseRiskConfig("[backtest.risk]\nmax_lev = 4\n", "run.toml", "backtest.risk");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("run.toml:2: [backtest.risk] key 'max_lev'"),
            std::string::npos);
}

TEST(RiskConfigTest, ErrorsNameFileLineTableAndKey) {
  EXPECT_EQ(ErrorOf("[risk]\nmax_leverage = 5\nmax_lev = 4\n"),
            "invalid argument: r.toml:3: [risk] key 'max_lev': unknown key (known: "
            "max_open_positions, max_leverage, max_currency_exposure, daily_loss_limit, "
            "max_drawdown, sizing (table))");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nmethod = \"kelly\"\nrisk = 0.1\n"),
            "invalid argument: r.toml:3: [risk.sizing] key 'risk': unknown key (known: method, "
            "lots, risk_fraction, target_volatility, kelly_fraction, kelly_cap, lot_step, "
            "min_lots, max_lots)");
  EXPECT_EQ(ErrorOf("[risk]\nmax_leverage = \"10\"\n"),
            "invalid argument: r.toml:2: [risk] key 'max_leverage': expected a number, got a "
            "string");
  EXPECT_EQ(ErrorOf("[risk]\nmax_open_positions = 2.5\n"),
            "invalid argument: r.toml:2: [risk] key 'max_open_positions': expected an integer, "
            "got a float");
  EXPECT_EQ(ErrorOf("[risk]\ndaily_loss_limit = 1.0\n"),
            "invalid argument: r.toml:2: [risk] key 'daily_loss_limit': out of range: 1 "
            "(allowed [0, 1))");
  EXPECT_EQ(ErrorOf("[risk]\nmax_drawdown = -0.1\n"),
            "invalid argument: r.toml:2: [risk] key 'max_drawdown': out of range: -0.1 "
            "(allowed [0, 1))");
  EXPECT_EQ(ErrorOf("[risk]\nmax_open_positions = -1\n"),
            "invalid argument: r.toml:2: [risk] key 'max_open_positions': out of range: -1 "
            "(allowed [0, 1000000])");
  EXPECT_EQ(ErrorOf("[risk]\nmax_leverage = nan\n"),
            "invalid argument: r.toml:2: [risk] key 'max_leverage': must be a finite number");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nrisk_fraction = 0\n"),
            "invalid argument: r.toml:2: [risk.sizing] key 'risk_fraction': out of range: 0 "
            "(allowed (0, 1])");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nmethod = \"martingale\"\n"),
            "invalid argument: r.toml:2: [risk.sizing] key 'method': unknown sizing method "
            "'martingale' (expected fixed_lots, fixed_fractional, volatility_target or kelly)");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nmethod = 3\n"),
            "invalid argument: r.toml:2: [risk.sizing] key 'method': expected a method name "
            "string, got an integer");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nmin_lots = 5\nmax_lots = 2\n"),
            "invalid argument: r.toml:2: [risk.sizing] key 'min_lots': must not exceed max_lots "
            "(2)");
  EXPECT_EQ(ErrorOf("[risk.sizing]\nmax_lots = 0.005\nmin_lots = 0\n"),
            "invalid argument: r.toml:1: [risk.sizing] key 'lot_step': must not exceed "
            "max_lots (0.005)");
  EXPECT_EQ(ErrorOf("[risk]\nsizing = \"kelly\"\n"),
            "invalid argument: r.toml:2: [risk] key 'sizing': expected a table, got a string");
  EXPECT_EQ(ErrorOf("risk = 5\n"),
            "invalid argument: r.toml:1: 'risk' must be a table, got an integer");
  const std::string syntax = ErrorOf("[risk]\nmax_leverage = \n");
  EXPECT_EQ(syntax.rfind("parse error: r.toml:2", 0), 0u) << syntax;
  Result<RiskConfig> missing = LoadRiskConfig("/nonexistent/risk.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(RiskConfigTest, ValidateNamesTheKey) {
  RiskConfig c;
  c.limits.max_leverage = -1;
  EXPECT_EQ(ValidateRiskConfig(c).ToString(),
            "invalid argument: risk config: [risk] key 'max_leverage': out of range: -1 "
            "(allowed [0, 1000])");
  c = RiskConfig{};
  c.sizing.kelly_cap = 1.5;
  EXPECT_EQ(ValidateRiskConfig(c).message(),
            "risk config: [risk.sizing] key 'kelly_cap': out of range: 1.5 (allowed (0, 1])");
  c = RiskConfig{};
  c.sizing.min_lots = 100;
  EXPECT_EQ(ValidateRiskConfig(c).message(),
            "risk config: [risk.sizing] key 'min_lots': must not exceed max_lots (50)");
}

TEST(RiskConfigTest, FromAParsedTable) {
  toml::table t = toml::parse("max_open_positions = 4\n[sizing]\nmethod = \"volatility_target\"\n");
  Result<RiskConfig> r = RiskConfigFromToml(t, "run.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->limits.max_open_positions, 4);
  EXPECT_EQ(r->sizing.method, SizingMethod::kVolatilityTarget);
}

TEST(RiskConfigTest, JsonHasEveryKeyAndReadsBackThroughToml) {
  RiskConfig c;
  c.sizing.method = SizingMethod::kVolatilityTarget;
  c.sizing.target_volatility = 0.15;
  c.sizing.lot_step = 0.1;
  c.sizing.min_lots = 0.1;
  c.limits.max_open_positions = 4;
  c.limits.daily_loss_limit = 0;
  nlohmann::json j;
  ToJson(j, c);
  EXPECT_EQ(j["sizing"]["method"], "volatility_target");
  EXPECT_EQ(j["sizing"]["target_volatility"], 0.15);
  EXPECT_EQ(j["max_open_positions"], 4);
  EXPECT_EQ(j["daily_loss_limit"], 0.0);
  EXPECT_EQ(j.size(), 6u);            // 5 limits + sizing
  EXPECT_EQ(j["sizing"].size(), 9u);  // every sizing key
  // Write the JSON back as TOML: the parser gives the same config.
  std::string toml = "[risk]\n";
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "sizing") toml += it.key() + " = " + it.value().dump() + "\n";
  }
  toml += "[risk.sizing]\n";
  for (auto it = j["sizing"].begin(); it != j["sizing"].end(); ++it) {
    toml += it.key() + " = " + it.value().dump() + "\n";
  }
  Result<RiskConfig> back = Parse(toml);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << toml;
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace arus::risk
