"""An embedded fake exchange: MEXC and KuCoin REST over real HTTP on 127.0.0.1.

It lets real ccxt clients, with real signing and real error handling, run end to end offline
(demo mode, tests, benchmarks). Written from the exchanges' documentation, independently of
``backfuture_core.exchanges``.

Usage::

    from backfuture_core.sandbox import Sandbox, DemoKey, demo_keys, shared_sandbox

    with Sandbox(port=0, seed=7) as sb:
        sb.base_url("mexc")      # "http://127.0.0.1:PORT/mexc"   (MEXC spot v3 + contract v1)
        sb.base_url("kucoin")    # "http://127.0.0.1:PORT/kucoin" (KuCoin spot + futures)
        sb.set_fault("rate_limit", key=some_api_key, retry_after=2, count=1)
        sb.requests              # [RequestRecord(exchange, method, path, query, api_key, status)]

Pointing ccxt at it (B = ``sb.base_url(...)``):

* MEXC: ``ex.urls['api'] = {'spot': {'public': B, 'private': B}, 'spot2': {'public':
  B + '/open/api/v2', 'private': B + '/open/api/v2'}, 'contract': {'public': B +
  '/api/v1/contract', 'private': B + '/api/v1/private'}, 'broker': {'private': B +
  '/api/v3/broker'}}``.
* KuCoin and KuCoin futures: set every key of ``ex.urls['api']`` to B.

Faults (``set_fault(kind, key=None, count=None, **params)``): ``latency(seconds)``,
``timeout(seconds=30)``, ``rate_limit(retry_after=1)``, ``server_error(status=502,
html=True)``, ``maintenance``, ``malformed_json``, ``clock_skew(ms)``.

Layout: ``server.py`` (HTTP, routing by exchange prefix, request records), ``faults.py``,
``messages.py`` (request, reply, the ApiError mechanism), the one world (``world.py``,
``accounts.py``, ``history.py``, ``records.py``, ``prices.py``, ``keys.py``) and one dialect
per exchange under ``dialects/`` (routes, signing, response shapes, paging, error bodies).

Demo world: the keys of :func:`demo_keys`, each belonging to an account data set (``main``,
``futures``, ``empty``, ``zero``); keys of one account share its holdings and report its id
(MEXC ``GET /api/v3/uid``, KuCoin ``GET /api/v1/user/api-key`` ``uid``). The order history has
300 orders over the last 90 days per history-bearing account; size it with
``Sandbox(order_history=10_000)`` (every account) or ``Sandbox(order_history={"main":
10_000})`` (one account). Prices are a seeded,
stateless random walk, so tickers, candles of any interval and order prices agree.
"""

from backfuture_core.sandbox.faults import FAULT_KINDS
from backfuture_core.sandbox.keys import DemoKey, demo_keys
from backfuture_core.sandbox.server import RequestRecord, Sandbox, shared_sandbox

__all__ = ["FAULT_KINDS", "DemoKey", "RequestRecord", "Sandbox", "demo_keys", "shared_sandbox"]
