"""Import jobs: an upload kept in the database, its mapping, dry run, confirmed run and report.

The editor's Import page creates a job from an upload, lets the organization admin adjust the
mapping, then asks a Celery worker to `run_job` it, first as a dry run and then for real. Any
importer can use the same jobs: `kind` picks the reader (`READERS`), so the CTDL importer adds
its own entry and shares the page, the task and the report.

Progress goes to Redis, not to the job row: on SQLite the import's own transaction holds the
write lock between commits, so a second connection updating the row would wait on it.

The report is stored in two parts (`store_report`): `job.report` holds its header, summary and
first `STORED_ROWS` rows, which the page and the status read often; `job.report_rows` holds
every row, gzip-compressed JSON lines, which the downloads stream (`report_rows`) and the page
reads only as far as it shows. Neither the worker nor the web process holds every row at once.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.imports import mapping as columns
from catalog.imports.pipeline import ImportOptions, run_import
from catalog.imports.report import Report
from catalog.imports.tables import CLI_LIMITS, Table, TableLimits, open_table, table_records
from store.db import get_sessionmaker, session_scope
from store.models import ImportJob, User, utcnow
from store.settings import Settings

log = logging.getLogger(__name__)

# What the web page accepts; the CLI reads larger files (catalog.imports.tables.CLI_LIMITS).
WEB_LIMITS = TableLimits(max_bytes=20 * 1024 * 1024, max_rows=10_000)
OPTION_NAMES = ("publish", "create_providers", "with_suggested_occupations")
PROGRESS_EVERY = 25
# Rows `job.report` keeps itself (the rest of the report's rows are only in `job.report_rows`).
STORED_ROWS = 100


class JobError(ValueError):
    """The job cannot do that now (e.g. confirm before a dry run); the message says why."""


def open_upload(job: ImportJob, directory: str, limits: TableLimits = WEB_LIMITS) -> Table:
    """The job's upload as a checked Table, written to `directory` for the readers."""
    path = Path(directory) / f"upload-{job.id}{Path(job.filename).suffix.lower()[:8]}"
    path.write_bytes(job.upload or b"")
    return open_table(path, limits, job.filename)


def create_table_job(session: Session, org_id: int, user: User | None, filename: str, content: bytes,
                     limits: TableLimits = WEB_LIMITS) -> ImportJob:
    """A job for an uploaded spreadsheet, with the detected mapping; TableError/MappingError if
    the file cannot be imported at all (then no job is kept)."""
    job = ImportJob(kind="table", org_id=org_id, user_id=user.id if user else None, filename=filename[:300],
                    upload=content, options={}, state="uploaded", dry_run=True, done_rows=0, total_rows=0)
    session.add(job)
    session.flush()
    with tempfile.TemporaryDirectory() as directory:
        table = open_upload(job, directory, limits)
        detected = columns.detect_mapping(table.headers)
        job.options = {"mapping": detected, "headers": table.headers}
        job.total_rows = table.row_count
    return job


# A CTDL upload (catalog.ctdl): JSON, JSON-LD or JSON lines; no mapping to choose.
CTDL_SUFFIXES = (".json", ".jsonld", ".jsonl", ".ndjson")


def is_ctdl_upload(filename: str) -> bool:
    return Path(filename or "").suffix.lower() in CTDL_SUFFIXES


def create_ctdl_job(session: Session, org_id: int, user: User | None, filename: str, content: bytes) -> ImportJob:
    """A job for an uploaded CTDL file; JobError if it is too large or holds nothing to read."""
    from catalog.ctdl.sources import MAX_FILE_BYTES, read_text

    if len(content) > MAX_FILE_BYTES:
        raise JobError(f"the file is larger than {MAX_FILE_BYTES // 1048576} MB; split it into smaller files")
    if not content.strip():
        raise JobError("the file is empty")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JobError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    found = list(read_text(text, filename, lines=filename.lower().endswith((".jsonl", ".ndjson"))))
    if len(found) == 1 and found[0].error and found[0].path in ("", "$"):
        raise JobError(found[0].error)
    job = ImportJob(kind="ctdl", org_id=org_id, user_id=user.id if user else None, filename=filename[:300],
                    upload=content, options={"mapping": {}, "headers": []}, state="uploaded", dry_run=True,
                    done_rows=0, total_rows=len(found))
    session.add(job)
    session.flush()
    return job


def _run_ctdl(session: Session, org_id: int, filename: str, upload: bytes, options: ImportOptions, tick) -> Report:
    """A CTDL job: catalog.ctdl's importer (its report's rows are "records"; store_report gives
    the job the table report's rows too, so the page and the downloads read it as a spreadsheet's)."""
    from catalog.ctdl.imports import import_upload
    from store.models import Organization

    report = import_upload(session, session.get(Organization, org_id), filename, upload or b"",
                           dry_run=options.dry_run, publish=options.publish, progress=tick)
    if not options.dry_run:
        session.commit()
    report["kind"], report["source"] = "ctdl", filename
    return report


def _table_rows_of_ctdl(records) -> Iterator[dict]:
    for i, r in enumerate(records, 1):
        yield {"row": i, "id": r["id"], "status": r["status"], "name": r["ctid"] or r["source"],
               "problems": [{"column": p["path"], "value": "", "reason": f"{p['level']}: {p['reason']}"}
                            for p in r["problems"]]}


# --- the stored report ----------------------------------------------------------------------------


def store_report(job: ImportJob, report: Report) -> None:
    """`job.report`: the header, summary and first rows; `job.report_rows`: every row, compressed."""
    def rows() -> Iterator[dict]:
        return _table_rows_of_ctdl(report.rows()) if report.rows_key == "records" else report.rows()

    stored = {**report.header, "summary": report.summary}
    if report.rows_key != "rows":
        stored[report.rows_key] = report.kept[:STORED_ROWS]
    job.report = {**stored, "rows": list(itertools.islice(rows(), STORED_ROWS)), "rows_total": report.count}
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        for row in rows():
            out.write((json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    job.report_rows = buffer.getvalue()


def report_head(report: dict) -> dict:
    """A stored report without its rows: what the JSON download writes before them."""
    return {k: v for k, v in report.items() if k not in ("rows", "records", "rows_total")}


def report_rows(report: dict | None, compressed: bytes | None) -> Iterator[dict]:
    """Every row of a stored report, one at a time: from `job.report_rows` (pass the bytes, so a
    streamed response needs no database session), or for a job stored before that column
    existed, from the report itself."""
    if compressed is None:
        yield from (report or {}).get("rows", [])
        return
    with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as lines:
        for line in lines:
            yield json.loads(line)


def set_mapping(job: ImportJob, chosen: dict[str, str]) -> None:
    """Replace the job's mapping with `chosen` ({column: field or "ignore"}); MappingError if unusable."""
    headers = job.options.get("headers", [])
    mapping = {h: f for h, f in chosen.items() if h in headers and f and f != columns.IGNORE}
    unknown = [f for f in mapping.values() if f not in columns.FIELD_NAMES]
    if unknown:
        raise columns.MappingError(f"{unknown[0]!r} is not an import field")
    singles = [f for f in mapping.values() if not columns.FIELD_NAMES[f].many]
    twice = {f for f in singles if singles.count(f) > 1}
    if twice:
        raise columns.MappingError(f"{', '.join(sorted(twice))}: choose one column for each of these")
    columns.check_mapping(mapping)
    job.options = {**job.options, "mapping": {h: mapping[h] for h in headers if h in mapping}}
    job.report = job.report_rows = None  # a new mapping needs a new dry run before it can be confirmed
    job.state = "uploaded"


def start(job: ImportJob, dry_run: bool, flags: dict[str, bool]) -> None:
    """Queue a run. A real run needs a finished dry run with the same mapping and options."""
    if job.state in ("queued", "running"):
        raise JobError("this import is already running")
    options = {name: bool(flags.get(name)) for name in OPTION_NAMES}
    if not dry_run:
        if not (job.dry_run and job.state == "done" and job.report):
            raise JobError("run a dry run first, read its report, then confirm")
        if job.options.get("run_options") != options:
            raise JobError("the options changed since the dry run; run a dry run with these options first")
        if job.report.get("summary", {}).get("created", 0) + job.report.get("summary", {}).get("updated", 0) == 0:
            raise JobError("the dry run found nothing to create or update")
    job.options = {**job.options, "run_options": options}
    job.dry_run, job.state, job.done_rows, job.error = dry_run, "queued", 0, ""


# --- progress, kept in Redis -------------------------------------------------------------------


@dataclass
class Progress:
    settings: Settings
    job_id: int

    @property
    def key(self) -> str:
        return f"{self.settings.index_prefix}import-job:{self.job_id}"

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2)

    def write(self, done: int, total: int) -> None:
        try:
            self._client().set(self.key, f"{done}/{total}", ex=86400)
        except redis.RedisError as exc:  # progress is a courtesy; the import goes on without it
            log.warning("import job %s: could not write progress: %s", self.job_id, exc)

    def read(self) -> tuple[int, int] | None:
        try:
            raw = self._client().get(self.key)
        except redis.RedisError:
            return None
        if not raw:
            return None
        done, _, total = raw.decode().partition("/")
        return int(done), int(total)


def status(settings: Settings, job: ImportJob) -> dict:
    done, total = job.done_rows, job.total_rows
    if job.state in ("queued", "running"):
        done, total = Progress(settings, job.id).read() or (0, job.total_rows)
    return {"id": job.id, "state": job.state, "dry_run": job.dry_run, "done": done, "total": total,
            "summary": (job.report or {}).get("summary"), "error": job.error}


# --- running --------------------------------------------------------------------------------------

# kind -> function(job, directory) returning (records, mapping shown in the report)
READERS: dict[str, Callable] = {}


def _table_records(job: ImportJob, directory: str):
    table = open_upload(job, directory, CLI_LIMITS)  # checked against the page's limits at upload
    mapping = job.options.get("mapping") or {}
    missing = [h for h in mapping if h not in table.headers]
    if missing:
        raise columns.MappingError(f"the file has no column {missing[0]!r}")
    columns.check_mapping(mapping)
    return table_records(table, mapping), mapping


READERS["table"] = _table_records


def run_job(settings: Settings, job_id: int) -> dict | None:
    """Run a queued job (the Celery task calls this). Idempotent: a job that is not queued is
    left alone, so a redelivered task does nothing."""
    with session_scope(settings.database_url) as session:
        # One atomic claim: on PostgreSQL two workers (or a redelivered message) that both read
        # "queued" would otherwise both run the job.
        claimed = session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == "queued")
                                  .values(state="running")).rowcount
    if not claimed:
        return None
    progress = Progress(settings, job_id)
    session = get_sessionmaker(settings.database_url)()
    try:
        job = session.get(ImportJob, job_id)
        user = session.get(User, job.user_id) if job.user_id else None
        run_options = job.options.get("run_options") or {}
        options = ImportOptions(dry_run=job.dry_run, **{k: bool(run_options.get(k)) for k in OPTION_NAMES})
        org_id, kind, filename, total, upload = job.org_id, job.kind, job.filename, job.total_rows, job.upload
        session.commit()  # end the read; the import commits in batches of its own

        def tick(done: int) -> None:
            if done % PROGRESS_EVERY == 0:
                progress.write(done, total)

        if kind == "ctdl":
            progress.write(0, total)
            report = _run_ctdl(session, org_id, filename, upload, options, tick)
        else:
            with tempfile.TemporaryDirectory() as directory:
                records, mapping = READERS[kind](job, directory)
                progress.write(0, total)
                report = run_import(session, org_id, records, options, user, kind=kind, source=filename,
                                    mapping=mapping, progress=tick)
        error = ""
    except (ValueError, KeyError) as exc:  # TableError, MappingError: the file changed meaning
        session.rollback()
        report, error = None, str(exc)
    except Exception as exc:
        session.rollback()
        log.exception("import job %s failed", job_id)
        report, error = None, f"the import stopped: {type(exc).__name__}; nothing after the last saved batch changed"
    finally:
        session.close()
    try:
        with session_scope(settings.database_url) as session:
            job = session.get(ImportJob, job_id)
            if report is None:
                job.report = job.report_rows = None
            else:
                store_report(job, report)
            job.state = "failed" if report is None else "done"
            job.error = error
            job.done_rows = report.count if report is not None else 0
            job.updated_at = utcnow()
    finally:
        if report is not None:
            report.close()
    progress.write(job.done_rows, job.total_rows)
    return report.summary if report is not None else None


def jobs_for(session: Session, org_ids, limit: int = 20) -> list[ImportJob]:
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if org_ids is not None:
        query = query.where(ImportJob.org_id.in_(sorted(org_ids)))
    return list(session.scalars(query))
