"""A throwaway catalog for benchmarks: a temporary SQLite database and indices under their own prefix.

Benchmarks share the OpenSearch node with developers and test runs, so everything they create is
named `bench-<random>-...` and dropped afterwards, and they never touch another prefix.
"""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store.settings import Settings  # noqa: E402
from store.taxonomy_sources import CREDENTIAL_NAMES, DATA_DIR  # noqa: E402


@contextmanager
def sandbox_catalog(prefix: str | None = None, database_url: str | None = None, credentials: int = 0,
                    seed: int = 7, log=print, credential_names: bool = True) -> Iterator[Settings]:
    """Yield settings for a catalog with the bundled taxonomies indexed, and `credentials`
    generated credentials (bench/generate.py, from `seed`) when that is more than 0.

    `credential_names=False` leaves out the credential names derived from the Texas ETPL
    (data/taxonomy/credential_names/): the bench's real-name sets come from the same list, so
    their figures are also measured without them.

    With `prefix` (and `database_url`, else DATABASE_URL), use the catalog that already exists
    there, build nothing and leave it alone; otherwise build a fresh catalog under `bench-<random>-`
    in a temporary SQLite database and delete it (database and indices) on the way out.
    """
    if prefix:
        yield Settings.from_env(index_prefix=prefix, **({"database_url": database_url} if database_url else {}))
        return

    from bench.generate import generate_credentials
    from indexer import operations
    from indexer.client import bulk_client
    from indexer.lifecycle import drop_all
    from store.db import session_scope
    from store.migrate import upgrade
    from catalog.taxonomy import import_bundled

    prefix = f"bench-{secrets.token_hex(3)}-"
    contents = f"taxonomies and {credentials:,} generated credentials" if credentials else "taxonomies"
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as tmp:
        settings = Settings.from_env(database_url=f"sqlite:///{tmp}/catalog.db", index_prefix=prefix)
        try:
            started = time.monotonic()
            log(f"building a sandbox catalog under {prefix} ({contents} into a temporary SQLite database)")
            upgrade(settings.database_url)
            with session_scope(settings.database_url) as session:
                import_bundled(session, data_dir=DATA_DIR if credential_names else _without_credential_names(tmp))
            if credentials:
                generate_credentials(settings.database_url, credentials, seed)
                log(f"  generated in {time.monotonic() - started:.0f} s; indexing")
            operations.init_indices(settings)
            counts = operations.reindex(settings, "taxonomies")
            if credentials:
                counts.update(operations.reindex(settings, "credentials"))
                # So that a count or a search straight after sees every document.
                bulk_client(settings.opensearch_url).indices.refresh(index=f"{prefix}*")
            log(f"sandbox ready in {time.monotonic() - started:.1f} s: "
                + ", ".join(f"{name} {n}" for name, n in counts.items()))
            yield settings
        finally:
            drop_all(bulk_client(settings.opensearch_url), prefix)
            log(f"dropped the indices under {prefix}")


def _without_credential_names(tmp: str) -> Path:
    """A view of data/taxonomy/ (symbolic links) without its credential_names/ folder."""
    view = Path(tmp) / "taxonomy"
    view.mkdir()
    for entry in DATA_DIR.iterdir():
        if entry.name != CREDENTIAL_NAMES.parts[0]:
            (view / entry.name).symlink_to(entry)
    return view


def export_environment(settings: Settings) -> dict[str, str]:
    """The environment a subprocess (a web server) needs to see the same catalog."""
    # A web server started here runs as production does, so it needs a real key.
    return {**os.environ, "DATABASE_URL": settings.database_url, "INDEX_PREFIX": settings.index_prefix,
            "OPENSEARCH_URL": settings.opensearch_url, "REDIS_URL": settings.redis_url,
            "SECRET_KEY": settings.secret_key or secrets.token_hex(32)}
