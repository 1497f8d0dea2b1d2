"""The editor's pages: My Credentials, Create Credential, one page per tab, and the history.

Every save goes through catalog.authoring.service; a view only turns the form into the service's
payload (webapp/editor/forms.py), commits, and shows the outcome: a redirect after success
(so a reload never re-submits), or the same tab again with the person's input kept and the
problem beside the field (422) or, when someone else saved first, what they changed (409), or,
for an archived credential, that it must be unarchived first (409).
"""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from opensearchpy.exceptions import TransportError
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from indexer.autocomplete import MAX_EXCLUDE, suggest
from indexer.client import web_client
from store.facts import CREDENTIAL_TYPES
from store.ids import MAX_ID_DIGITS, parse_id
from store.models import MAX_ID, Credential, Status
from catalog.authoring import service
from catalog.authoring.validation import ValidationError
from webapp.database import db
from webapp.editor import access, forms, lookups
from webapp.editor.imports import importable_orgs
from webapp.editor.tabs import BY_SLUG, TABS, next_tab

STATUS_LABELS = {s.value: s.value.capitalize() for s in Status}
PAGE_SIZE = 50
MAX_PAGE = 100_000  # as the authoring API's list: far past any organization's drafts, small enough to offset
MAX_QUERY = 200
KEYWORD_PAGE = 50   # matches per page in a picker's keyword list, as the scripts ask for them
NEW_DEFAULTS = MultiDict({"language": "en", "cost.currency": "USD", "lifecycle": "active"})


# --- My Credentials ------------------------------------------------------------------------------


def my_credentials():
    user = access.author()
    status = request.args.get("status", "")
    if status and status not in STATUS_LABELS:
        abort(400, description=f"There is no status {status[:30]!r}; choose draft, published or archived.")
    text = request.args.get("q", "").strip()[:MAX_QUERY]
    page = page_number()
    scope = [] if user.is_platform_admin else [Credential.org_id.in_(access.editable_org_ids(user))]
    counts = dict(db().execute(
        select(Credential.status, func.count()).where(*scope).group_by(Credential.status)).all())
    where = list(scope)
    if status:
        where.append(Credential.status == status)
    if text:
        where.append(func.lower(Credential.name).like(lookups._like_pattern(text), escape="\\"))
    total = db().scalar(select(func.count()).select_from(Credential).where(*where))
    rows = db().scalars(
        select(Credential).where(*where).order_by(Credential.updated_at.desc(), Credential.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template("editor/list.html", credentials=rows, status=status, text=text, page=page,
                           total=total, pages=max(1, -(-total // PAGE_SIZE)), counts=counts,
                           status_labels=STATUS_LABELS, can_create=bool(access.issuing_orgs(user)),
                           can_import=bool(importable_orgs(user)),
                           credential_types=CREDENTIAL_TYPES)


def export_csv():
    """My Credentials as CSV: every credential the person can edit, drafts and archived ones with
    their status, never contributor notes; streamed, with formula cells neutralised."""
    from flask import Response, stream_with_context

    from catalog.imports.export import COLUMNS, credential_rows, csv_lines

    user = access.author()
    scope = None if user.is_platform_admin else access.editable_org_ids(user)
    rows = credential_rows(db(), scope, audience="organization")
    return Response(stream_with_context(csv_lines(rows, COLUMNS)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="my-credentials.csv"'})


def page_number() -> int:
    """?page=, 1 when absent; anything but a whole number from 1 to MAX_PAGE is a 400 that says so.

    The length check comes first: int() of thousands of digits is refused, and an offset past 64
    bits cannot be bound.
    """
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE)) and 1 <= int(raw) <= MAX_PAGE):
        abort(400, description=f"The page must be a whole number from 1 to {MAX_PAGE:,}; "
                               f"{raw[:20]!r} is not one. Go back to the first page.")
    return int(raw)


# --- Create Credential ---------------------------------------------------------------------------


def new_credential():
    user = access.author()
    orgs = access.issuing_orgs(user)
    if not orgs:
        abort(403, description="No organization can issue credentials yet, so none can be created.")
    posted = request.method == "POST"
    values = {"details": forms.details_payload(request.form if posted else NEW_DEFAULTS)}
    chosen = request.form.get("org_id", type=int) if posted else None
    errors: dict[str, str] = {}
    extra = {}
    action = forms.picker_action("new", request.form) if posted else None
    if action is not None and action.remove_field:
        # A chip's × without JavaScript: the form again without that CIP code, nothing created.
        values, removed = forms.without(values, action.remove_field, action.remove_value)
        extra["picker_note"] = "Removed." if removed else "That item was not in the list."
        posted = False
    if posted and chosen not in {o.id for o in orgs}:
        errors["org_id"] = "choose which of your organizations issues this credential"
    elif posted:
        try:
            credential = service.create_credential(db(), user, chosen, values["details"])
            db().commit()
        except ValidationError as exc:
            db().rollback()
            errors.update(exc.errors)
        else:
            flash(f"“{credential.name}” is created as a draft. Continue with the next tabs, then publish it.",
                  "success")
            return redirect(url_for(".tab", credential_id=credential.id, slug="details"), 303)
    page = render_template("editor/new.html", orgs=orgs, org_choices={str(o.id): o.name for o in orgs},
                           chosen=chosen, values=values, errors=errors, summary=forms.error_summary(errors),
                           **lookups.tab_context(db(), None, "details", values), **extra)
    return page, 422 if errors else 200


# --- the tabs ----------------------------------------------------------------------------------


def show_credential(credential_id: int):
    access.editable_credential(credential_id)
    return redirect(url_for(".tab", credential_id=credential_id, slug="details"))


def tab_page(credential_id: int, slug: str):
    credential = access.editable_credential(credential_id)
    if request.method == "GET":
        return render_tab(credential, slug)
    if slug == "notes":
        return add_note(credential)
    if slug == "status":
        return change_status(credential)
    return save_tab(credential, slug)


def render_tab(credential: Credential, slug: str, *, values: dict | None = None, errors: dict | None = None,
               conflict: service.ConflictError | None = None, revision: int | None = None, status: int = 200,
               **extra):
    values = values if values is not None else lookups.values_of(credential, slug)
    errors = errors or {}
    context = lookups.tab_context(db(), credential, slug, values)
    return render_template(
        f"editor/tab_{slug}.html", credential=credential, tab=BY_SLUG[slug], tabs=TABS, next_tab=next_tab(slug),
        values=values, errors=errors, summary=forms.error_summary(errors), conflict=conflict,
        revision=credential.revision if revision is None else revision, status_labels=STATUS_LABELS,
        **context, **extra,
    ), status


def base_revision() -> int:
    """The revision the form was opened at. Revisions are stored as 32-bit integers like ids, so
    anything else (missing, 1.5, a superscript two, five thousand digits) is a 400, never a 500."""
    raw = request.form.get("revision", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS and int(raw) <= MAX_ID):
        abort(400, description="The form was sent without the revision it was opened at, or with one that "
                               "is not a revision number. Reload the page and make your changes again.")
    return int(raw)


def save_tab(credential: Credential, slug: str):
    tab = BY_SLUG[slug]
    payloads = forms.tab_payloads(slug, request.form)
    base = base_revision()
    if slug == "programs" and request.form.get("add_program"):
        # "+ Add education program" without JavaScript: the same form with the programme just
        # filled in listed, and a new blank one below it. Nothing is saved until "Save changes".
        return render_tab(credential, slug, values=payloads, revision=base,
                          unsaved="a blank program is added below.")
    action = forms.picker_action(slug, request.form)
    if action is not None:
        return picker_page(credential, slug, payloads, base, action)
    before = credential.revision
    try:
        # One save, one revision, however many service sections the tab covers.
        service.save_sections(db(), access.author(), credential,
                              {section: payloads[section] for section in tab.sections}, base)
        saved = credential.revision != before
        db().commit()
    except service.ConflictError as exc:
        db().rollback()
        return render_tab(credential, slug, values=payloads, conflict=exc, revision=exc.current_revision, status=409)
    except ValidationError as exc:
        db().rollback()
        return render_tab(credential, slug, values=payloads, errors=exc.errors, revision=base, status=422)
    except service.ArchivedError:
        db().rollback()
        return render_tab(credential, slug, values=payloads, revision=base, status=409, archived_refusal=True)
    if saved:
        flash(f"Your changes to {tab.title} are saved.", "success")
    else:
        flash(f"{tab.title}: nothing had changed, so nothing was saved.", "info")
    return redirect(url_for(".tab", credential_id=credential.id, slug=slug), 303)


def picker_page(credential: Credential, slug: str, payloads: dict, base: int, action: forms.PickerAction):
    """The tab again, nothing saved, after a picker's submit in a browser without JavaScript: with a
    keyword's matches to tick, or with one chosen item taken out. What the form held comes back."""
    if action.remove_field:
        payloads, removed = forms.without(payloads, action.remove_field, action.remove_value)
        note = ("Removed. Choose Save changes to keep this change." if removed else
                "That item was not in the list.")
        return render_tab(credential, slug, values=payloads, revision=base, picker_note=note)
    picker = action.picker
    chosen = forms.chosen_codes(payloads, picker)
    if picker.vocabulary == "credentials":
        results = link_matches(credential, picker, action.text, chosen)
    else:
        results = keyword_matches(picker, action.text, chosen, action.offset)
    return render_tab(credential, slug, values=payloads, revision=base, picker=results,
                      picker_note=results["note"])


def keyword_matches(picker: forms.Picker, text: str, chosen: list[str], offset: int) -> dict:
    """A page of the picker's matches for the form without JavaScript (the same search the
    scripts ask the autocomplete API for), what is chosen already left out."""
    out = {"name": picker.name, "field": picker.field, "query": text, "items": [], "total": 0,
           "offset": offset, "next": None, "note": ""}
    if len(text) < 2:
        out["note"] = "Type at least two letters to search."
        return out
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        found = suggest(client, settings.index_prefix, picker.vocabulary, text[:MAX_QUERY], KEYWORD_PAGE,
                        chosen, timeout=settings.web_timeout, offset=offset)
    except TransportError as exc:
        current_app.logger.warning("no-JS picker %s %r: search unavailable: %s", picker.name, text[:40], exc)
        out["note"] = "Search is unavailable right now; nothing you chose is lost. Try again in a moment."
        return out
    shown = offset + len(found.items)
    out.update(items=found.items, total=found.total, next=shown if shown < found.total else None,
               note=(f"{offset + 1}–{shown} of {found.total} matches for “{text}”. Tick the ones that fit, then "
                     f"add them." if found.items else f"No matches for “{text}”."))
    return out


def link_matches(credential: Credential, picker: forms.Picker, text: str, chosen: list[str]) -> dict:
    """The related-credential picker's options (as credential_options answers them) for the form
    without JavaScript: names first, then what they are about."""
    out = {"name": picker.name, "field": picker.field, "query": text, "items": [], "total": 0,
           "offset": 0, "next": None, "note": ""}
    if len(text) < 2:
        out["note"] = "Type at least two letters to search."
        return out
    exclude = {parse_id(c) for c in chosen[:MAX_EXCLUDE]} - {None} | {credential.id}
    found = lookups.credential_options(db(), text[:MAX_QUERY], {credential.org_id}, exclude, about=topic_matches)
    out.update(items=found["items"], total=found["total"],
               note=(f"{len(found['items'])} credentials for “{text}”. Tick the ones that fit, then add them."
                     if found["items"] else f"No credentials found for “{text}”."))
    return out


def change_status(credential: Credential):
    status = request.form.get("status", "")
    base = base_revision()
    try:
        service.set_status(db(), access.author(), credential, status, base)
        db().commit()
    except service.ConflictError as exc:
        db().rollback()
        return render_tab(credential, "status", values={"status": status}, conflict=exc,
                          revision=exc.current_revision, status=409)
    except service.PublishError:
        db().rollback()
        # The checklist above the form names each missing field and links to it; no summary needed.
        return render_tab(credential, "status", values={"status": status}, revision=base, status=422,
                          publish_blocked=True)
    except ValidationError as exc:
        db().rollback()
        return render_tab(credential, "status", values={"status": status}, errors=exc.errors, revision=base,
                          status=422)
    flash(f"The status is now {STATUS_LABELS[credential.status]}." +
          (" It will appear in public search within a few seconds." if credential.status == "published" else ""),
          "success")
    return redirect(url_for(".tab", credential_id=credential.id, slug="status"), 303)


def add_note(credential: Credential):
    body = request.form.get("body", "")
    try:
        service.add_note(db(), access.author(), credential, body)
        db().commit()
    except ValidationError as exc:
        db().rollback()
        return render_tab(credential, "notes", values={"body": body}, errors=exc.errors, status=422)
    flash("Your note is added.", "success")
    return redirect(url_for(".tab", credential_id=credential.id, slug="notes"), 303)


def history_page(credential_id: int):
    credential = access.editable_credential(credential_id)
    section_titles = {section: tab.title for tab in TABS for section in tab.sections}
    entries = service.history(db(), credential)
    names = lookups.history_names(db(), entries)
    for entry in entries:
        entry["rows"] = lookups.change_rows(entry["changes"], names)
    return render_template("editor/history.html", credential=credential, tabs=TABS, tab=None,
                           entries=entries, section_titles=section_titles, field_label=forms.field_label,
                           show_value=lambda value, field=None: lookups.show_value(value, field, names),
                           status_labels=STATUS_LABELS)


# --- the pickers' sources -----------------------------------------------------------------------


def provider_options(credential_id: int):
    """Organizations that may provide this credential's programmes, by name (the provider picker)."""
    credential = access.editable_credential(credential_id)
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        return jsonify(error="bad_request", message=f"q is {len(text)} characters long; type at most {MAX_QUERY}"), 400
    response = jsonify(lookups.provider_options(db(), text, credential.org_id))
    response.headers["Cache-Control"] = "no-store"
    return response


def credential_options(credential_id: int):
    """Published credentials, plus its organization's drafts, that this credential may link to.

    The service's rule (Known.relation_targets), so every option offered can be saved. `exclude`
    (comma-separated ids, as the combobox sends them) leaves out what is already chosen.
    """
    credential = access.editable_credential(credential_id)
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        return jsonify(error="bad_request", message=f"q is {len(text)} characters long; type at most {MAX_QUERY}"), 400
    # Ids that cannot exist are left out rather than refused: the combobox sends what it holds.
    # Capped as autocomplete caps them, so the query's NOT IN stays a few hundred parameters.
    parts = [part.strip() for value in request.args.getlist("exclude") for part in value.split(",")]
    exclude = {parse_id(part) for part in parts[:MAX_EXCLUDE]} - {None}
    exclude.add(credential.id)
    response = jsonify(lookups.credential_options(db(), text, {credential.org_id}, exclude, about=topic_matches))
    response.headers["Cache-Control"] = "no-store"
    return response


def topic_matches(text: str, exclude: set[int], size: int) -> list[tuple[int, str | None]]:
    """Published credentials found in the search index by what they are about ("hazmat", "truck"):
    (id, how it matched), best first. With the search service down, the picker still offers the
    name matches the database found, so this answers nothing rather than failing the request."""
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        found = suggest(client, settings.index_prefix, "credentials", text, size, [str(i) for i in exclude],
                        timeout=settings.web_timeout)
    except TransportError as exc:
        current_app.logger.warning("related-credential topics for %r: search unavailable: %s", text[:40], exc)
        return []
    return [(int(item["id"]), item.get("about")) for item in found.items if str(item["id"]).isdigit()]
