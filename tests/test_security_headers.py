"""The security headers every response carries (webapp/security.py), and templates that keep the
Content-Security-Policy possible: no inline script, style or event handler anywhere.

The browser tests (test_editor_browser, test_search_browser, test_combobox_browser) run the
pages under this policy in Chromium; the `page` fixture fails a test on any CSP violation.
"""
from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from catalog.accounts import service as accounts
from store.db import session_scope
from tests.support.factories import make_credential

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "webapp" / "templates"
PASSWORD = "correct horse battery"


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def assert_security_headers(response) -> None:
    csp = policy(response)
    assert csp.get("default-src") == "'self'", response.headers
    assert csp.get("script-src") == "'self'" or csp["script-src"].startswith("'self' 'nonce-")
    assert csp.get("style-src") == "'self'"
    assert csp.get("object-src") == "'none'" and csp.get("base-uri") == "'none'"
    assert csp.get("frame-ancestors") == "'none'"
    assert "unsafe-inline" not in str(csp) and "unsafe-eval" not in str(csp) and "*" not in str(csp)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.fixture(scope="module")
def world(database):
    """A platform admin who also administers an issuing organization with one published credential."""
    address = f"headers-{uuid.uuid4().hex[:8]}@example.org"
    with session_scope(database) as s:
        user = accounts.create_user(s, address, PASSWORD, name="Header Admin", platform_admin=True)
        org = accounts.create_org(s, f"Headers Org {uuid.uuid4().hex[:8]}", ["issuer"])
        accounts.grant(s, user, org, "admin")
        org_id = org.id
        _, token = accounts.create_token(s, user, "headers")
    credential_id = make_credential(database, org_id, publish=True, name=f"Header Test License {uuid.uuid4().hex[:6]}")
    return {"email": address, "org_id": org_id, "credential_id": credential_id, "token": token}


@pytest.fixture()
def member(app, world):
    """A test client logged in as the world's admin, through the real login form (CSRF on)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": world["email"], "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


# --- headers ----------------------------------------------------------------------------------


def test_a_public_page_carries_the_headers_and_may_be_cached(client, indices):
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_an_editor_page_carries_the_headers_and_is_never_stored(member, world):
    for path in ("/editor/", f"/editor/credentials/{world['credential_id']}/details", "/account",
                 "/admin/access-requests", f"/orgs/{world['org_id']}"):
        response = member.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_a_public_page_seen_by_a_logged_in_user_is_never_stored(member, indices):
    response = member.get("/")
    assert response.status_code == 200 and "Log out" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_that_ask_for_a_login_are_never_stored(client):
    for path in ("/login", "/register", "/editor/", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_api_responses_carry_the_headers(client, world, indices):
    public = client.get("/api/v1/search?q=nurse")
    assert public.status_code == 200
    assert_security_headers(public)
    assert "no-store" not in public.headers.get("Cache-Control", "")

    autocomplete = client.get("/api/v1/autocomplete/occupations?q=nurse")
    assert autocomplete.headers["Cache-Control"].startswith("public")  # still shareable
    assert_security_headers(autocomplete)

    authoring = client.get("/api/v1/editor/credentials", headers={"Authorization": f"Bearer {world['token']}"})
    assert authoring.status_code == 200
    assert_security_headers(authoring)
    assert authoring.headers["Cache-Control"] == "no-store"
    assert_security_headers(client.get("/api/v1/nothing-here"))


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://localhost").headers
    spoofed = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # no ProxyFix, so not trusted
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_login_works_over_http_and_the_cookie_is_secure_over_https(app, world):
    for base_url, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        page = client.get("/login", base_url=base_url)
        assert page.status_code == 200  # no redirect to https
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
        # Over https Flask-WTF also wants a same-origin Referer, as a browser sends it.
        response = client.post("/login", base_url=base_url, headers={"Referer": f"{base_url}/login"},
                               data={"email": world["email"], "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert ("; Secure" in response.headers["Set-Cookie"]) is secure
        assert client.get("/editor/", base_url=base_url).status_code == 200


# --- no inline code ---------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts (without the
    response's nonce), style elements and attributes, on* handlers and javascript: URLs."""

    def __init__(self, nonce: str | None = None):
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not values.get("src") and not (self.nonce and values.get("nonce") == self.nonce):
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> at line {self.getpos()[0]}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> at line {self.getpos()[0]}")


def inline_code(html: str, nonce: str | None = None) -> list[str]:
    parser = InlineCode(nonce)
    parser.feed(html)
    return parser.found


def test_the_inline_code_finder_finds_inline_code():
    assert inline_code('<script src="/static/x.js"></script><p class="a">') == []
    assert len(inline_code('<script>alert(1)</script><style>p{}</style><p style="x" onclick="y">'
                           '<a href="javascript:z">')) == 5
    assert inline_code('<script nonce="abc">ok()</script>', nonce="abc") == []
    assert inline_code('<script nonce="abc">ok()</script>', nonce="other") != []


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_no_template_carries_inline_code(template):
    source = (TEMPLATES / template).read_text()
    # Jinja blocks and expressions are not HTML; blank them out before parsing.
    markup = re.sub(r"{%.*?%}|{#.*?#}", "", source, flags=re.S)
    markup = re.sub(r"{{.*?}}", "x", markup, flags=re.S)
    assert inline_code(markup) == [], template


def test_no_rendered_page_carries_inline_code(member, world, indices):
    pages = ["/", "/search?q=nurse", "/browse/occupations", f"/credentials/{world['credential_id']}",
             "/widgets/combobox", "/account", "/access-request", "/admin/access-requests",
             f"/orgs/{world['org_id']}", "/editor/", "/editor/new", f"/editor/credentials/{world['credential_id']}/history",
             *(f"/editor/credentials/{world['credential_id']}/{tab}"
               for tab in ("details", "occupations", "related", "skills", "programs", "notes", "status"))]
    for path in pages:
        response = member.get(path)
        assert response.status_code == 200, path
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert inline_code(response.get_data(as_text=True), nonce and nonce.group(1)) == [], path
    for anonymous in ("/login", "/register", "/credentials/999999999"):
        response = member.application.test_client().get(anonymous)
        assert inline_code(response.get_data(as_text=True)) == [], anonymous
