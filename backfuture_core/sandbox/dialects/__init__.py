"""The sandbox's exchange dialects: one per exchange, each over the one shared world.

A dialect maps only what differs between exchanges: routes, signing, response shapes, paging
limits and error bodies (``base.py`` holds what they share). ``mexc*.py`` speak MEXC spot v3
and contract v1, ``kucoin*.py`` KuCoin spot and futures.
"""
