"""Balances, positions and orders across connections: what the Balances and Orders pages show.

One module per concern; import from the concrete module (nothing is re-exported here):

- `rows`: the stable frame columns and the parsers from ccxt answers to rows and frames.
- `valuation`: USDT prices from tickers (stablecoin, USDT market, via BTC) and valued balances.
- `fetch`: the fan-out over connections (one job per connection on the one async runner).
- `markets`: a connection's markets (spot, futures) and the symbols its exchange lists.
- `results`: what one connection's fetch returns (`Portfolio`, `Activity`).
- `holdings`: fetching balances and positions, valued with one ticker call per exchange.
- `paging`: the order/fill paging engine (time windows, page numbers, time cursors).
- `activity`: fetching open orders, order history and fills.
- `symbols`: which symbols to ask an exchange about (saved strategy pairs).
- `settled`: closed orders and fills kept on disk, and the spans they cover.
- `history`: balance snapshots and the value history.
- `accounts`: which connections share an exchange account, so that each account counts once.
- `notices`: how fresh the shown data is, and what to tell about a failed refresh.
- `balances_view`, `orders_view`: the page view-models and their session-cached refreshes.
- `export`: CSV downloads.
"""
