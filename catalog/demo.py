"""Demo data (`catalog demo load`): organizations, people and about fifty realistic credentials.

Every credential goes through the authoring service, like an editor's save, so demo data obeys
the same rules and reaches the index through the outbox. Codes are real O*NET-SOC, NAICS and
CIP codes. Each credential's skills are the ones it names (`teaches`, by label) followed by the
skills the crosswalks suggest for its occupations (catalog.suggest.LinkedSkills), six in all.
Loading twice changes nothing: an organization that already exists is skipped with its credentials.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from store.db import session_scope
from store.models import Concept, Credential, Scheme
from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.authoring.levels import DEFAULT_LEVELS
from catalog.suggest import LinkedSkills

DEMO_PASSWORD = "demo-password-1"


@dataclass
class Demo:
    name: str
    type: str
    occupations: list[str]
    sectors: list[str]
    cip: str = ""
    delivery: str = "in_person"
    cost: int | None = None
    duration: tuple[int, str] | None = None
    about: str = ""
    requires: list[str] = field(default_factory=list)   # names of other demo credentials
    related: list[str] = field(default_factory=list)
    requires_external: tuple[str, str, str] | None = None  # (cip, type, name)
    status: str = "published"
    teaches: tuple[str, ...] = ()  # skill labels that go first, before the suggested ones


WELDING_SKILLS = ("apply arc welding techniques", "read standard blueprints")
CNA_SKILLS = ("monitor patient's vital signs", "infection control")
SKILLS_PER_CREDENTIAL = 6

ORGS = {
    "Riverbend Community College": (["issuer", "education_provider"], "https://riverbend.example.edu", "Columbus, OH", [
        Demo("Associate Degree in Nursing (ADN)", "associate_degree", ["29-1141.00"], ["62", "622"], "51.3801", "blended", 9800, (2, "years"),
             "A two-year nursing program preparing graduates for the NCLEX-RN examination and entry-level practice in hospitals and clinics."),
        Demo("Practical Nursing Certificate", "certificate", ["29-2061.00"], ["62", "623"], "51.3901", "in_person", 7200, (12, "months"),
             "Prepares students to provide basic bedside care under the direction of registered nurses and physicians.",
             related=["Associate Degree in Nursing (ADN)"]),
        Demo("State Tested Nurse Aide (STNA) Training", "certificate", ["31-1131.00"], ["623", "62"], "51.3902", "in_person", 650, (6, "weeks"),
             "Covers resident rights, infection control, vital signs and personal care skills for long-term care settings.",
             teaches=CNA_SKILLS),
        Demo("Phlebotomy Technician Certificate", "certificate", ["31-9097.00"], ["621", "62"], "51.1009", "in_person", 1400, (10, "weeks"),
             "Venipuncture and capillary collection, specimen handling and patient safety, with a supervised clinical externship."),
        Demo("Medical Assistant Certificate", "certificate", ["31-9092.00"], ["621"], "51.0801", "blended", 4200, (9, "months"),
             "Clinical and administrative medical office skills: vitals, injections, EHR documentation, scheduling and billing basics."),
        Demo("Pharmacy Technician Certificate", "certificate", ["29-2052.00"], ["456", "622"], "51.0805", "online", 2100, (6, "months"),
             "Prescription processing, compounding, inventory and pharmacy law in preparation for the PTCB exam."),
        Demo("Dental Assisting Certificate", "certificate", ["31-9091.00"], ["621"], "51.0601", "in_person", 5400, (10, "months"),
             "Chairside assisting, radiography, infection control and dental office procedures."),
        Demo("Radiologic Technology AAS", "associate_degree", ["29-2034.00"], ["622", "621"], "51.0911", "in_person", 11200, (2, "years"),
             "Radiographic positioning, radiation protection and patient care leading to ARRT certification eligibility."),
        Demo("Medical Coding and Billing Certificate", "certificate", ["29-2072.00"], ["621", "524"], "51.0713", "online", 2900, (8, "months"),
             "ICD-10-CM, CPT and HCPCS coding, claims processing and compliance for health information careers."),
    ]),
    "Ohio Board of Nursing": (["verifier", "issuer"], "https://nursing.example.gov", "Columbus, OH", [
        Demo("Registered Nurse License", "license", ["29-1141.00"], ["62"], "51.3801", "in_person", 75, None,
             "State licensure to practice as a registered nurse after passing the NCLEX-RN.",
             requires=["Associate Degree in Nursing (ADN)"]),
        Demo("Licensed Practical Nurse License", "license", ["29-2061.00"], ["62"], "51.3901", "in_person", 75, None,
             "State licensure to practice as an LPN after passing the NCLEX-PN.",
             requires=["Practical Nursing Certificate"]),
        Demo("Certified Nurse Aide Registry Listing", "certification", ["31-1131.00"], ["623"], "51.3902", "in_person", 0, None,
             "Listing on the state nurse aide registry after completing approved training and the competency exam.",
             requires=["State Tested Nurse Aide (STNA) Training"], teaches=CNA_SKILLS),
    ]),
    "Midwest Skilled Trades Institute": (["issuer", "education_provider"], "https://mwsti.example.org", "Toledo, OH", [
        Demo("Structural Welding Certificate (AWS D1.1)", "certificate", ["51-4121.00"], ["23", "332"], "48.0508", "in_person", 6800, (7, "months"),
             "SMAW, FCAW and GMAW on structural steel in all positions, qualifying for AWS D1.1 bend tests.",
             teaches=WELDING_SKILLS),
        Demo("Pipe Welding Certificate", "certificate", ["51-4121.00"], ["237", "23"], "48.0508", "in_person", 8400, (9, "months"),
             "GTAW root and SMAW fill on carbon steel pipe, 6G position, ASME Section IX qualification.",
             requires=["Structural Welding Certificate (AWS D1.1)"], teaches=WELDING_SKILLS),
        Demo("CNC Machining Certificate", "certificate", ["51-4041.00", "51-9161.00"], ["332", "333"], "48.0501", "in_person", 7300, (10, "months"),
             "Blueprint reading, metrology, manual and CNC mill and lathe operation, G-code programming."),
        Demo("HVAC-R Technician Certificate", "certificate", ["49-9021.00"], ["238"], "47.0201", "blended", 6100, (9, "months"),
             "Refrigeration cycle, electrical controls, heat pumps and EPA Section 608 preparation."),
        Demo("EPA Section 608 Universal Certification", "certification", ["49-9021.00"], ["238"], "47.0201", "online", 150, None,
             "Federal certification to handle refrigerants in stationary equipment.",
             related=["HVAC-R Technician Certificate"]),
        Demo("Electrical Apprenticeship (Inside Wireman)", "apprenticeship_certificate", ["47-2111.00"], ["238", "23"], "46.0302", "blended", 0, (5, "years"),
             "Registered apprenticeship combining 8,000 hours of paid on-the-job training with related classroom instruction on the NEC."),
        Demo("Plumbing Apprenticeship", "apprenticeship_certificate", ["47-2152.00"], ["238"], "46.0502", "blended", 0, (4, "years"),
             "Registered apprenticeship in residential and commercial plumbing, pipefitting and code."),
        Demo("Carpentry Pre-Apprenticeship", "certificate", ["47-2031.00"], ["236", "23"], "46.0201", "in_person", 900, (12, "weeks"),
             "Hands-on framing, tool safety, OSHA 10 and math for the trades, with a pathway into union apprenticeship.",
             related=["Electrical Apprenticeship (Inside Wireman)"]),
        Demo("Automotive Technician Certificate", "certificate", ["49-3023.00"], ["811", "441"], "47.0604", "in_person", 8900, (12, "months"),
             "Engine performance, brakes, electrical systems and ASE student certification preparation."),
        Demo("Diesel Technology Certificate", "certificate", ["49-3031.00"], ["811", "484"], "47.0605", "in_person", 9700, (12, "months"),
             "Diesel engines, hydraulics, air brakes and preventive maintenance for heavy trucks and equipment."),
        Demo("OSHA 30 Construction Safety", "certificate", ["47-2061.00", "47-1011.00"], ["23"], "", "online", 190, (30, "hours"),
             "Construction industry hazard recognition, fall protection and site safety for supervisors."),
    ]),
    "Great Lakes Truck Driving School": (["issuer", "education_provider"], "https://gltds.example.com", "Dayton, OH", [
        Demo("Commercial Driver's License Class A Training", "certificate", ["53-3032.00"], ["484", "48-49"], "49.0205", "in_person", 5200, (4, "weeks"),
             "Entry-level driver training meeting FMCSA ELDT rules: pre-trip inspection, backing, coupling and road driving for the CDL-A skills test."),
        Demo("CDL Class B Passenger Endorsement Training", "certificate", ["53-3052.00"], ["485"], "49.0205", "in_person", 2800, (3, "weeks"),
             "School and transit bus operation, passenger safety and the CDL-B with P endorsement."),
        Demo("Hazardous Materials Endorsement Preparation", "certificate", ["53-3032.00"], ["484"], "49.0205", "online", 250, (8, "hours"),
             "Placarding, segregation and emergency response for the HazMat endorsement knowledge test.",
             requires=["Commercial Driver's License Class A Training"]),
        Demo("Forklift Operator Certification", "certification", ["53-7051.00"], ["493", "42"], "", "in_person", 180, (1, "days"),
             "OSHA 1910.178 powered industrial truck training with a hands-on evaluation.",
             teaches=("operate forklift", "conduct forklift inspections")),
    ]),
    "TechForward Academy": (["issuer", "education_provider"], "https://techforward.example.io", "Cincinnati, OH", [
        Demo("IT Support Specialist Certificate", "certificate", ["15-1232.00"], ["54", "51"], "11.1006", "online", 1900, (16, "weeks"),
             "Help desk troubleshooting, operating systems, networking basics and customer service, preparing for CompTIA A+."),
        Demo("CompTIA A+ Certification Prep", "certification", ["15-1232.00"], ["54"], "11.1006", "online", 1200, (12, "weeks"),
             "Hardware, mobile devices, operating systems and troubleshooting for both A+ Core exams.",
             related=["IT Support Specialist Certificate"]),
        Demo("CompTIA Network+ Certification Prep", "certification", ["15-1244.00", "15-1231.00"], ["54", "517"], "11.0901", "online", 1400, (12, "weeks"),
             "Network architecture, operations, security and troubleshooting.",
             related=["CompTIA A+ Certification Prep"]),
        Demo("CompTIA Security+ Certification Prep", "certification", ["15-1212.00"], ["54"], "11.1003", "online", 1600, (12, "weeks"),
             "Threats, architecture, implementation, operations and governance for entry-level cybersecurity roles.",
             requires=["CompTIA Network+ Certification Prep"]),
        Demo("Cybersecurity Analyst Bootcamp", "certificate", ["15-1212.00"], ["54", "52"], "11.1003", "online", 12500, (24, "weeks"),
             "SOC operations, SIEM, incident response, vulnerability management and threat hunting with hands-on labs.",
             related=["CompTIA Security+ Certification Prep"]),
        Demo("Full-Stack Web Development Bootcamp", "certificate", ["15-1254.00", "15-1252.00"], ["54", "51"], "11.0201", "online", 13900, (16, "weeks"),
             "HTML, CSS, JavaScript, React, Node.js, SQL and deployment, ending in a capstone portfolio project."),
        Demo("Data Analytics Certificate", "certificate", ["15-2051.00", "15-2041.00"], ["54", "52"], "11.0701", "online", 3900, (20, "weeks"),
             "Spreadsheets, SQL, Python, statistics and dashboards with Tableau for business analysis."),
        Demo("Cloud Practitioner Micro-Credential", "micro_credential", ["15-1244.00", "15-1241.00"], ["518"], "11.0901", "online", 300, (20, "hours"),
             "Cloud concepts, core services, security and pricing as a first step into cloud roles."),
        Demo("Database Administration Certificate", "certificate", ["15-1242.00"], ["54", "518"], "11.0802", "online", 3200, (16, "weeks"),
             "Relational design, SQL tuning, backup and recovery, and administration of PostgreSQL and SQL Server.", status="draft"),
        Demo("Software Developer Apprenticeship", "apprenticeship_certificate", ["15-1252.00"], ["5132", "54"], "11.0201", "blended", 0, (2, "years"),
             "Registered apprenticeship pairing paid development work with mentorship and structured learning.",
             related=["Full-Stack Web Development Bootcamp"]),
    ]),
    "Buckeye Hospitality & Services Alliance": (["issuer", "verifier"], "https://bhsa.example.org", "Cleveland, OH", [
        Demo("ServSafe Food Protection Manager Certification", "certification", ["35-1011.00", "11-9051.00"], ["722"], "12.0500", "blended", 180, (2, "days"),
             "Food safety management: foodborne illness, HACCP, sanitation and regulation."),
        Demo("Culinary Arts Certificate", "certificate", ["35-2014.00", "35-1011.00"], ["722"], "12.0503", "in_person", 7600, (9, "months"),
             "Knife skills, classical techniques, baking, kitchen management and an industry externship.",
             related=["ServSafe Food Protection Manager Certification"]),
        Demo("Cosmetology License", "license", ["39-5012.00"], ["812"], "12.0401", "in_person", 200, None,
             "State license to practice cosmetology after 1,500 hours of approved training and the state board exam.",
             requires_external=("12.0401", "certificate", "Cosmetology training program (1,500 hours)")),
        Demo("Early Childhood Education CDA Credential", "certification", ["25-2011.00", "39-9011.00"], ["624", "611"], "19.0708", "blended", 425, (120, "hours"),
             "Child Development Associate credential: 120 hours of education, a portfolio and an observation."),
        Demo("Emergency Medical Technician (EMT) Certification", "certification", ["29-2042.00"], ["621", "92"], "51.0904", "in_person", 1300, (16, "weeks"),
             "Basic life support, trauma and medical emergencies, preparing for the NREMT cognitive and psychomotor exams."),
        Demo("Paramedic Certificate", "certificate", ["29-2043.00"], ["621", "92"], "51.0904", "in_person", 9800, (12, "months"),
             "Advanced life support, pharmacology, cardiology and field internship toward NREMT-P.",
             requires=["Emergency Medical Technician (EMT) Certification"]),
        Demo("Firefighter I and II Certification", "certification", ["33-2011.00"], ["92"], "43.0203", "in_person", 2400, (6, "months"),
             "Fire behavior, suppression, search and rescue and hazardous-materials awareness.",
             related=["Emergency Medical Technician (EMT) Certification"]),
        Demo("Police Officer Basic Training Certificate", "certificate", ["33-3051.00"], ["92"], "43.0107", "in_person", 5500, (6, "months"),
             "Peace officer basic academy: law, firearms, defensive tactics, driving and community policing."),
        Demo("Bookkeeping Certificate", "certificate", ["43-3031.00"], ["5412", "52"], "52.0302", "online", 1500, (12, "weeks"),
             "Double-entry accounting, payroll, reconciliation and QuickBooks."),
        Demo("Human Resources Associate Micro-Credential", "micro_credential", ["13-1071.00"], ["56", "54"], "52.1001", "online", 600, (6, "weeks"),
             "Recruiting, onboarding, employment law basics and HR information systems.", status="archived"),
        Demo("Open Badge: Customer Service Excellence", "badge", ["41-2031.00", "43-4051.00"], ["44-45"], "", "online", 0, (10, "hours"),
             "Active listening, de-escalation and service recovery, verified by a scenario-based assessment."),
    ]),
}


def _skills_for(session, demo: Demo, suggested: LinkedSkills) -> list[str]:
    named = [session.scalar(select(Concept.code).join(Scheme).where(Scheme.name == "skills", Concept.label == label))
             for label in demo.teaches]
    if None in named:
        raise LookupError(f"{demo.name}: a skill in {demo.teaches} is not in the skills scheme")
    codes = list(dict.fromkeys(named + suggested.ranked(demo.occupations, SKILLS_PER_CREDENTIAL)))
    return codes[:SKILLS_PER_CREDENTIAL]


def _details(demo: Demo) -> dict:
    return {
        "name": demo.name, "credential_type": demo.type, "description": demo.about, "delivery_mode": demo.delivery,
        "cip_codes": [demo.cip] if demo.cip else [],
        "cost": {"amount": demo.cost, "currency": "USD"},
        "duration": {"value": demo.duration[0], "unit": demo.duration[1]} if demo.duration else {},
        "url": f"https://credentials.example.org/{abs(hash(demo.name)) % 100000}",
        "keywords": [demo.type.replace("_", " ")],
    }


def load_demo(database_url: str) -> dict:
    created = {"organizations": 0, "credentials": 0, "users": []}
    with session_scope(database_url) as session:
        admin = accounts.find_user(session, "admin@demo.example")
        if admin is None:
            admin = accounts.create_user(session, "admin@demo.example", DEMO_PASSWORD, "Platform Admin", platform_admin=True)
            created["users"].append(admin.email)
        ids: dict[str, int] = {}
        pending: list[tuple[int, Demo]] = []
        suggested = LinkedSkills(session)
        for org_name, (kinds, website, location, demos) in ORGS.items():
            if accounts.find_org_by_name(session, org_name) is not None:
                continue
            org = accounts.create_org(session, org_name, kinds, website, location)
            slug = org_name.split()[0].lower()
            editor = accounts.create_user(session, f"editor@{slug}.demo.example", DEMO_PASSWORD, f"{org_name.split()[0]} Editor")
            accounts.grant(session, editor, org, "admin")
            created["organizations"] += 1
            created["users"].append(editor.email)
            for demo in demos:
                credential = service.create_credential(session, editor, org.id, _details(demo))
                service.save_section(session, editor, credential, "occupations", demo.occupations)
                service.save_section(session, editor, credential, "sectors", demo.sectors)
                skills = _skills_for(session, demo, suggested)
                service.save_section(session, editor, credential, "skills", {"items": [
                    {"skill_id": code, "min_level": DEFAULT_LEVELS[i % 2], "acquired_level": DEFAULT_LEVELS[2 + (i % 3)]}
                    for i, code in enumerate(skills)]})
                if demo.delivery != "online" or demo.type.endswith("degree"):
                    service.save_section(session, editor, credential, "programs", [{
                        "provider_org_id": org.id if "education_provider" in kinds else None,
                        "provider_name": "" if "education_provider" in kinds else "Riverbend Community College",
                        "name": demo.name, "delivery_mode": demo.delivery, "location": location,
                        "cip": demo.cip, "cost": demo.cost,
                        "duration": {"value": demo.duration[0], "unit": demo.duration[1]} if demo.duration else {}}])
                ids[demo.name] = credential.id
                pending.append((credential.id, demo))
                created["credentials"] += 1
        session.flush()
        # Relations and status come last: a relation may point at a credential listed later.
        for credential_id, demo in pending:
            credential = session.get(Credential, credential_id)
            editor = None
            relations = [{"kind": "required", "credential_id": ids[n]} for n in demo.requires]
            relations += [{"kind": "related", "credential_id": ids[n]} for n in demo.related]
            if demo.requires_external:
                cip, ctype, name = demo.requires_external
                relations.append({"kind": "required", "cip": cip, "type": ctype, "name": name})
            if relations:
                _publish_targets(session, [r["credential_id"] for r in relations if "credential_id" in r], ids, pending)
                service.save_section(session, editor, credential, "related", relations)
            if demo.status != "draft":
                service.set_status(session, editor, credential, "published")
            if demo.status == "archived":
                service.set_status(session, editor, credential, "archived")
    return created


def _publish_targets(session, target_ids, ids, pending) -> None:
    """Relations may only point at published credentials (or own drafts): publish targets first."""
    demos = {cid: demo for cid, demo in pending}
    for target_id in target_ids:
        target = session.get(Credential, target_id)
        if target.status == "draft" and demos[target_id].status == "published":
            service.set_status(session, None, target, "published")
