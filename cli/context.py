"""The settings every command works on: `Settings.from_env()`, or what a test passes as `obj`."""
from __future__ import annotations

import click

from store.settings import Settings


def settings() -> Settings:
    found = click.get_current_context().find_object(Settings)
    if found is None:
        raise RuntimeError("catalog commands run inside the `catalog` group, which loads the settings")
    return found
