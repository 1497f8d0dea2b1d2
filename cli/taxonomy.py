"""`catalog taxonomy`: load schemes, bind them to editor vocabularies, list them."""
from __future__ import annotations

from pathlib import Path

import click

from cli.context import settings


@click.group()
def taxonomy() -> None:
    """Load and bind taxonomies (occupations, sectors, programs, skills)."""


@taxonomy.command("import")
@click.option("--scheme", help="Scheme name: a bundled one, or the name for FILE's concepts.")
@click.option("--title", default="", help="Human title for a scheme loaded from FILE.")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def taxonomy_import(scheme: str | None, title: str, file: Path | None) -> None:
    """Load the bundled schemes, one bundled scheme, or one scheme from a CSV FILE.

    FILE columns: code,label[,alt_labels,description,broader]; alt_labels are '|'-separated.
    """
    from store.db import session_scope
    from catalog.taxonomy import import_bundled, import_csv
    from store.taxonomy_sources import BUNDLED, TaxonomyFileError

    with session_scope(settings().database_url) as session:
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
def taxonomy_bind(vocabulary: str, scheme: str) -> None:
    """Use SCHEME for the editor field VOCABULARY (occupations, sectors, programs, skills)."""
    from store.db import session_scope
    from store.vocabulary import bind

    with session_scope(settings().database_url) as session:
        try:
            bind(session, vocabulary, scheme)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{vocabulary} now uses {scheme}; run `catalog index reindex {vocabulary}` to rebuild its index")


@taxonomy.command("schemes")
def taxonomy_schemes() -> None:
    """List loaded schemes, their sizes and bindings."""
    from sqlalchemy import func, select

    from store.db import session_scope
    from store.models import Concept, Scheme
    from store.vocabulary import DEFAULT_BINDINGS, bound_scheme

    with session_scope(settings().database_url) as session:
        bindings = {v: bound_scheme(session, v) for v in DEFAULT_BINDINGS}
        rows = session.execute(
            select(Scheme.name, Scheme.title, func.count(Concept.id)).outerjoin(Concept).group_by(Scheme.id).order_by(Scheme.name)
        ).all()
    for name, title, count in rows:
        used = [v for v, s in bindings.items() if s == name]
        click.echo(f"{name:<16} {count:>6}  {title}" + (f"  [used by {', '.join(used)}]" if used else ""))

