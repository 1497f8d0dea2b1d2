"""The editor's tabs, declared once: their order, titles, and the service sections each one saves.

The tab bar, the URL rules, the save dispatch and the error summary all read this table, so a
tab is added or renamed here and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    slug: str
    title: str
    # Sections of catalog.authoring.service that this tab's "Save changes" writes, in order.
    sections: tuple[str, ...]
    intro: str = ""


TABS: tuple[Tab, ...] = (
    Tab("details", "Details", ("details",),
        "What the credential is, who issues it, what it costs and how long it takes."),
    Tab("occupations", "Occupation and sector", ("occupations", "sectors"),
        "The occupations this credential prepares people for, and the industry sectors it serves."),
    Tab("related", "Related credentials", ("related",),
        "Credentials that go with this one, and credentials a person must hold before earning it."),
    Tab("skills", "Skills and experience", ("skills",),
        "The skills the program builds: the experience a person needs to start, and the level they reach."),
    Tab("programs", "Education providers", ("programs",),
        "Programs that prepare people for this credential, and who offers them."),
    Tab("notes", "Additional notes", (),
        "Notes for the people who maintain this credential. Only its editors and platform admins see them."),
    Tab("status", "Status", ("status",),
        "Drafts are private to your organization. Published credentials appear in public search."),
)

BY_SLUG = {tab.slug: tab for tab in TABS}


def next_tab(slug: str) -> Tab | None:
    slugs = [tab.slug for tab in TABS]
    position = slugs.index(slug)
    return TABS[position + 1] if position + 1 < len(TABS) else None
