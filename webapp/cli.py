"""`catalog`: every operator command, as one Flask/click group.

Commands print a one-line summary and exit non-zero on failure; long jobs show a progress bar
when run in a terminal.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import create_app


def _settings():
    return current_app.config["SETTINGS"]


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """Credential Catalog operator commands."""


# --- database --------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply Alembic migrations up to head."""
    from store.migrate import upgrade

    upgrade(_settings().database_url)
    click.echo("database: migrated to head")


# --- taxonomies ------------------------------------------------------------------------------


@main.group()
def taxonomy() -> None:
    """Load and bind taxonomies (occupations, sectors, programs, skills)."""


@taxonomy.command("import")
@click.option("--scheme", help="Scheme name: a bundled one, or the name for FILE's concepts.")
@click.option("--title", default="", help="Human title for a scheme loaded from FILE.")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@with_appcontext
def taxonomy_import(scheme: str | None, title: str, file: Path | None) -> None:
    """Load the bundled schemes, one bundled scheme, or one scheme from a CSV FILE.

    FILE columns: code,label[,alt_labels,description,broader]; alt_labels are '|'-separated.
    """
    from store.db import session_scope
    from store.taxonomy import import_bundled, import_csv
    from store.taxonomy_sources import BUNDLED, TaxonomyFileError

    with session_scope(_settings().database_url) as session:
        try:
            if file is not None:
                if not scheme:
                    raise click.UsageError("--scheme NAME is required with FILE")
                results = [import_csv(session, scheme, file, title)]
            elif scheme:
                if scheme not in BUNDLED:
                    raise click.UsageError(f"unknown bundled scheme {scheme!r}; bundled: {', '.join(BUNDLED)}")
                results = import_bundled(session, [scheme])
            else:
                results = import_bundled(session)
        except (TaxonomyFileError, ValueError) as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
    for result in results:
        click.echo(result.summary())


@taxonomy.command("bind")
@click.argument("vocabulary")
@click.argument("scheme")
@with_appcontext
def taxonomy_bind(vocabulary: str, scheme: str) -> None:
    """Use SCHEME for the editor field VOCABULARY (occupations, sectors, programs, skills)."""
    from store.db import session_scope
    from store.taxonomy import bind

    with session_scope(_settings().database_url) as session:
        try:
            bind(session, vocabulary, scheme)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{vocabulary} now uses {scheme}; run `catalog index reindex {vocabulary}` to rebuild its index")


@taxonomy.command("schemes")
@with_appcontext
def taxonomy_schemes() -> None:
    """List loaded schemes, their sizes and bindings."""
    from sqlalchemy import func, select

    from store.db import session_scope
    from store.models import Concept, Scheme
    from store.taxonomy import DEFAULT_BINDINGS, bound_scheme

    with session_scope(_settings().database_url) as session:
        bindings = {v: bound_scheme(session, v) for v in DEFAULT_BINDINGS}
        rows = session.execute(
            select(Scheme.name, Scheme.title, func.count(Concept.id)).outerjoin(Concept).group_by(Scheme.id).order_by(Scheme.name)
        ).all()
    for name, title, count in rows:
        used = [v for v, s in bindings.items() if s == name]
        click.echo(f"{name:<16} {count:>6}  {title}" + (f"  [used by {', '.join(used)}]" if used else ""))


# --- indices ---------------------------------------------------------------------------------


@main.group()
def index() -> None:
    """Search indices: init, reindex, status, verify, repair, drain."""


def _follow(result, timeout: float) -> dict:
    """Follow a Celery task's PROGRESS updates with a progress bar until it finishes."""
    from rich.progress import Progress

    started = time.monotonic()
    warned = False
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        tasks: dict[str, int] = {}
        while not result.ready():
            if time.monotonic() - started > timeout:
                raise click.ClickException(f"task {result.id} still running after {timeout:.0f} s")
            if result.state == "PENDING" and not warned and time.monotonic() - started > 15:
                click.echo("waiting for a worker to pick the task up (is `make dev` or a worker running?)", err=True)
                warned = True
            info = result.info if result.state == "PROGRESS" and isinstance(result.info, dict) else None
            if info:
                name = info["index"]
                if name not in tasks:
                    tasks[name] = bar.add_task(f"reindex {name}", total=info.get("total"))
                bar.update(tasks[name], completed=info["done"], total=info.get("total"))
            time.sleep(0.3)
    if result.failed():
        raise click.ClickException(f"task failed: {result.result!r}")
    return result.result


@index.command("init")
@click.option("--inline", is_flag=True, help="Run here instead of on a worker.")
@with_appcontext
def index_init(inline: bool) -> None:
    """Create missing indices and aliases."""
    from indexer import operations

    if inline:
        created = {k: v for k, v in operations.init_indices(_settings()).items() if v}
    else:
        from workers.tasks import init_indices

        created = _follow(init_indices.delay(), 120)["created"]
    click.echo("index init: " + (", ".join(f"{k} -> {v}" for k, v in created.items()) or "nothing missing"))


@index.command("reindex")
@click.argument("target", default="all")
@click.option("--wait", is_flag=True, help="Follow the worker's progress until it finishes.")
@click.option("--inline", is_flag=True, help="Run here instead of on a worker (implies --wait).")
@click.option("--timeout", default=3 * 3600, show_default=True, help="Seconds to wait with --wait.")
@with_appcontext
def index_reindex(target: str, wait: bool, inline: bool, timeout: int) -> None:
    """Rebuild TARGET with zero downtime: all, credentials, taxonomies, occupations, sectors, programs, skills."""
    from indexer import operations
    from indexer.registry import TARGETS

    if target not in TARGETS:
        raise click.BadParameter(f"choose one of {', '.join(TARGETS)}", param_hint="TARGET")
    if inline:
        from rich.progress import Progress

        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            tasks: dict[str, int] = {}

            def progress(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"reindex {name}", total=total)
                bar.update(tasks[name], completed=done)

            counts = operations.reindex(_settings(), target, progress)
        click.echo("reindexed " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        return
    from workers.tasks import reindex

    result = reindex.delay(target)
    if not wait:
        click.echo(f"reindex {target} queued as task {result.id}; follow it with --wait or `catalog index status`")
        return
    outcome = _follow(result, timeout)
    if "skipped" in outcome:
        raise click.ClickException(f"reindex skipped: {outcome['skipped']}")
    click.echo("reindexed " + ", ".join(f"{k}: {v}" for k, v in outcome["reindexed"].items()))


@index.command("status")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def index_status(as_json: bool) -> None:
    """Aliases, document counts against the database, outbox backlog and dead letters."""
    from indexer import operations

    report = operations.status(_settings())
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for name, info in report["indices"].items():
        target = ", ".join(info["indices"]) or "(missing)"
        docs = "-" if info["documents"] is None else info["documents"]
        click.echo(f"{info['alias']:<32} -> {target:<44} docs {docs} / db {info['expected']}")
    ob = report["outbox"]
    click.echo(f"outbox: {ob['pending']} pending (oldest {ob['oldest_pending'] or '-'}), {ob['dead']} dead")
    for dead in ob["dead_letters"]:
        click.echo(f"  dead #{dead['id']} {dead['entity']} {dead['entity_id']} after {dead['attempts']} attempts: {dead['error'][:120]}")


@index.command("verify")
@with_appcontext
def index_verify() -> None:
    """Compare (id, revision) of published credentials with the index; exit 1 on drift."""
    from indexer import operations

    drift = operations.verify(_settings())
    if not drift:
        click.echo("verify: no drift")
        return
    click.echo(f"verify: drift in {len(drift.ids)} credentials: {len(drift.missing)} missing, "
               f"{len(drift.stale)} stale, {len(drift.orphans)} not published but indexed")
    for label, ids in (("missing", drift.missing), ("stale", drift.stale), ("orphans", drift.orphans)):
        if ids:
            click.echo(f"  {label}: {', '.join(map(str, ids[:50]))}{' ...' if len(ids) > 50 else ''}")
    sys.exit(1)


@index.command("repair")
@with_appcontext
def index_repair() -> None:
    """Queue every drifted credential for the relay."""
    from indexer import operations
    from webapp.database import nudge_relay

    queued = operations.repair(_settings())
    if queued:
        nudge_relay()
    click.echo(f"repair: queued {queued} credentials")


@index.command("drain")
@with_appcontext
def index_drain() -> None:
    """Process the outbox now, here, until nothing is due."""
    from indexer import operations

    try:
        totals = operations.drain(_settings())
    except ConnectionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"drain: {totals['done']} done, {totals['failed']} failed")
    if totals["failed"]:
        sys.exit(1)


# --- organizations, users, API tokens --------------------------------------------------------

from webapp import accounts_cli  # noqa: E402 - commands live beside the accounts code

accounts_cli.register(main)

from webapp.demo import demo  # noqa: E402 - demo data lives beside the authoring code it uses

main.add_command(demo)
