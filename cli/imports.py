"""`catalog import ...`: records from other systems, through the authoring service.

A plain click group: each source format adds one command (`table` in cli/tables.py).
"""
from __future__ import annotations

import click


@click.group("import")
def import_() -> None:
    """Import records from other systems (as drafts unless told to publish)."""
