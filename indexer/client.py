"""OpenSearch clients, with timeouts chosen for who is waiting.

A web request has a person waiting and a 2 s budget, so it gets one short attempt and no retry:
a hung node must turn into a quick 503, not a stuck worker thread. Bulk work runs in Celery,
where waiting out a garbage collection or a merge is better than failing a long reindex.
"""
from __future__ import annotations

from functools import lru_cache

from opensearchpy import OpenSearch


@lru_cache(maxsize=16)
def web_client(url: str, timeout: float = 1.5) -> OpenSearch:
    return OpenSearch(
        hosts=[url],
        timeout=timeout,
        # One connection per gunicorn thread; the default pool of 1 opens and drops connections
        # under concurrent requests ("Connection pool is full").
        pool_maxsize=16,
        max_retries=0,
        retry_on_timeout=False,
        http_compress=False,
    )


@lru_cache(maxsize=16)
def bulk_client(url: str, timeout: float = 120.0) -> OpenSearch:
    return OpenSearch(
        hosts=[url],
        timeout=timeout,
        max_retries=5,
        retry_on_timeout=True,
        retry_on_status=(429, 502, 503, 504),
        http_compress=True,
    )
