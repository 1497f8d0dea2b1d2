"""Thin Celery wiring around `indexer/`: the app, its settings, the tasks and the beat schedule."""
