"""Market data from the exchanges, cached on disk: market lists, candles and tradable pairs.

- `markets`: the on-disk market-list cache, and running adapter work with it.
- `candles`: the one candle pipeline (plan, download, store, read) over the candle cache.
- `candle_frame`: the candle DataFrame every consumer reads, built from ccxt rows.
- `pairs`: tradable pairs by quote currency, pair symbols per market, the free quote balance.

Nothing here knows the strategy or the backtester. Import from the concrete modules.
"""
