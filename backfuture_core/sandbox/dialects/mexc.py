"""The MEXC dialect: routes, signing and fault replies of MEXC spot v3 and contract v1.

Written from MEXC's API documentation (reference/exchanges.md section 1), independently of
backfuture_core.exchanges. Paths are those of api.mexc.com:

* spot v3: ``/api/v3/...``; private calls carry ``X-MEXC-APIKEY`` and every parameter in the
  query string, signed with ``signature = hex(HMAC_SHA256(secret, query before &signature))``;
* contract v1: public ``/api/v1/contract/...``, private ``/api/v1/private/...`` signed with the
  headers ``ApiKey``, ``Request-Time`` and ``Signature = hex(HMAC_SHA256(secret, ApiKey +
  Request-Time + (sorted query | JSON body)))``.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import (
    Dialect,
    KeyLookup,
    Private,
    Public,
    check_recv_window,
    hex_signed,
    hmac_hex,
    same_signature,
)
from backfuture_core.sandbox.dialects.mexc_account import MexcAccount
from backfuture_core.sandbox.dialects.mexc_contract import MexcContract
from backfuture_core.sandbox.dialects.mexc_errors import CONTRACT_ERRORS, SPOT_ERRORS
from backfuture_core.sandbox.dialects.mexc_market import MexcMarket
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import ApiError, ErrorTable, Reply, Request, parse_int
from backfuture_core.sandbox.world import World

SPOT_RECV_WINDOW = 5_000
SPOT_RECV_WINDOW_MAX = 60_000
CONTRACT_TIME_WINDOW = 10_000
CONTRACT_PUBLIC = "/api/v1/contract/"
CONTRACT_PRIVATE = "/api/v1/private/"
SPOT, CONTRACT = "spot", "contract"  # the two signing schemes


class MexcDialect(Dialect):
    name = "mexc"

    def __init__(self, world: World, keys: KeyLookup) -> None:
        super().__init__(world, keys)
        market, account, contract = MexcMarket(world), MexcAccount(world, keys), MexcContract(world)
        read, deal, deal_write = "SPOT_ACCOUNT_READ", "SPOT_DEAL_READ", "SPOT_DEAL_WRITE"
        futures_read, futures_deal = "CONTRACT_ACCOUNT_READ", "CONTRACT_DEAL_READ"
        v3, private = "/api/v3/", CONTRACT_PRIVATE
        self.routes = {
            ("GET", v3 + "ping"): Public(market.ping),
            ("GET", v3 + "time"): Public(market.time),
            ("GET", v3 + "exchangeInfo"): Public(market.exchange_info),
            ("GET", v3 + "ticker/24hr"): Public(market.ticker_24hr),
            ("GET", v3 + "ticker/price"): Public(market.ticker_price),
            ("GET", v3 + "ticker/bookTicker"): Public(market.book_ticker),
            ("GET", v3 + "klines"): Public(market.klines),
            ("GET", v3 + "capital/config/getall"): Private(
                market.capital_config, SPOT, "SPOT_WITHDRAW_READ"
            ),
            ("GET", v3 + "apiKeyInfo"): Private(account.api_key_info, SPOT, read),
            ("GET", v3 + "uid"): Private(account.uid, SPOT, read),
            ("GET", v3 + "account"): Private(account.account, SPOT, read),
            ("GET", v3 + "openOrders"): Private(account.open_orders, SPOT, deal),
            ("GET", v3 + "allOrders"): Private(account.all_orders, SPOT, deal),
            ("GET", v3 + "myTrades"): Private(account.my_trades, SPOT, deal),
            ("GET", v3 + "order"): Private(account.query_order, SPOT, deal),
            ("POST", v3 + "order"): Private(account.new_order, SPOT, deal_write),
            ("POST", v3 + "order/test"): Private(account.test_order, SPOT, deal_write),
            ("DELETE", v3 + "order"): Private(account.cancel_order, SPOT, deal_write),
            ("GET", CONTRACT_PUBLIC + "ping"): Public(contract.ping),
            ("GET", CONTRACT_PUBLIC + "detail"): Public(contract.detail),
            ("GET", CONTRACT_PUBLIC + "ticker"): Public(contract.ticker),
            ("GET", private + "account/assets"): Private(contract.assets, CONTRACT, futures_read),
            ("GET", private + "position/open_positions"): Private(
                contract.open_positions, CONTRACT, futures_read
            ),
            # The demo world trades futures through no order: these lists are empty.
            ("GET", private + "order/list/open_orders"): Private(
                contract.no_orders, CONTRACT, futures_deal
            ),
            ("GET", private + "order/list/history_orders"): Private(
                contract.no_orders, CONTRACT, futures_deal
            ),
            ("GET", private + "order/list/order_deals"): Private(
                contract.no_orders, CONTRACT, futures_deal
            ),
        }

    @staticmethod
    def _is_contract(path: str) -> bool:
        return path.startswith((CONTRACT_PUBLIC, CONTRACT_PRIVATE))

    def errors_for(self, req: Request) -> ErrorTable:
        return CONTRACT_ERRORS if self._is_contract(req.path) else SPOT_ERRORS

    def not_found(self, req: Request) -> ApiError:
        if self._is_contract(req.path):
            return CONTRACT_ERRORS("not_found")
        known = any(path == req.path for _, path in self.routes)
        return SPOT_ERRORS("method_not_allowed" if known else "not_found")

    def maintenance(self, req: Request) -> Reply:
        return SPOT_ERRORS("maintenance").reply()

    # ------------------------------------------------------------------------ auth
    def api_key_of(self, req: Request) -> str | None:
        if req.path.startswith(CONTRACT_PRIVATE):
            return req.headers.get("ApiKey")
        return req.headers.get("X-MEXC-APIKEY")

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        if route.scheme == CONTRACT:
            return self._authenticate_contract(req, route.permission)
        return self._authenticate_spot(req, route.permission)

    def _authenticate_spot(self, req: Request, permission: str | None) -> DemoKey:
        api_key = req.headers.get("X-MEXC-APIKEY")
        key = self.signing_key(
            api_key, SPOT_ERRORS, missing="api_key_required", unknown="invalid_key"
        )
        if req.raw_query.startswith("signature="):
            payload, signature = "", req.raw_query[len("signature=") :]
        else:
            payload, _, signature = req.raw_query.rpartition("&signature=")
        if not hex_signed(key.secret, payload, signature):
            raise SPOT_ERRORS("signature")
        check_recv_window(
            req,
            SPOT_ERRORS,
            default=SPOT_RECV_WINDOW,
            maximum=SPOT_RECV_WINDOW_MAX,
            missing="timestamp",
        )
        return self.admit(key, req, permission, SPOT_ERRORS)

    def _authenticate_contract(self, req: Request, permission: str | None) -> DemoKey:
        api_key = req.headers.get("ApiKey", "")
        key = self.signing_key(
            api_key, CONTRACT_ERRORS, missing="not_logged_in", unknown="invalid_key"
        )
        request_time = req.headers.get("Request-Time", "")
        if req.method == "POST":
            params = req.body
        else:  # the server signs the parameters sorted by name, as the docs prescribe
            pairs = [p for p in req.raw_query.split("&") if p]
            params = "&".join(sorted(pairs, key=lambda p: p.split("=", 1)[0]))
        expected = hmac_hex(key.secret, api_key + request_time + params)
        if not same_signature(expected, req.headers.get("Signature", "").lower()):
            raise CONTRACT_ERRORS("signature")
        sent = parse_int(request_time)
        if sent is None or abs(req.now_ms - sent) > CONTRACT_TIME_WINDOW:
            raise CONTRACT_ERRORS("request_time")
        return self.admit(key, req, permission, CONTRACT_ERRORS)
