"""Rows in, OpenSearch out: documents, mappings, index lifecycle, queries and the outbox relay.

Nothing here imports Flask; the web app and the Celery workers both call into this package.
"""
