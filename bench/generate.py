"""Generate N realistic published credentials from the real taxonomies, fast, for benchmarks.

Each credential names a real O*NET occupation (and the CIP programs and O*NET skills linked to
it), a NAICS sector that fits the occupation's SOC major group, a CTDL type, an issuer among a
few hundred organizations, and one or two education programs. Rows go in with bulk INSERTs, so
100k credentials take seconds rather than the minutes the authoring service would need.

    python -m bench.generate --database-url sqlite:///instance/bench.db -n 10000
"""
from __future__ import annotations

import argparse
import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES
from store.db import is_postgres, session_scope
from store.models import (
    Concept,
    Credential,
    CredentialOccupation,
    CredentialSector,
    CredentialSkill,
    Organization,
    Program,
    Scheme,
)

# The NAICS sector most credentials for an SOC major group serve (a judgement call, for realism).
SECTOR_FOR_SOC_MAJOR = {
    "11": "55", "13": "52", "15": "54", "17": "54", "19": "54", "21": "62", "23": "54", "25": "61",
    "27": "71", "29": "62", "31": "62", "33": "92", "35": "72", "37": "56", "39": "81", "41": "44-45",
    "43": "56", "45": "11", "47": "23", "49": "81", "51": "31-33", "53": "48-49", "55": "92",
}
TYPE_WEIGHTS = {"certificate": 30, "certification": 25, "license": 12, "badge": 8, "associate_degree": 8,
                "apprenticeship_certificate": 6, "bachelor_degree": 5, "micro_credential": 4, "diploma": 2}
CITIES = ["Austin, TX", "Columbus, OH", "Denver, CO", "Raleigh, NC", "Phoenix, AZ", "Boise, ID", "Newark, NJ",
          "Tacoma, WA", "Madison, WI", "Richmond, VA", "Online"]
LEVELS = ["None", "Novice", "Intermediate", "Advanced", "Expert"]
BATCH = 2000


def _taxonomy(session):
    def concepts(scheme):
        return session.execute(
            select(Concept.code, Concept.label, Concept.description, Concept.links)
            .join(Scheme).where(Scheme.name == scheme)
        ).all()

    occupations = [o for o in concepts("onet-soc") if o.links.get("skills")]
    cips_by_soc: dict[str, list[str]] = defaultdict(list)
    for code, _label, _desc, links in concepts("cip-2020"):
        for soc in links.get("soc", []):
            cips_by_soc[soc].append(code)
    tech = [c.code for c in concepts("skills") if c.links.get("kind") == "technology" and c.links.get("hot")]
    sectors = {c.code for c in concepts("naics-2022")}
    return occupations, cips_by_soc, tech, sectors


def _orgs(session, rng: random.Random, count: int = 300) -> list[int]:
    existing = list(session.scalars(select(Organization.id).where(Organization.name.like("Bench %"))))
    if len(existing) >= count:
        return existing
    start = len(existing)
    kinds = [["issuer"], ["issuer", "education_provider"], ["verifier"], ["issuer", "verifier"]]
    session.execute(insert(Organization), [
        {"name": f"Bench {kind} {i:04d}", "kinds": rng.choice(kinds), "website": f"https://org{i}.example.org",
         "location": rng.choice(CITIES), "created_at": datetime(2024, 1, 1)}
        for i, kind in ((i, rng.choice(["College", "Institute", "Board", "Academy", "Council"]))
                        for i in range(start, count))
    ])
    return list(session.scalars(select(Organization.id).where(Organization.name.like("Bench %"))))


def generate_credentials(database_url: str, n: int, seed: int = 1) -> None:
    """Bulk-insert `n` published credentials into a migrated database that has the taxonomies."""
    rng = random.Random(seed)
    types, weights = zip(*TYPE_WEIGHTS.items())
    with session_scope(database_url) as session:
        occupations, cips_by_soc, tech, sectors = _taxonomy(session)
        org_ids = _orgs(session, rng)
        next_id = (session.scalar(select(func.max(Credential.id))) or 0) + 1
        base_time = datetime(2025, 1, 1)
        for start in range(0, n, BATCH):
            rows, occ_rows, sector_rows, skill_rows, program_rows = [], [], [], [], []
            for cid in range(next_id + start, next_id + min(n, start + BATCH)):
                chosen = rng.sample(occupations, k=rng.choice([1, 1, 1, 2, 3]))
                main = chosen[0]
                ctype = rng.choices(types, weights)[0]
                cips = cips_by_soc.get(main.code[:7], [])[:3]
                sector = SECTOR_FOR_SOC_MAJOR.get(main.code[:2])
                published = base_time + timedelta(minutes=rng.randrange(0, 60 * 24 * 600))
                name = f"{main.label} {CREDENTIAL_TYPES[ctype]}" + (f" {rng.choice(['I', 'II', 'III'])}" if rng.random() < 0.2 else "")
                rows.append({
                    "id": cid, "org_id": rng.choice(org_ids), "name": name, "last_published_name": name,
                    "alternate_names": [], "description": f"Prepares candidates to work as {main.label.lower()}. {main.description}",
                    "credential_type": ctype, "url": f"https://credentials.example.org/{cid}",
                    "cip_codes": cips[:1], "language": "en", "cost_amount": rng.choice([None, 150, 450, 1200, 3800, 9500]),
                    "cost_currency": "USD", "cost_note": "", "duration_value": rng.randint(1, 24),
                    "duration_unit": rng.choice(["weeks", "months"]), "delivery_mode": rng.choice(list(DELIVERY_MODES)),
                    "keywords": [], "lifecycle": "active", "status": "published", "revision": 1,
                    "created_at": published, "updated_at": published, "published_at": published,
                })
                for position, occupation in enumerate(chosen):
                    occ_rows.append({"credential_id": cid, "code": occupation.code, "position": position})
                if sector in sectors:
                    sector_rows.append({"credential_id": cid, "code": sector, "position": 0})
                skills = list(main.links["skills"][: rng.randint(2, 5)])
                if tech and rng.random() < 0.4:
                    skills.append(rng.choice(tech))
                for position, code in enumerate(dict.fromkeys(skills)):
                    low = rng.randint(0, 2)
                    skill_rows.append({"credential_id": cid, "skill_code": code, "min_level": LEVELS[low],
                                       "acquired_level": LEVELS[rng.randint(low, 4)], "position": position})
                for _ in range(rng.choice([0, 1, 1, 2])):
                    program_rows.append({"credential_id": cid, "provider_name": f"{rng.choice(CITIES).split(',')[0]} Community College",
                                         "name": f"{main.label} program", "url": "", "delivery_mode": rng.choice(list(DELIVERY_MODES)),
                                         "duration_value": rng.randint(6, 24), "duration_unit": "months",
                                         "location": rng.choice(CITIES), "cip_code": cips[0] if cips else ""})
            session.execute(insert(Credential), rows)
            session.execute(insert(CredentialOccupation), occ_rows)
            if sector_rows:
                session.execute(insert(CredentialSector), sector_rows)
            session.execute(insert(CredentialSkill), skill_rows)
            if program_rows:
                session.execute(insert(Program), program_rows)
            session.commit()
        if is_postgres(session.get_bind()):
            # Ids were given explicitly, so PostgreSQL's sequence must be moved past them.
            session.execute(text("SELECT setval(pg_get_serial_sequence('credentials', 'id'), "
                                 "(SELECT max(id) FROM credentials))"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate_credentials(args.database_url, args.n, args.seed)
    print(f"generated {args.n} published credentials")


if __name__ == "__main__":
    main()
