"""Public pages: the landing page for now; search and credential pages join it later."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("index.html")
