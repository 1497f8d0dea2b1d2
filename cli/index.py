"""`catalog index`: create, rebuild, check, repair and drain the search indices.

Commands print a one-line summary and exit non-zero on failure; long jobs show a progress bar
when run in a terminal.
"""
from __future__ import annotations

import json
import sys
import time

import click

from cli.context import settings


@click.group()
def index() -> None:
    """Search indices: init, reindex, status, verify, repair, drain, unlock, cleanup."""


def older_than_option(help_text: str):
    from indexer.operations import ORPHAN_MINUTES

    return click.option("--older-than", "older_than", type=click.FloatRange(min=0), default=ORPHAN_MINUTES,
                        show_default=True, metavar="MINUTES", help=help_text)


def unlock_hint() -> str:
    return (f"if that process is gone, `catalog index unlock` frees the lock now; otherwise it expires "
            f"{settings().rebuild_lock_seconds:g} s after its holder's last renewal")


class IndexProgress:
    """One progress bar per index, on stderr when it is a terminal; `update` fits both the
    inline rebuild's callback and a worker's PROGRESS reports."""

    def __init__(self):
        from rich.progress import Progress

        self.bar = Progress(transient=True, disable=not sys.stderr.isatty())
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "IndexProgress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def update(self, name: str, done: int, total: int | None) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(f"reindex {name}", total=total)
        self.bar.update(self.tasks[name], completed=done, total=total)


def send_task(name: str, *args):
    """Queue a worker task through a Celery app made from these settings.

    Never `task.delay()` on a shared_task here: with no app loaded, Celery falls back to its
    default AMQP broker on localhost and the command fails with "Connection refused".
    """
    from workers.app import make_celery

    app = make_celery(settings(), set_as_current=False)
    return app.send_task(name, args=list(args))


def follow(result, timeout: float) -> dict:
    """Follow a Celery task's PROGRESS updates with a progress bar until it finishes."""
    started = time.monotonic()
    warned = False
    with IndexProgress() as progress:
        while not result.ready():
            if time.monotonic() - started > timeout:
                raise click.ClickException(f"task {result.id} still running after {timeout:.0f} s")
            if result.state == "PENDING" and not warned and time.monotonic() - started > 15:
                click.echo("waiting for a worker to pick the task up (is `make dev` or a worker running?)", err=True)
                warned = True
            info = result.info if result.state == "PROGRESS" and isinstance(result.info, dict) else None
            if info:
                progress.update(info["index"], info["done"], info.get("total"))
            time.sleep(0.3)
    if result.failed():
        raise click.ClickException(f"task failed: {result.result!r}")
    return result.result


@index.command("init")
@click.option("--inline", is_flag=True, help="Run here instead of on a worker.")
def index_init(inline: bool) -> None:
    """Create missing indices and aliases."""
    from indexer import operations

    if inline:
        created = {k: v for k, v in operations.init_indices(settings()).items() if v}
    else:
        created = follow(send_task("workers.tasks.init_indices"), 120)["created"]
    click.echo("index init: " + (", ".join(f"{k} -> {v}" for k, v in created.items()) or "nothing missing"))


@index.command("reindex")
@click.argument("target", default="all")
@click.option("--wait", is_flag=True, help="Follow the worker's progress until it finishes.")
@click.option("--inline", is_flag=True, help="Run here instead of on a worker (implies --wait).")
@click.option("--timeout", default=3 * 3600, show_default=True, help="Seconds to wait with --wait.")
def index_reindex(target: str, wait: bool, inline: bool, timeout: int) -> None:
    """Rebuild TARGET with zero downtime: all, credentials, taxonomies, occupations, sectors, programs, skills."""
    from indexer import operations
    from indexer.registry import TARGETS

    if target not in TARGETS:
        raise click.BadParameter(f"choose one of {', '.join(TARGETS)}", param_hint="TARGET")
    if inline:
        from indexer.rebuild_lock import LockLost, RebuildLocked

        try:
            with IndexProgress() as progress:
                counts = operations.reindex(settings(), target, progress.update)
        except RebuildLocked as exc:
            raise click.ClickException(f"reindex refused: {exc}; {unlock_hint()}") from exc
        except LockLost as exc:
            raise click.ClickException(f"reindex stopped before swapping the alias: {exc}; the new index was "
                                       "deleted and the alias left as it was") from exc
        click.echo("reindexed " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        return
    result = send_task("workers.tasks.reindex", target)
    if not wait:
        click.echo(f"reindex {target} queued as task {result.id}; follow it with --wait or `catalog index status`")
        return
    outcome = follow(result, timeout)
    if "skipped" in outcome:
        raise click.ClickException(f"reindex skipped: {outcome['skipped']}; {unlock_hint()}")
    click.echo("reindexed " + ", ".join(f"{k}: {v}" for k, v in outcome["reindexed"].items()))


def describe_shards(health: dict) -> str:
    """One line of shard health: `green: 3 shards x 2 copies, 6/6 active`, and what is missing."""
    line = (f"{health['status']}: {health['shards']} shard(s) x {1 + health['replicas']} "
            f"cop{'y' if health['replicas'] == 0 else 'ies'}, {health['active']}/{health['copies']} active")
    busy = [f"{health[key]} {key}" for key in ("initializing", "relocating", "unassigned") if health[key]]
    if busy:
        line += " (" + ", ".join(busy) + ")"
    if health["replicas"] != health["configured_replicas"]:
        line += (f"; configured replicas {health['configured_replicas']}: `catalog index init` applies them")
    return line


@index.command("status")
@click.option("--json", "as_json", is_flag=True)
@older_than_option("List indices without an alias created more than MINUTES ago as orphans.")
def index_status(as_json: bool, older_than: float) -> None:
    """Aliases, document counts against the database, outbox backlog, dead letters, the rebuild
    lock's holder and orphaned indices."""
    from indexer import operations

    report = operations.status(settings(), older_than)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    cluster = report["cluster"]
    click.echo(f"cluster {cluster['name']}: {cluster['status']}, {cluster['nodes']} node(s), "
               f"{cluster['data_nodes']} data node(s)")
    for name, info in report["indices"].items():
        target = ", ".join(info["indices"]) or "(missing)"
        docs = "-" if info["documents"] is None else info["documents"]
        click.echo(f"{info['alias']:<32} -> {target:<44} docs {docs} / db {info['expected']}")
        if info["health"]:
            click.echo("    " + describe_shards(info["health"]))
    ob = report["outbox"]
    click.echo(f"outbox: {ob['pending']} pending (oldest {ob['oldest_pending'] or '-'}), {ob['dead']} dead")
    for dead in ob["dead_letters"]:
        click.echo(f"  dead #{dead['id']} {dead['entity']} {dead['entity_id']} after {dead['attempts']} attempts: {dead['error'][:120]}")
    click.echo(f"rebuild lock: {'held by ' + report['lock']['held_by'] if report['lock'] else 'free'}")
    if not report["orphans"]:
        click.echo(f"orphaned indices: none (no alias, older than {older_than:g} min)")
    else:
        click.echo(f"orphaned indices (no alias, older than {older_than:g} min; "
                   "`catalog index cleanup` deletes them):")
        for orphan in report["orphans"]:
            click.echo(f"  {orphan['index']}  created {orphan['created_at']} ({orphan['age_minutes']:g} min ago)")


@index.command("verify")
def index_verify() -> None:
    """Compare (id, revision) of published credentials with the index; exit 1 on drift."""
    from indexer import operations

    drift = operations.verify(settings())
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
def index_repair() -> None:
    """Queue every drifted credential for the relay."""
    from indexer import operations
    from workers.nudge import nudge_relay

    queued = operations.repair(settings())
    if queued:
        nudge_relay(settings())
    click.echo(f"repair: queued {queued} credentials")


@index.command("drain")
def index_drain() -> None:
    """Process the outbox now, here, until nothing is due."""
    from indexer import operations

    try:
        totals = operations.drain(settings())
    except ConnectionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"drain: {totals['done']} done, {totals['failed']} failed")
    if totals["failed"]:
        sys.exit(1)


@index.command("unlock")
def index_unlock() -> None:
    """Remove the rebuild lock now, e.g. after its holder died, instead of waiting for it to expire.

    A holder that is still alive notices and stops before it swaps its alias.
    """
    from indexer import operations

    removed = operations.unlock(settings())
    if removed is None:
        prefix = settings().index_prefix
        raise click.ClickException(f"no rebuild lock is held for prefix {prefix!r}; nothing to unlock")
    click.echo(f"unlock: removed the rebuild lock held by {removed.holder.describe()}")


@index.command("cleanup")
@older_than_option("Only indices without an alias created more than MINUTES ago.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def index_cleanup(older_than: float, dry_run: bool) -> None:
    """Delete orphaned indices: this prefix's indices that no alias points at, left by a rebuild
    that died before its swap. Never touches an aliased index or another prefix's index."""
    from indexer import operations
    from indexer.rebuild_lock import RebuildLocked

    try:
        found = operations.cleanup(settings(), older_than, dry_run=dry_run)
    except RebuildLocked as exc:
        raise click.ClickException(f"cleanup refused while a rebuild may be loading a new index: {exc}; "
                                   f"{unlock_hint()}") from exc
    verb = "would delete" if dry_run else "deleted"
    noun = "index" if len(found) == 1 else "indices"
    if found:
        click.echo(f"cleanup: {verb} {len(found)} orphaned {noun}: " + ", ".join(orphan.index for orphan in found))
    else:
        click.echo(f"cleanup: {verb} 0 orphaned indices (none without an alias older than {older_than:g} min)")
