"""Backtest: candle replay of the DCA rules, with hand-computed results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from backfuture_core.charts.strategy import deals_figure, equity_figure
from backfuture_core.errors import BackfutureError, ValidationError
from backfuture_core.market_data.candle_frame import CANDLE_COLUMNS, candles_to_frame
from backfuture_core.strategy.backtest import compare_recovery, run_backtest
from backfuture_core.strategy.backtest_results import BacktestResult
from backfuture_core.strategy.params import StrategyParams
from tests.core.strategy_helpers import hand_ladder

MINUTE = 60_000

# Base order 100, two reinforcements of 100 at 2 % and 4 % below entry (d = 2, s = 1, v = 1),
# both may rest at once, take profit 1 %, no fee, no stop loss, Recovery Mode off.
PARAMS = hand_ladder(100, 2, 2, 1, margin_limit_pct=100, stop_loss_pct=0)


def candles(*ohlc: tuple[float, float, float, float]) -> pd.DataFrame:
    return candles_to_frame(
        [[i * MINUTE, o, h, lo, c, 1.0] for i, (o, h, lo, c) in enumerate(ohlc)]
    )


# (open, high, low, close)
SERIES = candles(
    (100, 100, 100, 100),  # 0 deal 1 opens at 100: qty 1, TP 101
    (100, 100.5, 99.5, 100),  # 1 nothing
    (100, 100, 97.5, 98),  # 2 reinforcement 1 fills at 98 → avg 98.9899, TP 99.9798
    (98, 100.2, 97.8, 100),  # 3 high 100.2 ≥ 99.9798 → take profit, +2.00
    (100, 100, 99, 99),  # 4 deal 2 opens at 99: TP 99.99
    (99, 100, 98.5, 100),  # 5 high 100 ≥ 99.99 → take profit, +1.00
    (100, 100, 100, 100),  # 6 deal 3 opens at 100
    (100, 100, 95, 95.5),  # 7 both reinforcements (98, 96) fill
    (95.5, 96, 94, 95),  # 8 nothing
    (95, 96.5, 95, 96),  # 9 end: deal 3 open, marked to market at 96
)
# Deal 3: qty = 1 + 100/98 + 100/96 = 3.062075, cost 300, avg 97.9728
QTY3 = 1 + 100 / 98 + 100 / 96


def test_fixed_series_known_result():
    result = run_backtest(PARAMS, SERIES, initial_balance=1000)
    assert isinstance(result, BacktestResult)
    first, second, third = result.deals
    # deal 1: qty 1 + 100/98 = 2.020408, avg 200/2.020408 = 98.9899, TP = avg·1.01 = 99.9798;
    # proceeds 2.020408 · 99.9798 = 202 → profit 2 (1 % of 200)
    assert first.outcome == "take_profit"
    assert first.entry_price == 100
    assert first.average_price == pytest.approx(200 / (1 + 100 / 98))
    assert first.exit_price == pytest.approx(200 / (1 + 100 / 98) * 1.01)
    assert first.profit == pytest.approx(2.0)
    assert first.profit_pct == pytest.approx(1.0)
    assert first.reinforcements_used == 1
    assert first.invested == pytest.approx(200)
    assert first.opened_at == pd.Timestamp(0, unit="ms", tz="UTC")
    assert first.closed_at == pd.Timestamp(3 * MINUTE, unit="ms", tz="UTC")
    assert first.candles == 3
    # deal 2 opens at the next candle's close (candle 4): 100/99 · 99.99 = 101 → +1
    assert second.opened_at == pd.Timestamp(4 * MINUTE, unit="ms", tz="UTC")
    assert second.profit == pytest.approx(1.0)
    assert second.reinforcements_used == 0
    # deal 3: still open; 3.062075 · 96 − 300 = −6.0408
    assert third.outcome == "open"
    assert third.closed_at is None
    assert third.reinforcements_used == 2
    assert third.average_price == pytest.approx(300 / QTY3)
    assert third.profit == pytest.approx(QTY3 * 96 - 300)

    assert result.deal_count == 2
    assert result.win_rate == 1.0
    assert result.net_profit == pytest.approx(3.0)
    assert result.open_deal is third
    assert result.unrealised_profit == pytest.approx(-6.040816)
    assert result.reinforcements_used.total == 3
    assert result.reinforcements_used.max_per_deal == 2
    # in a deal during candles 1-3, 5, 7-9 → 7 of 10
    assert result.time_in_deals == pytest.approx(0.7)
    # equity at closes: 1000, 1000, 1000 − (200 − 2.020408·98 = 198) = 998, 1002, 1002, 1003,
    # 1003, 1003 − (300 − QTY3·95.5), 1003 − (300 − QTY3·95), 1003 − (300 − QTY3·96)
    expected = [1000, 1000, 998, 1002, 1002, 1003, 1003]
    expected += [1003 - (300 - QTY3 * p) for p in (95.5, 95, 96)]
    assert result.equity["equity"].tolist() == pytest.approx(expected)
    assert list(result.equity.columns) == ["timestamp", "equity"]
    assert result.equity["timestamp"].iloc[1] == pd.Timestamp(MINUTE, unit="ms", tz="UTC")
    assert result.final_equity == pytest.approx(expected[-1])
    # max drawdown: peak 1003, trough 1003 − (300 − 3.062075·95) = 993.8971 → 9.1029 = 0.9076 %
    assert result.max_drawdown.amount == pytest.approx(300 - QTY3 * 95)
    assert result.max_drawdown.pct == pytest.approx((300 - QTY3 * 95) / 1003 * 100)
    # worst floating loss: deal 3 at the low 94 of candle 8: 300 − 3.062075·94 = 12.165
    # (4.055 % of the 300 invested)
    assert result.max_floating_drawdown.amount == pytest.approx(300 - QTY3 * 94)
    assert result.max_floating_drawdown.pct == pytest.approx((300 - QTY3 * 94) / 3)


def test_summary_is_plain_english():
    summary = run_backtest(PARAMS, SERIES, initial_balance=1000).summary()
    assert summary["Deals closed"] == "2"
    assert summary["Win rate"] == "100.0 %"
    assert summary["Net profit"] == "+3.00 USDT (+0.30 %)"
    assert summary["Open deal at the end"] == "−6.04 USDT (marked to market)"
    assert summary["Max drawdown"] == "9.10 USDT (0.91 %)"
    assert summary["Max floating drawdown"] == "12.16 USDT (4.05 %)"
    assert summary["Reinforcements used"] == "3 (at most 2 in one deal)"
    assert summary["Time in deals"] == "70.0 %"
    assert summary["Deals saved by Recovery Mode"] == "0"


def test_only_orders_resting_at_the_open_fill():
    # One active reinforcement: in candle 7 only the order at 98 rests; the one at 96 is placed
    # after that fill and rests from candle 8 on, where the low 94 fills it.
    result = run_backtest(
        replace(PARAMS, max_active_reinforcements=1), SERIES, initial_balance=1000
    )
    third = result.deals[-1]
    assert [(f.kind, f.price) for f in third.fills] == [
        ("base", 100),
        ("reinforcement", 98),
        ("reinforcement", 96),
    ]
    assert [f.timestamp for f in third.fills[1:]] == [
        pd.Timestamp(7 * MINUTE, unit="ms", tz="UTC"),
        pd.Timestamp(8 * MINUTE, unit="ms", tz="UTC"),
    ]
    # the equity at candle 7 holds only 2.020408 units: 1003 − (200 − 2.020408·95.5) = 995.939
    assert result.equity["equity"].iloc[7] == pytest.approx(1003 - (200 - (1 + 100 / 98) * 95.5))


def test_take_profit_needs_the_price_in_force_at_the_open():
    series = candles(
        (100, 100, 100, 100),  # open at 100, TP 101
        (100, 100.5, 97.9, 99),  # buy at 98 → TP 99.9798; high 100.5 < 101 (TP at the open)
        (99, 100, 99, 99.5),  # 100 ≥ 99.9798 → closes at 99.9798
    )
    result = run_backtest(PARAMS, series, initial_balance=1000)
    [deal] = result.deals
    assert deal.outcome == "take_profit"
    assert deal.closed_at == pd.Timestamp(2 * MINUTE, unit="ms", tz="UTC")
    assert deal.exit_price == pytest.approx(200 / (1 + 100 / 98) * 1.01)
    assert deal.profit == pytest.approx(2.0)


def test_take_profit_sells_at_the_price_after_the_candles_buys():
    # high 101.5 reaches the TP at the open (101); the low filled a buy at 98 first,
    # so the whole position sells at the new, lower TP 99.9798 (conservative)
    series = candles((100, 100, 100, 100), (100, 101.5, 97.5, 101))
    [deal] = run_backtest(PARAMS, series, initial_balance=1000).deals
    assert deal.outcome == "take_profit"
    assert deal.reinforcements_used == 1
    assert deal.exit_price == pytest.approx(200 / (1 + 100 / 98) * 1.01)


def test_stop_loss_from_first_entry():
    # stop 5 % below the first entry: 95. Candle 1 fills the order at 98, then the low 94
    # reaches 95: sold at 95 → 2.020408·95 − 200 = −8.0612 (the high 102 does not matter)
    params = replace(PARAMS, reinforcement_count=1, max_active_reinforcements=1, stop_loss_pct=5)
    series = candles(
        (100, 100, 100, 100),
        (100, 102, 94, 96),
        (96, 97, 95, 96.5),  # deal 2 opens at 96.5
    )
    result = run_backtest(params, series, initial_balance=1000)
    first, second = result.deals
    assert first.outcome == "stop_loss"
    assert first.exit_price == 95
    assert first.profit == pytest.approx((1 + 100 / 98) * 95 - 200)
    assert second.outcome == "open"
    assert second.entry_price == 96.5
    assert result.win_rate == 0.0
    assert result.stop_losses == 1
    assert result.summary()["Stopped out"] == "1"


def test_stop_loss_blocks_deeper_orders_and_gaps_fill_at_the_open():
    # orders at 98 and 96, stop at 97: the low 95 fills 98, but 96 lies beyond the stop
    params = replace(PARAMS, stop_loss_pct=3)
    series = candles((100, 100, 100, 100), (100, 100, 95, 96), (96, 96, 96, 96))
    [deal, _] = run_backtest(params, series, initial_balance=1000).deals
    assert deal.reinforcements_used == 1
    assert deal.exit_price == 97
    assert deal.profit == pytest.approx((1 + 100 / 98) * 97 - 200)
    # a candle that opens at 94, below the stop at 97: sold at the open
    series = candles((100, 100, 100, 100), (94, 95, 93, 94), (94, 94, 94, 94))
    [deal, _] = run_backtest(params, series, initial_balance=1000).deals
    assert deal.exit_price == 94


def test_fees_reduce_profit():
    # fee 0.1 %: deal 1 pays 0.2 on buys and 0.202 on the sale of 202 → 2 − 0.402 = 1.598;
    # deal 2 pays 0.1 + 0.101 → 1 − 0.201 = 0.799. The take profit (1 %) covers the round trip.
    result = run_backtest(replace(PARAMS, fee_pct=0.1), SERIES, initial_balance=1000)
    first, second, third = result.deals
    assert first.fees == pytest.approx(0.402)
    assert first.profit == pytest.approx(1.598)
    assert second.profit == pytest.approx(0.799)
    assert result.net_profit == pytest.approx(2.397)
    assert result.fees_paid == pytest.approx(0.603)
    # the open deal counts its buy fees (0.3) and the fee of selling now (QTY3·96·0.001)
    assert third.profit == pytest.approx(QTY3 * 96 * 0.999 - 300.3)
    assert result.final_equity == pytest.approx(result.equity["equity"].iloc[-1])
    no_fee = run_backtest(PARAMS, SERIES, initial_balance=1000)
    assert result.net_profit < no_fee.net_profit


# Recovery Mode: one reinforcement at 98, take profit 2 %, stop loss 12 % (at 88),
# one recovery order 5 % below 98 = 93.1 with take profit 0.3 %.
RECOVERY_PARAMS = replace(
    PARAMS,
    reinforcement_count=1,
    max_active_reinforcements=1,
    take_profit_pct=2,
    stop_loss_pct=12,
    recovery_enabled=True,
    recovery_trigger_pct=5,
    recovery_count=1,
    recovery_step_pct=5,
    recovery_target_pct=0.3,
)
RECOVERY_SERIES = candles(
    (100, 100, 100, 100),  # 0 deal opens at 100
    (100, 100, 97, 97.5),  # 1 reinforcement at 98 → avg 98.9899, TP 100.9697
    (97.5, 97.5, 93, 94),  # 2 low 93 ≤ 93.1 → Recovery Mode: buys 100 at 93.1
    (94, 96, 93.5, 95.5),  # 3 recovery TP = 96.9455·1.003 = 97.2363 not reached
    (95.5, 97.5, 95, 97),  # 4 97.5 ≥ 97.2363 → closed by Recovery Mode, +0.90
    (97, 97.2, 96.8, 97),  # 5 (with) deal 2 opens at 97
    (97, 97, 87, 88),  # 6 (without) low 87 ≤ 88 → stop loss of deal 1
    (88, 89, 86, 88.5),  # 7
)
# after the recovery buy: qty = 1 + 100/98 + 100/93.1 = 3.094522, avg = 300/qty = 96.9455
QTY_REC = 1 + 100 / 98 + 100 / 93.1


def test_compare_recovery_saves_a_deal():
    with_rec, without = compare_recovery(
        replace(RECOVERY_PARAMS, recovery_enabled=False), RECOVERY_SERIES, initial_balance=1000
    )
    saved = with_rec.deals[0]
    assert saved.outcome == "take_profit"
    assert saved.recovery_used is True
    assert saved.recovery_orders_used == 1
    assert saved.saved_by_recovery is True
    assert saved.average_price == pytest.approx(300 / QTY_REC)
    assert saved.exit_price == pytest.approx(300 / QTY_REC * 1.003)
    assert saved.closed_at == pd.Timestamp(4 * MINUTE, unit="ms", tz="UTC")
    assert saved.profit == pytest.approx(0.9)  # 0.3 % of 300
    assert [f.kind for f in saved.fills] == ["base", "reinforcement", "recovery"]
    assert with_rec.deal_count == 1
    assert with_rec.deals_saved_by_recovery == 1
    assert with_rec.net_profit == pytest.approx(0.9)
    assert with_rec.summary()["Deals saved by Recovery Mode"] == "1"
    # without Recovery Mode the same deal waits for 100.9697 and is stopped out at 88:
    # 2.020408·88 − 200 = −22.204
    lost = without.deals[0]
    assert lost.outcome == "stop_loss"
    assert lost.recovery_used is False
    assert lost.profit == pytest.approx((1 + 100 / 98) * 88 - 200)
    assert without.deals_saved_by_recovery == 0
    assert without.net_profit == pytest.approx(-22.204082)
    # deal 2 (with): opened at 97; reinforcement at 95.06 in candle 6, recovery order at
    # 95.06·0.95 = 90.307 rests from candle 7 and fills on its low 86; the stop (85.36) holds
    deal2 = with_rec.deals[1]
    assert deal2.outcome == "open"
    assert [f.price for f in deal2.fills] == pytest.approx([97, 95.06, 90.307])
    assert deal2.recovery_used is True


def test_without_recovery_the_deal_stays_open():
    short = RECOVERY_SERIES.iloc[:5]
    with_rec, without = compare_recovery(RECOVERY_PARAMS, short, initial_balance=1000)
    assert with_rec.deal_count == 1
    assert with_rec.deals_saved_by_recovery == 1
    assert without.deal_count == 0
    assert without.open_deal is not None
    assert without.open_deal.profit == pytest.approx((1 + 100 / 98) * 97 - 200)
    assert with_rec.final_equity > without.final_equity


def test_recovery_exit_at_break_even_counts_as_saved():
    # target 0 % with a 0.1 % fee: the exit is the break-even price avg·1.001/0.999 = 97.1396,
    # so the deal ends at 0 profit after fees and still counts as saved
    params = replace(RECOVERY_PARAMS, recovery_target_pct=0, fee_pct=0.1)
    result = run_backtest(params, RECOVERY_SERIES.iloc[:5], initial_balance=1000)
    [deal] = result.closed_deals
    assert deal.exit_price == pytest.approx(300 / QTY_REC * 1.001 / 0.999)
    assert deal.profit == pytest.approx(0, abs=1e-9)
    assert result.deals_saved_by_recovery == 1


def test_futures_liquidation():
    # 10×: liquidation = avg·(1 − 0.1 + 0.005) = avg·0.905. Candle 1 fills 98 (above 90.5),
    # the average becomes 98.9899 and liquidation 89.586; the low 89 reaches it:
    # loss = qty·avg·0.905 − 200 = 181 − 200 = −19
    params = replace(
        PARAMS, market="futures", leverage=10, reinforcement_count=1, max_active_reinforcements=1
    )
    series = candles((100, 100, 100, 100), (100, 100, 89, 90))
    [deal] = run_backtest(params, series, initial_balance=1000).deals
    assert deal.outcome == "liquidation"
    assert deal.exit_price == pytest.approx(200 / (1 + 100 / 98) * 0.905)
    assert deal.profit == pytest.approx(-19.0)


def test_ccxt_rows_and_frames_give_the_same_result():
    rows = [[int(t), o, h, lo, c, v] for t, o, h, lo, c, v in SERIES.itertuples(index=False)]
    from_rows = run_backtest(PARAMS, list(reversed(rows)), initial_balance=1000)
    from_frame = run_backtest(PARAMS, SERIES, initial_balance=1000)
    assert [d.profit for d in from_rows.deals] == pytest.approx(
        [d.profit for d in from_frame.deals]
    )
    dated = SERIES.assign(timestamp=pd.to_datetime(SERIES["timestamp"], unit="ms", utc=True))
    from_dates = run_backtest(PARAMS, dated, initial_balance=1000)
    assert from_dates.equity["timestamp"].tolist() == from_frame.equity["timestamp"].tolist()
    assert list(candles_to_frame(rows).columns) == list(CANDLE_COLUMNS)
    assert len(candles_to_frame([*rows, rows[0]])) == len(rows)  # duplicate dropped


@pytest.mark.parametrize(
    ("kwargs", "data", "label"),
    [
        ({}, [], "Candles"),
        ({}, [[0, 100, 100, None, 100, 1]], "Candles"),
        ({"initial_balance": 0}, None, "Starting balance"),
        ({"initial_balance": 100}, None, "Margin limit"),  # ladder needs 300
        ({"params": replace(PARAMS, take_profit_pct=20)}, None, "Take profit"),
    ],
)
def test_unusable_input_raises_validation_error(kwargs, data, label):
    params = kwargs.get("params", PARAMS)
    balance = kwargs.get("initial_balance", 1000)
    with pytest.raises(ValidationError) as info:
        run_backtest(params, SERIES if data is None else data, initial_balance=balance)
    assert label in info.value.problems
    assert isinstance(info.value, BackfutureError)


def synthetic(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.003, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.003, n))
    return pd.DataFrame(
        {
            "timestamp": np.arange(n, dtype="int64") * MINUTE,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": 1.0,
        }
    )


def test_twenty_thousand_candles():
    frame = synthetic(20_000)
    params = StrategyParams()  # Balanced preset
    with_rec, without = compare_recovery(params, frame, initial_balance=1000)
    for result in (with_rec, without):
        assert len(result.equity) == 20_000
        assert result.deal_count > 10
        assert result.final_equity == pytest.approx(result.equity["equity"].iloc[-1])
        assert 0 < result.time_in_deals <= 1
        assert result.max_drawdown.amount >= 0
        assert result.max_floating_drawdown.amount >= 0
        assert all(d.outcome in ("take_profit", "open") for d in result.deals)
    assert without.deals_in_recovery == 0


def test_figures():
    with_rec, without = compare_recovery(RECOVERY_PARAMS, RECOVERY_SERIES, initial_balance=1000)
    fig = equity_figure(with_rec, without)
    assert [t.name for t in fig.data] == ["With Recovery Mode", "Without Recovery Mode"]
    assert list(fig.data[0].y) == pytest.approx(with_rec.equity["equity"].tolist())
    assert fig.layout.template.layout.to_plotly_json()
    fig = deals_figure(RECOVERY_SERIES, with_rec)
    names = [t.name for t in fig.data]
    assert names == [
        "Price",
        "Deal opened",
        "Reinforcement",
        "Recovery order",
        "Take profit",
        "Open deal (marked to market)",
    ]
    assert list(fig.data[3].y) == pytest.approx([93.1, 90.307])
    fig = deals_figure(RECOVERY_SERIES, without)
    assert "Stop loss" in [t.name for t in fig.data]
