"""Facts about credentials, stated once: the allowed values and the length limits.

Validation, the editor's forms, the OpenAPI document, search documents and facets, the demo data
and the database columns all read this module, so adding a credential type or raising a limit
is one edit. It lives in the lowest layer because the index's facet labels need it too.
"""
from __future__ import annotations

from enum import Enum

# Stored value -> label shown to people. Each is one concrete CTDL subclass (catalog/ctdl/types.py).
CREDENTIAL_TYPES = {
    "badge": "Badge",
    "certificate": "Certificate",
    "certificate_of_completion": "Certificate of Completion",
    "apprenticeship_certificate": "Apprenticeship Certificate",
    "certification": "Certification",
    "license": "License",
    "associate_degree": "Associate Degree",
    "bachelor_degree": "Bachelor's Degree",
    "master_degree": "Master's Degree",
    "doctoral_degree": "Doctoral Degree",
    "professional_doctorate": "Professional Doctorate",
    "research_doctorate": "Research Doctorate",
    "diploma": "Diploma",
    "secondary_school_diploma": "Secondary School Diploma",
    "general_education_development": "General Education Development (GED)",
    "micro_credential": "Micro-Credential",
    "open_badge": "Open Badge",
    "digital_badge": "Digital Badge",
    "journeyman_certificate": "Journeyman Certificate",
    "master_certificate": "Master Certificate",
    "quality_assurance_credential": "Quality Assurance Credential",
}

DELIVERY_MODES = {"in_person": "In person", "online": "Online", "blended": "Blended"}

# The languages the editor offers; a credential may carry any BCP 47 code, and others show as the code.
LANGUAGES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
             "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean", "ar": "Arabic", "ru": "Russian",
             "tl": "Tagalog", "ht": "Haitian Creole"}

LIFECYCLES = {"active": "Active", "deprecated": "Deprecated"}

RELATION_KINDS = {"related": "Related credentials", "required": "Required credentials"}

DURATION_UNITS = {"hours": "Hours", "days": "Days", "weeks": "Weeks", "months": "Months", "years": "Years"}


class Status(str, Enum):
    """Only Published is public; Archived was published once and is withdrawn."""

    draft = "draft"
    published = "published"
    archived = "archived"


# Characters per text field, as sent (see catalog.authoring.validation._text).
MAX_LENGTH = {
    "name": 300,            # a credential's or a program's name, an alternate name, an external related name
    "description": 20000,
    "url": 1000,
    "code": 64,             # a taxonomy code, a credential type, a level name
    "cip_code": 16,
    "language": 16,
    "currency": 3,
    "cost_note": 500,
    "keyword": 100,
    "provider_name": 200,
    "location": 200,
    "note": 5000,
}

# Entries per list field.
MAX_ITEMS = {
    "alternate_names": 20,
    "cip_codes": 20,
    "keywords": 50,
    "occupations": 100,
    "sectors": 100,
}
