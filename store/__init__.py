"""The relational store: configuration, SQLAlchemy models, sessions, the outbox and migrations.

Web requests, Celery workers and operator commands all share this package, so it never imports
Flask or OpenSearch.
"""
