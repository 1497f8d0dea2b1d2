"""`catalog demo load`: the demo organizations, users and credentials `make dev` starts with."""
from __future__ import annotations

import click

from catalog.demo import DEMO_PASSWORD, load_demo
from cli.context import settings


@click.group()
def demo() -> None:
    """Demo data for `make dev`."""


@demo.command("load")
def demo_load() -> None:
    """Create demo organizations, users and about fifty credentials (idempotent)."""
    created = load_demo(settings().database_url)
    if created["organizations"]:
        click.echo(f"demo: {created['organizations']} organizations, {created['credentials']} credentials")
    else:
        click.echo("demo: already loaded")
    click.echo(f"demo: log in as admin@demo.example (platform admin) or editor@riverbend.demo.example "
               f"(an issuing organization's editor), password {DEMO_PASSWORD!r}")
