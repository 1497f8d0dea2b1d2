"""Which OpenSearch errors the web client sends again (indexer.client): pure checks of the error
shapes; the rolling restart in tests/test_cluster_faults.py exercises it against a real cluster."""
from __future__ import annotations

from opensearchpy import TransportError

from indexer.client import a_node_left, web_client

# What a coordinating node answered in a rolling restart (tests/test_cluster_faults.py, one run).
NODE_LEFT_MID_SEARCH = {"error": {"root_cause": [], "type": "search_phase_execution_exception", "reason": "",
                                  "phase": "fetch", "grouped": True, "failed_shards": [],
                                  "caused_by": {"type": "node_not_connected_exception",
                                                "reason": "[test-cluster-24947-47344-node][127.0.0.1:47344] Node not connected"}},
                        "status": 500}


def test_a_search_that_lost_a_node_is_sent_again_and_nothing_else_is():
    assert a_node_left(TransportError(500, "search_phase_execution_exception", NODE_LEFT_MID_SEARCH))
    parse_error = {"error": {"type": "search_phase_execution_exception",
                             "caused_by": {"type": "query_shard_exception", "reason": "failed to create query"}}}
    assert not a_node_left(TransportError(500, "search_phase_execution_exception", parse_error))
    assert not a_node_left(TransportError(400, "parsing_exception", {"error": {"type": "node_not_connected_exception"}}))


def test_the_web_client_retries_only_when_it_has_another_node():
    one = web_client.__wrapped__("http://127.0.0.1:9", 1.0)
    several = web_client.__wrapped__("http://127.0.0.1:9,http://127.0.0.1:10", 1.0)
    assert one.transport.max_retries == 0 and several.transport.max_retries == 1
    assert type(several.transport).__name__ == "NodeLeftRetryTransport"
