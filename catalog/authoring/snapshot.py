"""Plain-data views of a credential, per section: for history diffs and for the APIs."""
from __future__ import annotations

from store.models import Credential


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def section_snapshot(credential: Credential, section: str) -> dict:
    c = credential
    if section == "details":
        return {
            "name": c.name or "",
            "alternate_names": list(c.alternate_names or []),
            "description": c.description or "",
            "credential_type": c.credential_type or "",
            "url": c.url or "",
            "cip_codes": list(c.cip_codes or []),
            "language": c.language or "",
            "cost": {"amount": _money(c.cost_amount), "currency": c.cost_currency, "note": c.cost_note or ""},
            "duration": {"value": c.duration_value, "unit": c.duration_unit or ""},
            "delivery_mode": c.delivery_mode or "",
            "keywords": list(c.keywords or []),
            "lifecycle": c.lifecycle or "active",
        }
    if section == "occupations":
        return {"occupations": [o.code for o in c.occupations]}
    if section == "sectors":
        return {"sectors": [s.code for s in c.sectors]}
    if section == "related":
        return {"related": [
            {"kind": r.kind, "credential_id": r.target_id} if r.target_id is not None else
            {"kind": r.kind, "cip": r.external_cip, "type": r.external_type, "name": r.external_name}
            for r in c.relations
        ]}
    if section == "skills":
        return {
            "custom_levels": [{"name": lv.name, "position": lv.position} for lv in c.custom_levels],
            "items": [{"skill_id": s.skill_code, "min_level": s.min_level, "acquired_level": s.acquired_level}
                      for s in c.skills],
        }
    if section == "programs":
        return {"programs": [
            {"id": p.id, "provider_org_id": p.provider_org_id, "provider_name": p.provider_name, "name": p.name,
             "url": p.url, "delivery_mode": p.delivery_mode,
             "duration": {"value": p.duration_value, "unit": p.duration_unit},
             "cost": _money(p.cost_amount), "location": p.location, "cip": p.cip_code}
            for p in c.programs
        ]}
    if section == "status":
        return {"status": c.status}
    raise KeyError(section)


def editor_view(credential: Credential, include_notes: bool = True) -> dict:
    """Everything an editor of the credential may see, as the authoring API returns it."""
    c = credential
    body = {
        "id": c.id,
        "revision": c.revision,
        "status": c.status,
        "organization": {"id": c.org_id, "name": c.organization.name},
        **section_snapshot(c, "details"),
        **section_snapshot(c, "occupations"),
        **section_snapshot(c, "sectors"),
        **section_snapshot(c, "related"),
        "skills": section_snapshot(c, "skills"),
        **section_snapshot(c, "programs"),
        "created_at": c.created_at.isoformat(timespec="seconds") + "Z",
        "updated_at": c.updated_at.isoformat(timespec="seconds") + "Z",
        "published_at": c.published_at.isoformat(timespec="seconds") + "Z" if c.published_at else None,
    }
    if include_notes:
        body["notes"] = [
            {"id": n.id, "body": n.body, "author": n.author.email if n.author else None,
             "created_at": n.created_at.isoformat(timespec="seconds") + "Z"}
            for n in c.notes
        ]
    return body
