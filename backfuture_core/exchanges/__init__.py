"""Talking to exchanges: one module per concern, imported from the concrete module.

- `registry`: the one list of supported exchanges (`SUPPORTED`, `ROADMAP`, `get_exchange`,
  `required_credentials`, `adapter_class`, `create_adapter`); import-light, never loads ccxt.
- `base`: `ExchangeAdapter`, ccxt's async clients with retries, deadlines and resync.
- `classify`: the one error classifier (`classify`, `sanitize`, `parse_error_body`).
- `timing`: the adapter's clocks, sleep and jitter (`Timing`), injectable for tests.
- `key_info`, `paging`: what a key-info endpoint says; how records are listed page by page.
- `mexc`, `kucoin`: each exchange's quirks only.
- `runner`: the one bridge from synchronous code to the async clients.

Nothing is imported here, so importing a submodule stays cheap.
"""
