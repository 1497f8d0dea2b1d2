"""The landing page: a search box and the ways into browsing. Search and credential pages live in
search.py beside it, the public JSON API in webapp/api/public.py."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("index.html")
