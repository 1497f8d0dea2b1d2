"""`catalog export ...`: the catalog's records out.

A plain click group: each format adds one command (`table` in cli/tables.py).
"""
from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Export the catalog's records."""
