"""OpenSearch clients, with timeouts chosen for who is waiting.

A web request has a person waiting and a 2 s budget, so it gets one short attempt and no retry:
a hung node must turn into a quick 503, not a stuck worker thread. Bulk work runs in Celery,
where waiting out a garbage collection or a merge is better than failing a long reindex.

`url` may name several nodes of one cluster, separated by commas (OPENSEARCH_URL). One client
then spreads requests over all of them, and a request that meets a connection error or a
time-out on one node is sent again to another: opensearch-py marks the failed node dead (it is
tried again after a back-off) and picks the next live one. The web client retries once, and only
when it has another node to go to; a killed node then costs a search one fast retry, not an error.
The same one retry covers a node that leaves while a search is under way: the node that
coordinated it answers 500 naming the node it lost (during a rolling restart), and asked again it
routes the search to the shards' other copies.
"""
from __future__ import annotations

from functools import lru_cache

from opensearchpy import OpenSearch, Transport, TransportError

from store.settings import opensearch_hosts


# What a coordinating node says when a node holding a shard left in the middle of a search.
NODE_LEFT = ("node_not_connected_exception", "node_disconnected_exception", "node_closed_exception")


def a_node_left(error: TransportError) -> bool:
    """Whether `error` is a search that failed only because a node left the cluster meanwhile."""
    return error.status_code == 500 and any(reason in str(error.info) for reason in NODE_LEFT)


class NodeLeftRetryTransport(Transport):
    """A transport that sends a request once more when a node left the cluster while it ran."""

    def perform_request(self, method, url, *args, **kwargs):
        try:
            return super().perform_request(method, url, *args, **kwargs)
        except TransportError as error:
            if self.max_retries and a_node_left(error):
                return super().perform_request(method, url, *args, **kwargs)
            raise


@lru_cache(maxsize=16)
def web_client(url: str, timeout: float = 1.5) -> OpenSearch:
    hosts = opensearch_hosts(url)
    several = len(hosts) > 1
    return OpenSearch(
        hosts=hosts,
        timeout=timeout,
        # One connection per gunicorn thread; the default pool of 1 opens and drops connections
        # under concurrent requests ("Connection pool is full").
        pool_maxsize=16,
        max_retries=1 if several else 0,
        retry_on_timeout=several,
        http_compress=False,
        transport_class=NodeLeftRetryTransport,
    )


@lru_cache(maxsize=16)
def bulk_client(url: str, timeout: float = 120.0) -> OpenSearch:
    hosts = opensearch_hosts(url)
    return OpenSearch(
        hosts=hosts,
        timeout=timeout,
        # At least one more attempt per other node, so a request outlives a node's death.
        max_retries=max(5, len(hosts)),
        retry_on_timeout=True,
        retry_on_status=(429, 502, 503, 504),
        http_compress=True,
    )
