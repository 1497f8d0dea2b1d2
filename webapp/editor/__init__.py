"""The credential editor at /editor/: server-rendered pages, one per tab, for organization editors.

  /editor/                                  My Credentials (filter by status, Create Credential)
  /editor/export.csv                        My Credentials as CSV ("Download CSV")
  /editor/imports[/<id>]                    Import (organization admins): upload, mapping, dry run, confirm
  /editor/new                               Create Credential: the issuer and the details
  /editor/credentials/<id>/<tab>            a tab (GET), and its "Save changes" (POST); tabs in tabs.py
  /editor/credentials/<id>/history          who changed what, and when
  /editor/api/credentials/<id>/link-options?q=   what the related-credential picker offers (JSON)

Access rules live in access.py and run before every route; form translation in forms.py;
labels for codes in lookups.py; the routes in views.py. Pickers are the shared combobox
(static/combobox.js) over /api/v1/autocomplete; static/editor.js adds chips, rows and levels.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.editor import access, forms, imports, lookups, views
from webapp.editor.tabs import TABS
from webapp.errors import http_error_json

bp = Blueprint("editor", __name__, url_prefix="/editor")
bp.before_request(access.require_author)

bp.add_url_rule("/", "my_credentials", views.my_credentials)
bp.add_url_rule("/export.csv", "export_csv", views.export_csv)
bp.add_url_rule("/imports", "imports", imports.imports_page, methods=["GET", "POST"])
bp.add_url_rule("/imports/<id:job_id>", "import_job", imports.job_page)
bp.add_url_rule("/imports/<id:job_id>/mapping", "import_mapping", imports.set_mapping, methods=["POST"])
bp.add_url_rule("/imports/<id:job_id>/run", "import_run", imports.run, methods=["POST"])
bp.add_url_rule("/imports/<id:job_id>/status.json", "import_status", imports.status_json)
bp.add_url_rule("/imports/<id:job_id>/report.json", "import_report_json", imports.report_download,
                defaults={"fmt": "json"})
bp.add_url_rule("/imports/<id:job_id>/report.csv", "import_report_csv", imports.report_download,
                defaults={"fmt": "csv"})
bp.url_value_preprocessor(imports.raise_upload_limit)
bp.register_error_handler(413, imports.too_large)
bp.add_url_rule("/new", "new_credential", views.new_credential, methods=["GET", "POST"])
bp.add_url_rule("/credentials/<id:credential_id>", "credential", views.show_credential)
# One rule per tab, all to the endpoint "tab": url_for("editor.tab", credential_id=1, slug="skills")
# picks the rule whose default matches, and unknown tab names are a plain 404.
for _tab in TABS:
    bp.add_url_rule(f"/credentials/<id:credential_id>/{_tab.slug}", "tab", views.tab_page,
                    methods=["GET", "POST"], defaults={"slug": _tab.slug})
bp.add_url_rule("/credentials/<id:credential_id>/history", "history", views.history_page)
bp.add_url_rule("/api/credentials/<id:credential_id>/link-options", "credential_options", views.credential_options)



@bp.context_processor
def _template_helpers():
    return {"fid": forms.field_id, "field_label": forms.field_label, "error_message": forms.error_message,
            "show_value": lookups.show_value, "when": lookups.when, "section_title": lookups.section_title,
            "has_errors": forms.has_errors}


ERROR_TITLES = {400: "That request could not be understood", 403: "You cannot use the editor yet",
                404: "Credential not found"}


def _error_page(exc):
    if request.path.startswith("/editor/api/"):
        return http_error_json(exc)
    return render_template("editor/error.html", code=exc.code, title=ERROR_TITLES.get(exc.code, exc.name),
                           message=exc.description, not_an_author=exc.description == access.NOT_AN_AUTHOR), exc.code


for _code in ERROR_TITLES:
    bp.register_error_handler(_code, _error_page)
