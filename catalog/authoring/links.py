"""What an editor is shown of the credentials theirs links to: only what their organization may see.

Another organization's credential can only be linked while it is published. If that organization
later unpublishes or archives it and renames it as a draft, the new name is theirs alone: the
linking editor sees the name it was last published under, marked "no longer published". Their
own organization's credentials are shown as they are, drafts included.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import MAX_ID, Credential, Organization, Status

NO_LONGER_PUBLISHED = "no longer published"


@dataclass(frozen=True)
class LinkedCredential:
    id: int
    name: str
    organization: str
    credential_type: str  # "" when it is not public any more
    note: str             # "" while published; "draft"/"archived" for one's own; else NO_LONGER_PUBLISHED


def linked_credentials(session: Session, viewer_org_id: int | None, ids: Iterable) -> dict[int, LinkedCredential]:
    """id -> what the editors of `viewer_org_id` may see of each credential in `ids` that exists."""
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID}
    if not ids:
        return {}
    rows = session.execute(
        select(Credential.id, Credential.org_id, Credential.name, Credential.last_published_name,
               Credential.credential_type, Credential.status, Organization.name)
        .join(Organization, Organization.id == Credential.org_id).where(Credential.id.in_(sorted(ids)))
    ).all()
    linked = {}
    for cid, org_id, name, published_name, credential_type, status, org_name in rows:
        if org_id == viewer_org_id or status == Status.published.value:
            note = "" if status == Status.published.value else status
            linked[cid] = LinkedCredential(cid, name, org_name, credential_type, note)
        else:
            linked[cid] = LinkedCredential(cid, published_name or f"Credential {cid}", org_name, "",
                                           NO_LONGER_PUBLISHED)
    return linked
