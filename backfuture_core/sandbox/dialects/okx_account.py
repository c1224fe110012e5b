"""OKX v5 account and trade endpoints (signed): the key's account config, the one trading
account's balance and positions, open orders, order history and fills.

Written from OKX's API documentation (reference/exchanges.md section 3.2), independently of
backfuture_core.exchanges. Lists come newest first, at most 100 rows a call, and page
backwards with ``after`` (an id: rows older than it); ``begin``/``end`` bound the time. Order
history covers 7 days (the archive 3 months), fills 3 days (fills-history 3 months).
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import time_window
from backfuture_core.sandbox.dialects.okx_market import PAIRS, SWAPS
from backfuture_core.sandbox.dialects.okx_replies import ERRORS, PAGE_LIMIT, ok
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import ASSETS, find_perpetual, num
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.sandbox.world import World
from backfuture_core.values import DAY_MS

SPOT_MODE, FUTURES_MODE = "1", "2"  # acctLv: spot; spot and futures
STATES = {"open": "live", "filled": "filled", "canceled": "canceled"}


def _page(rows: list[dict[str, object]], req: Request, id_field: str) -> Reply:
    """Newest first; `after` keeps the rows older than that id, `before` the newer ones."""
    after, before = req.query.get("after"), req.query.get("before")
    ids = [str(r[id_field]) for r in rows]
    if after in ids:
        rows = rows[ids.index(after) + 1 :]
    elif before in ids:
        rows = rows[: ids.index(before)]
    return ok(list(rows[: req.limit("limit", PAGE_LIMIT, 1, PAGE_LIMIT)]))


class OkxAccount:
    def __init__(self, world: World) -> None:
        self.world = world

    def config(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        return ok(
            [
                {
                    "uid": account.uid, "mainUid": account.uid,
                    "acctLv": FUTURES_MODE if key.account == "futures" else SPOT_MODE,
                    "posMode": "net_mode", "autoLoan": False, "greeksType": "PA",
                    "level": "Lv1", "levelTmp": "", "ctIsoMode": "automatic",
                    "mgnIsoMode": "automatic", "roleType": "0", "traderInsts": [],
                    "spotRoleType": "0", "spotTraderInsts": [], "opAuth": "0", "kycLv": "2",
                    "label": key.label, "ip": ",".join(key.ip_whitelist),
                    "perm": ",".join(key.permissions), "liquidationGear": "-1",
                    "enableSpotBorrow": False, "spotBorrowAutoRepay": False, "type": "0",
                    "settleCcy": "USDT", "settleCcyList": ["USD", "USDC", "USDT"],
                }
            ]
        )  # fmt: skip

    def balance(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        prices = self.world.prices
        states = account.position_states(req.now_ms)
        upl = sum(s.unrealised for s in states)
        margin = sum(s.margin for s in states)
        wanted = set(filter(None, req.query.get("ccy", "").split(",")))
        details, total = [], 0.0
        for code, amount in account.balances.items():
            if wanted and code not in wanted:
                continue
            frozen = account.locked(code)
            cash = amount + (account.futures_cash if code == "USDT" else 0.0)
            pos = (upl, margin) if code == "USDT" else (0.0, 0.0)
            eq = cash + pos[0]
            usd = eq * (prices.usd(code, req.now_ms) if ASSETS[code].usd else 0.0)
            total += usd
            dec = ASSETS[code].decimals
            details.append(
                {
                    "ccy": code, "eq": num(eq, dec), "cashBal": num(cash, dec),
                    "availBal": num(cash - frozen - pos[1], dec), "availEq": num(eq - pos[1], dec),
                    "frozenBal": num(frozen + pos[1], dec), "ordFrozen": num(frozen, dec),
                    "upl": num(pos[0], 8), "imr": num(pos[1], 8), "eqUsd": num(usd, 2),
                    "disEq": num(usd, 2), "uTime": str(req.now_ms),
                }
            )  # fmt: skip
        return ok(
            [{"totalEq": num(total, 2), "adjEq": "", "details": details, "uTime": str(req.now_ms)}]
        )

    def positions(self, req: Request, key: DemoKey) -> Reply:
        data = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            perp = find_perpetual(p.base)
            contracts = p.qty / {"BTC": 0.01, "ETH": 0.1, "SOL": 1.0}[p.base]
            sign = 1 if p.side == "long" else -1
            data.append(
                {
                    "instType": "SWAP", "instId": f"{p.base}-USDT-SWAP", "posId": p.id,
                    "mgnMode": p.margin_mode, "posSide": "net", "pos": num(contracts * sign, 2),
                    "posCcy": "", "availPos": num(contracts, 2), "avgPx": num(p.entry, 8),
                    "markPx": num(s.mark, perp.price_decimals), "upl": num(s.unrealised, 8),
                    "uplRatio": num(s.unrealised / s.margin, 6), "lever": str(p.leverage),
                    "liqPx": num(s.liquidation, perp.price_decimals), "imr": num(s.margin, 8),
                    "margin": num(s.margin, 8), "mmr": num(s.maintenance, 8),
                    "notionalUsd": num(s.notional, 2), "ccy": "USDT", "realizedPnl": num(
                        p.realised, 8), "cTime": str(p.opened_ms), "uTime": str(req.now_ms),
                }
            )  # fmt: skip
        return ok(data)

    # ------------------------------------------------------------------ orders
    def _order_body(self, o: Order) -> dict[str, object]:
        pair = PAIRS[f"{o.base}-{o.quote}"]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "instType": "SPOT", "instId": f"{o.base}-{o.quote}", "ordId": o.id,
            "clOrdId": o.client_id.replace("-", ""), "tag": "", "px": num(o.price, d),
            "sz": num(o.amount, a), "ordType": o.type, "side": o.side, "posSide": "net",
            "tdMode": "cash", "accFillSz": num(o.filled, a), "fillPx": num(o.avg_price, d),
            "avgPx": num(o.avg_price, d) if o.filled else "", "state": STATES[o.status]
            if o.status != "open" or not o.filled else "partially_filled", "lever": "",
            "fee": num(-o.filled * o.avg_price * 0.001, 8), "feeCcy": o.quote,
            "category": "normal", "cTime": str(o.created_ms), "uTime": str(o.updated_ms),
        }  # fmt: skip

    def _trade_body(self, t: Trade) -> dict[str, object]:
        pair = PAIRS[f"{t.base}-{t.quote}"]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "instType": "SPOT", "instId": f"{t.base}-{t.quote}", "tradeId": t.id,
            "ordId": t.order_id, "clOrdId": t.client_id.replace("-", ""), "billId": t.id,
            "tag": "", "fillPx": num(t.price, d), "fillSz": num(t.amount, a), "side": t.side,
            "posSide": "net", "execType": "M" if t.maker else "T", "feeCcy": t.quote,
            "fee": num(-t.fee, 10), "ts": str(t.time_ms), "fillTime": str(t.time_ms),
        }  # fmt: skip

    def _spot_only(self, req: Request) -> str | None:
        """The instId filter; derivatives lists are empty (the world trades spot only)."""
        kind = req.query.get("instType", "SPOT")
        inst_id = req.query.get("instId")
        if kind != "SPOT" or (inst_id and inst_id in SWAPS):
            return "none"
        if inst_id and inst_id not in PAIRS:
            raise ERRORS("bad_instrument")
        return inst_id

    def _window(self, req: Request, days: int) -> tuple[int, int]:
        start, end = req.int_param("begin"), req.int_param("end")
        start, end = time_window(start, end, req.now_ms, days * DAY_MS, None)
        return max(start, req.now_ms - days * DAY_MS), end

    def orders_pending(self, req: Request, key: DemoKey) -> Reply:
        inst_id = self._spot_only(req)
        rows = [
            o
            for o in self.world.account_of(key).open_orders
            if inst_id is None or f"{o.base}-{o.quote}" == inst_id
        ]
        rows.sort(key=lambda o: o.created_ms, reverse=True)
        return _page([self._order_body(o) for o in rows], req, "ordId")

    def orders_history(self, req: Request, key: DemoKey, days: int = 7) -> Reply:
        inst_id = self._spot_only(req)
        if inst_id == "none":
            return ok([])
        start, end = self._window(req, days)
        account = self.world.account_of(key)
        rows = [o for o in account.all_orders(start, end) if not o.is_open]
        rows = [o for o in rows if inst_id is None or f"{o.base}-{o.quote}" == inst_id]
        rows.sort(key=lambda o: o.created_ms, reverse=True)
        return _page([self._order_body(o) for o in rows], req, "ordId")

    def orders_history_archive(self, req: Request, key: DemoKey) -> Reply:
        return self.orders_history(req, key, days=90)

    def fills(self, req: Request, key: DemoKey, days: int = 3) -> Reply:
        inst_id = self._spot_only(req)
        if inst_id == "none":
            return ok([])
        start, end = self._window(req, days)
        base, quote = inst_id.split("-") if inst_id else (None, None)
        rows = self.world.account_of(key).trades(base, quote, start, end)
        rows.sort(key=lambda t: t.time_ms, reverse=True)
        return _page([self._trade_body(t) for t in rows], req, "billId")

    def fills_history(self, req: Request, key: DemoKey) -> Reply:
        return self.fills(req, key, days=90)
