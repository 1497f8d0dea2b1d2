"""Our credential types and CTDL's credential subclasses, in one table.

Every stored type (store.facts.CREDENTIAL_TYPES) is exactly one concrete, stable CTDL subclass,
and back. A record of a subclass we do not store (the 26 unstable ones such as
`ceterms:AssociateOfArtsDegree`) imports as its nearest stored ancestor, read from the subclass
list Credential Engine's schema gives (data/ctdl/credential-subclasses.tsv); the original type is
kept with the record and exported again while the credential's type is unchanged.
"""
from __future__ import annotations

import csv
from functools import lru_cache

from store.facts import CREDENTIAL_TYPES
from store.settings import REPO_ROOT

SUBCLASSES_FILE = REPO_ROOT / "data" / "ctdl" / "credential-subclasses.tsv"

# Stored type -> CTDL subclass. One to one: a test checks both directions.
CTDL_TYPES = {
    "badge": "ceterms:Badge",
    "certificate": "ceterms:Certificate",
    "certificate_of_completion": "ceterms:CertificateOfCompletion",
    "apprenticeship_certificate": "ceterms:ApprenticeshipCertificate",
    "certification": "ceterms:Certification",
    "license": "ceterms:License",
    "associate_degree": "ceterms:AssociateDegree",
    "bachelor_degree": "ceterms:BachelorDegree",
    "master_degree": "ceterms:MasterDegree",
    "doctoral_degree": "ceterms:DoctoralDegree",
    "professional_doctorate": "ceterms:ProfessionalDoctorate",
    "research_doctorate": "ceterms:ResearchDoctorate",
    "diploma": "ceterms:Diploma",
    "secondary_school_diploma": "ceterms:SecondarySchoolDiploma",
    "general_education_development": "ceterms:GeneralEducationDevelopment",
    "micro_credential": "ceterms:MicroCredential",
    "open_badge": "ceterms:OpenBadge",
    "digital_badge": "ceterms:DigitalBadge",
    "journeyman_certificate": "ceterms:JourneymanCertificate",
    "master_certificate": "ceterms:MasterCertificate",
    "quality_assurance_credential": "ceterms:QualityAssuranceCredential",
}
STORED_TYPES = {ctdl: ours for ours, ctdl in CTDL_TYPES.items()}
# A credential with no type yet exports as the most general concrete subclass.
UNTYPED = "ceterms:Credential"
# Abstract classes a record must not use as its @type (the Registry refuses them).
ABSTRACT = {"ceterms:Credential", "ceterms:Degree"}

assert set(CTDL_TYPES) == set(CREDENTIAL_TYPES), "every stored credential type needs a CTDL subclass"


@lru_cache(maxsize=1)
def subclasses() -> dict[str, dict]:
    """{CTDL class: {"parent", "term_status", "label"}} for the 48 credential subclasses."""
    with SUBCLASSES_FILE.open(encoding="utf-8", newline="") as f:
        return {row["class"]: row for row in csv.DictReader(f, delimiter="\t")}


def compact_type(value: str) -> str:
    """`ceterms:X` for the full IRI `https://purl.org/ctdl/terms/X` (or the bare term), else as given."""
    if value.startswith("https://purl.org/ctdl/terms/") or value.startswith("http://purl.org/ctdl/terms/"):
        return "ceterms:" + value.rsplit("/", 1)[1]
    if ":" not in value:
        return "ceterms:" + value
    return value


def stored_type(ctdl_type: str) -> tuple[str, bool]:
    """(our type for a CTDL @type, exact?). Unknown subclasses climb to the nearest type we store;
    `ceterms:Degree`, `ceterms:Credential` and non-credentials give ("", False)."""
    current, exact = compact_type(ctdl_type), True
    known = subclasses()
    while current:
        if current in STORED_TYPES:
            return STORED_TYPES[current], exact
        current, exact = known.get(current, {}).get("parent", ""), False
    return "", False


def is_credential_type(ctdl_type: str) -> bool:
    return compact_type(ctdl_type) in subclasses() or compact_type(ctdl_type) == UNTYPED
