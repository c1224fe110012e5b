"""The keys the sandbox accepts: :class:`DemoKey` and the demo world's keys.

A key belongs to one account of the world (its ``account`` names it); every key of an account
sees the same holdings and reports the same account id. The demo keys show every outcome of a
connection test: online, warning (no IP list), unsafe (withdrawal), IP refused, no trading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXCHANGES = ("mexc", "kucoin", "binance", "bybit", "okx", "bitget")
MARKETS = ("spot", "futures", "both")
ACCOUNTS = ("main", "futures", "empty", "zero", "restricted")
LOOPBACK = "127.0.0.1"
DOCUMENTATION_IP = "203.0.113.7"  # TEST-NET-3: never a real client address

MEXC_SPOT_TRADE = ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ", "SPOT_DEAL_WRITE")
PASSPHRASE_EXCHANGES = ("kucoin", "okx", "bitget")
OKX_TRADE = ("read_only", "trade")
BITGET_SPOT = ("stor", "stow")
BITGET_FUTURES = ("coor", "coow", "cpor", "cpow")
MEXC_CONTRACT = ("CONTRACT_ACCOUNT_READ", "CONTRACT_DEAL_READ", "CONTRACT_DEAL_WRITE")
# Binance apiRestrictions flags the key has (every other flag is false).
BINANCE_TRADE = ("enableReading", "enableSpotAndMarginTrading")
# Bybit query-api permissions as "Group:Token" ("ReadOnly": readOnly = 1).
BYBIT_TRADE = ("Spot:SpotTrade", "ContractTrade:Order", "ContractTrade:Position",
               "Derivatives:DerivativesTrade", "Wallet:AccountTransfer")  # fmt: skip


@dataclass(frozen=True)
class DemoKey:
    """An API key the sandbox accepts. The repr never shows the secret or the passphrase."""

    label: str
    exchange: str
    api_key: str
    secret: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    permissions: tuple[str, ...] = ()
    ip_whitelist: tuple[str, ...] = ()
    market: str = "spot"
    account: str = "main"
    note: str = ""

    def __post_init__(self) -> None:
        if self.exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {EXCHANGES}, not {self.exchange!r}")
        if self.market not in MARKETS:
            raise ValueError(f"market must be one of {MARKETS}, not {self.market!r}")
        if self.account not in ACCOUNTS:
            raise ValueError(f"account must be one of {ACCOUNTS}, not {self.account!r}")
        if self.exchange in PASSPHRASE_EXCHANGES and not self.passphrase:
            raise ValueError(f"a {self.exchange} key needs a passphrase")

    def allows_ip(self, ip: str) -> bool:
        return not self.ip_whitelist or ip in self.ip_whitelist


def demo_keys() -> list[DemoKey]:
    """The demo world's keys; the secrets are fixed, obviously fake strings."""
    kucoin_perms = ("General", "Spot")
    return [
        DemoKey(
            "MEXC Spot Main (demo)", "mexc", "mx0vglDEMO0SPOTMAIN000001",
            "demo-mexc-spot-main-secret-not-real", None, MEXC_SPOT_TRADE, (LOOPBACK,),
            "spot", "main", "Healthy spot key restricted to this machine: online.",
        ),
        DemoKey(
            "MEXC No IP Restriction (demo)", "mexc", "mx0vglDEMO0NOIPLIST000002",
            "demo-mexc-no-ip-secret-not-real", None, MEXC_SPOT_TRADE, (),
            "spot", "main", "Works, but any IP may use it: warning.",
        ),
        DemoKey(
            "MEXC Withdrawal Enabled (demo)", "mexc", "mx0vglDEMO0WITHDRAW000003",
            "demo-mexc-withdraw-secret-not-real", None,
            (*MEXC_SPOT_TRADE, "SPOT_WITHDRAW_READ", "SPOT_WITHDRAW_WRITE"), (LOOPBACK,),
            "spot", "main", "Can withdraw funds: unsafe, no strategy may run on it.",
        ),
        DemoKey(
            "MEXC Wrong IP (demo)", "mexc", "mx0vglDEMO0WRONGIP0000004",
            "demo-mexc-wrong-ip-secret-not-real", None, MEXC_SPOT_TRADE, (DOCUMENTATION_IP,),
            "spot", "main", "Bound to another IP: refused with 700006 (IP not allowed).",
        ),
        DemoKey(
            "MEXC Read Only (demo)", "mexc", "mx0vglDEMO0READONLY000005",
            "demo-mexc-read-only-secret-not-real", None,
            ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ"), (LOOPBACK,),
            "spot", "main", "Reads balances and orders but cannot trade: no trading permission.",
        ),
        DemoKey(
            "MEXC Futures (demo)", "mexc", "mx0vglDEMO0FUTURES0000006",
            "demo-mexc-futures-secret-not-real", None, (*MEXC_SPOT_TRADE, *MEXC_CONTRACT),
            (LOOPBACK,), "both", "futures", "Spot and futures with open positions: online.",
        ),
        DemoKey(
            "KuCoin Futures Conservative (demo)", "kucoin", "64d3e00000000000000d0001",
            "demo-kucoin-futures-secret-not-real", "demo-passphrase-1",
            (*kucoin_perms, "Futures"), (LOOPBACK,), "both", "futures",
            "Spot and futures with open positions, restricted to this machine: online.",
        ),
        DemoKey(
            "KuCoin Spot Read Only (demo)", "kucoin", "64d3e00000000000000d0002",
            "demo-kucoin-read-only-secret-not-real", "demo-passphrase-2", ("General",),
            (LOOPBACK,), "spot", "main", "General permission only: no trading permission.",
        ),
        DemoKey(
            "KuCoin Withdrawal Enabled (demo)", "kucoin", "64d3e00000000000000d0003",
            "demo-kucoin-withdraw-secret-not-real", "demo-passphrase-3",
            (*kucoin_perms, "Withdrawal"), (LOOPBACK,), "spot", "main",
            "Can withdraw funds: unsafe, no strategy may run on it.",
        ),
        DemoKey(
            "KuCoin Wrong IP (demo)", "kucoin", "64d3e00000000000000d0004",
            "demo-kucoin-wrong-ip-secret-not-real", "demo-passphrase-4", kucoin_perms,
            (DOCUMENTATION_IP,), "spot", "main",
            "Bound to another IP: refused with 400006 (IP not allowed).",
        ),
        DemoKey(
            "Binance Spot Main (demo)", "binance", "bnDEMO0SPOTMAIN0000000000000000000000001",
            "demo-binance-spot-main-secret-not-real", None, BINANCE_TRADE, (LOOPBACK,),
            "spot", "main", "Healthy spot key restricted to this machine: online.",
        ),
        DemoKey(
            "Bybit Unified Futures (demo)", "bybit", "bybitDEMO0UTA00001",
            "demo-bybit-unified-secret-not-real", None, BYBIT_TRADE, (LOOPBACK,),
            "both", "futures", "Unified account, spot and futures with positions: online.",
        ),
        DemoKey(
            "OKX Spot Main (demo)", "okx", "0d6e1f2a-0000-4000-8000-00000000c001",
            "DEMOOKXSPOTMAINSECRETNOTREAL0001", "Demo-Okx-Pass-1", OKX_TRADE, (LOOPBACK,),
            "spot", "main", "Healthy spot key restricted to this machine: online.",
        ),
        DemoKey(
            "OKX Futures (demo)", "okx", "0d6e1f2a-0000-4000-8000-00000000c002",
            "DEMOOKXFUTURESSECRETNOTREAL00002", "Demo-Okx-Pass-2", OKX_TRADE, (LOOPBACK,),
            "both", "futures", "Spot and swaps in a futures-mode account: online.",
        ),
        DemoKey(
            "Bitget Spot Main (demo)", "bitget", "bg_demo0000000000000000000000b001",
            "demo-bitget-spot-main-secret-not-real", "DemoBitgetPass1", BITGET_SPOT,
            (LOOPBACK,), "spot", "main", "Healthy spot key restricted to this machine: online.",
        ),
        DemoKey(
            "Bitget Futures (demo)", "bitget", "bg_demo0000000000000000000000b002",
            "demo-bitget-futures-secret-not-real", "DemoBitgetPass2",
            (*BITGET_SPOT, *BITGET_FUTURES), (LOOPBACK,), "both", "futures",
            "Spot and USDT-M futures with open positions: online.",
        ),
    ]  # fmt: skip
