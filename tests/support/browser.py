"""Steps that every Chromium test takes the same way."""
from __future__ import annotations


def log_in(page, base_url: str, email: str, password: str) -> None:
    """Log in through the real form, and wait until the app has let us in (the page leaves /login;
    where it lands depends on who logs in, so callers check that themselves)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
