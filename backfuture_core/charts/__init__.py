"""Plotly figures, pure functions of core frames and results (no Streamlit here).

- `theme`: the one layout, colours and empty-figure note every figure uses.
- `portfolio`: the Balances and Orders pages' figures.
- `strategy`: the Strategy page's ladder preview and backtest figures.

Import from the concrete module; nothing is re-exported here.
"""
