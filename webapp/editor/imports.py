"""The editor's Import page, for organization admins: upload, check the mapping, dry run, confirm.

  /editor/imports                        upload a CSV/XLSX file (or CTDL JSON: no mapping step); recent imports
  /editor/imports/<id>                   detected mapping, first 20 mapped rows, run buttons, report
  /editor/imports/<id>/mapping   POST    change the mapping (a new dry run is then needed)
  /editor/imports/<id>/run       POST    dry run, or confirm after a dry run (a Celery task)
  /editor/imports/<id>/status.json       progress for the page's script (static/imports.js)
  /editor/imports/<id>/report.json|csv   the report, downloadable afterwards

Jobs live in catalog.imports.jobs; this module only turns requests into calls and pages.
"""
from __future__ import annotations

import itertools
import tempfile

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from catalog.imports import jobs
from catalog.imports.export import report_lines
from catalog.imports.report import json_chunks
from catalog.imports.mapping import FIELDS, IGNORE, MappingError
from catalog.imports.spreadsheet import preview
from catalog.imports.tables import TableError, TableLimits, human_size
from store.models import ImportJob, Organization, Role
from webapp.auth import authoring_memberships
from webapp.database import db
from webapp.editor import access

ADMINS_ONLY = "Only an organization's admins can import credentials for it."


def upload_limits() -> TableLimits:
    """The page's limits: 20 MB and 10,000 rows unless CATALOG_IMPORT_MAX_BYTES / _MAX_ROWS say otherwise."""
    config = current_app.config
    return TableLimits(max_bytes=int(config.get("IMPORT_MAX_BYTES", jobs.WEB_LIMITS.max_bytes)),
                       max_rows=int(config.get("IMPORT_MAX_ROWS", jobs.WEB_LIMITS.max_rows)))


def too_large_message() -> str:
    return f"The file is larger than {human_size(upload_limits().max_bytes)}; split it into smaller files."


def raise_upload_limit(endpoint, values) -> None:
    """The app accepts 2 MB request bodies; an import upload may be as large as the import limit.
    A url_value_preprocessor, because those run before any before_request hook, and the CSRF check
    (one of those) reads the body: a larger body is refused by its Content-Length, unread."""
    if endpoint == "editor.imports" and request.method == "POST":
        request.max_content_length = upload_limits().max_bytes + 65536


def too_large(exc):
    orgs = importable_orgs(access.author()) if access.author() else []
    return render_template("editor/imports.html", orgs=orgs, recent=[], problem=too_large_message(),
                           limit=human_size(upload_limits().max_bytes), max_rows=upload_limits().max_rows), 413


def importable_orgs(user) -> list[Organization]:
    """Organizations the person may import for: those they administer (all, for platform admins)."""
    if user.is_platform_admin:
        return [o for o in db().scalars(select(Organization).order_by(Organization.name)) if o.can_author]
    return sorted((m.organization for m in authoring_memberships(user) if m.role == Role.admin.value),
                  key=lambda o: o.name.lower())


def _job(job_id: int) -> ImportJob:
    job = db().get(ImportJob, job_id)
    if job is None or job.org_id not in {o.id for o in importable_orgs(access.author())}:
        abort(404, description="There is no import with that number that you can see.")
    return job


def imports_page():
    orgs = importable_orgs(access.author())
    if not orgs:
        abort(403, description=ADMINS_ONLY)
    problem, status = None, 200
    if request.method == "POST":
        problem = _upload(orgs)
        if isinstance(problem, Response):
            return problem
        status = 422
    recent = jobs.jobs_for(db(), {o.id for o in orgs})
    return render_template("editor/imports.html", orgs=orgs, recent=recent, problem=problem,
                           limit=human_size(upload_limits().max_bytes), max_rows=upload_limits().max_rows), status


def _upload(orgs):
    """A redirect to the new job, or the message to show."""
    limits = upload_limits()
    try:
        upload = request.files.get("file")
        org_id = request.form.get("org_id", "")
    except RequestEntityTooLarge:
        return too_large_message()
    org = next((o for o in orgs if str(o.id) == org_id), orgs[0] if len(orgs) == 1 else None)
    if org is None:
        return "Choose the organization the credentials belong to."
    if upload is None or not upload.filename:
        return "Choose a CSV or XLSX file (or CTDL JSON) to upload."
    content = upload.read(limits.max_bytes + 1)
    if len(content) > limits.max_bytes:
        return too_large_message()
    if jobs.is_ctdl_upload(upload.filename):  # Credential Registry records: no columns to map
        try:
            job = jobs.create_ctdl_job(db(), org.id, access.author(), upload.filename, content)
        except jobs.JobError as exc:
            db().rollback()
            return str(exc)[:1].upper() + str(exc)[1:] + "."
        db().commit()
        return redirect(url_for("editor.import_job", job_id=job.id))
    try:
        job = jobs.create_table_job(db(), org.id, access.author(), upload.filename, content, limits)
    except (TableError, MappingError) as exc:
        db().rollback()
        return str(exc)
    db().commit()
    return redirect(url_for("editor.import_job", job_id=job.id))


def job_page(job_id: int):
    job = _job(job_id)
    rows, problem = [], None
    with tempfile.TemporaryDirectory() as directory:
        try:
            if job.kind == "table":
                table = jobs.open_upload(job, directory)
                rows = preview(db(), table, job.options.get("mapping") or {}, rows=20)
        except (TableError, MappingError) as exc:
            problem = str(exc)
    return render_template("editor/import_job.html", job=job, rows=rows, problem=problem, fields=FIELDS,
                           ignore=IGNORE, status=jobs.status(current_app.config["SETTINGS"], job),
                           report_rows=_report_rows(job), option_names=jobs.OPTION_NAMES)


def _report_rows(job: ImportJob, limit: int = 200) -> list[dict]:
    """The report's rows with problems (the page shows these; the downloads have every row),
    read from the stored rows only as far as the page shows."""
    if not job.report:
        return []
    items = jobs.report_rows(job.report, job.report_rows)
    return list(itertools.islice((r for r in items if r["problems"] or r["status"] == "failed"), limit))


def set_mapping(job_id: int):
    job = _job(job_id)
    headers = job.options.get("headers", [])
    chosen = {h: request.form.get(f"map-{i}", IGNORE) for i, h in enumerate(headers)}
    try:
        jobs.set_mapping(job, chosen)
    except MappingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("editor.import_job", job_id=job.id))
    db().commit()
    flash("The mapping is saved. Run a dry run to see what it would do.", "success")
    return redirect(url_for("editor.import_job", job_id=job.id))


def run(job_id: int):
    from workers.imports import queue_import_job

    job = _job(job_id)
    dry_run = request.form.get("mode") != "confirm"
    before = {"state": job.state, "dry_run": job.dry_run, "options": dict(job.options), "done_rows": job.done_rows}
    try:
        jobs.start(job, dry_run, {name: request.form.get(name) == "on" for name in jobs.OPTION_NAMES})
    except jobs.JobError as exc:
        flash(str(exc)[:1].upper() + str(exc)[1:] + ".", "error")
        return redirect(url_for("editor.import_job", job_id=job.id))
    db().commit()  # before queueing: the worker only runs a job it finds queued
    if not queue_import_job(current_app.config["SETTINGS"], job.id):
        for name, value in before.items():
            setattr(job, name, value)
        db().commit()
        flash("The job queue could not be reached, so nothing was started; try again in a moment.", "error")
    return redirect(url_for("editor.import_job", job_id=job.id))


def status_json(job_id: int):
    return jsonify(jobs.status(current_app.config["SETTINGS"], _job(job_id)))


def report_download(job_id: int, fmt: str):
    job = _job(job_id)
    if not job.report:
        abort(404, description="This import has no report yet.")
    name = f"import-{job.id}-{'dry-run' if job.dry_run else 'report'}"
    # Streamed from the stored rows; the generators hold plain values, not the job.
    rows = jobs.report_rows(job.report, job.report_rows)
    if fmt == "csv":
        return Response(report_lines(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(json_chunks(jobs.report_head(job.report), "rows", rows), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
