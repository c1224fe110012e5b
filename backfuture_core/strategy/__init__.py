"""The DCA strategy: its settings, presets, checks, ladder, backtest, readiness and saved copies.

BackFuture's strategy trades **long deals only**. A deal buys a base order at the market, rests
reinforcement ("renfort") limit orders below it, and sells the whole position at the take-profit
price above the average entry. Recovery Mode adds a few wider-spaced recovery orders when the price
falls beyond the last reinforcement and then exits near break-even instead of at the full take
profit.

Modules (import from them directly; this package imports nothing):

- `params`: `StrategyParams`, the slider spec of each setting (`PARAMETERS`), labels, margin caps.
- `presets`: the risk presets, applying them and recognising them.
- `problems`: `Problem`, one thing wrong with the settings.
- `checks`: `validate` (every problem) and `check_params` (one `ValidationError` for a form).
- `ladder`: `build_ladder`, the orders of one deal and the deal's state after each fill.
- `backtest`: the pure replay of candles; `backtest_results`: what it found.
- `run`: a backtest over a pair's fetched candles, with and without Recovery Mode.
- `readiness`: whether a strategy may be enabled on a connection, and the page's panel.
- `saved`: saved strategies per connection (create, read, rename, delete).
- `form`, `preview`: the strategy page's form controller and its ladder preview.

Conventions used throughout:

* Order sizes (base order, reinforcements, recovery orders) are **quote amounts of position value**
  (notional). On futures the capital locked is that value divided by the leverage.
* The margin limit covers the whole strategy, all pairs together; each pair gets an equal share.
  ``margin_limit_pct`` is a share of the quote balance, ``margin_limit_amount`` an absolute amount
  (0 = none); when both are set the smaller one applies.
* Fees are charged in quote on every fill: ``fee_pct`` of the fill's value.
* Take-profit price = ``max(avg * (1 + take_profit), break-even)`` where
  break-even = ``avg * (1 + fee) / (1 - fee)``: the round-trip fee is always covered.
  Recovery levels use ``recovery_target_pct`` the same way (0 % = exit exactly at break-even).
* Liquidation (futures) is an isolated-margin long estimate:
  ``avg * (1 - 1/leverage + 0.5 %)`` (0.5 % maintenance margin). With cross margin the whole balance
  backs the position, so the real liquidation is further away; the estimate stays the cautious one.
"""
