"""GET /widgets/combobox: the editor's pickers on one page, wired to the real autocomplete API.

This is where the pickers are tried by hand and by the browser tests, and it shows what a form
built with them submits. The editor builds its fields from the same macros
(templates/widgets/pickers.html), so what works here works there.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request

bp = Blueprint("widgets", __name__, url_prefix="/widgets")


@bp.get("/combobox")
def combobox_demo():
    submitted = {key: request.args.getlist(key) for key in request.args}
    return render_template("widgets/combobox_demo.html", submitted=submitted)
