"""Which column of a spreadsheet feeds which import field, detected from the header names.

An Eligible Training Provider List, a licence table and a college's programme list name the same
things differently ("Program Name", "Title", "Course"; "Instructional Program (CIP) Code",
"CIP"). Headers are compared case- and punctuation-insensitively against the synonyms below;
anything detected can be overridden (`--map "Course Title=name"`, or `=ignore` to drop a column).

Fields marked `many` may take several columns: the costs are summed ("Tuition & Fees" plus
"Books & Supplies"), codes and "leads to" names are collected, location parts joined.
"""
from __future__ import annotations

from dataclasses import dataclass

from catalog.imports.codes import key


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    synonyms: tuple[str, ...]
    many: bool = False


FIELDS = (
    ImportField("external_id", "External id (the source's own id; re-imports match on it)",
                ("programid", "programcode", "externalid", "recordid", "credentialid", "etplprogramid", "ctid",
                 "id", "licenseid", "licensecode", "programnumber", "rapidscode")),
    ImportField("name", "Name", ("programname", "name", "credentialname", "programtitle", "title", "program",
                                 "coursename", "coursetitle", "trainingprogram", "trainingprogramname",
                                 "licensename", "licensetitle", "licensetype", "certificationname", "occupationallicense",
                                 "occupationaltitle")),
    ImportField("description", "Description", ("programdescription", "description", "summary",
                                               "coursedescription", "licensedescription")),
    ImportField("credential_type", "Credential type", ("credentialtype", "type", "programoutcome", "outcome",
                                                       "awardtype", "awardlevel", "credentialawarded", "degreetype",
                                                       "credentiallevel")),
    ImportField("url", "Web address", ("programurl", "url", "website", "programwebsite", "link", "weburl",
                                       "webpage", "programlink")),
    ImportField("cip", "CIP codes", ("cip", "cipcode", "instructionalprogramcipcode", "cip2020", "cip2010",
                                     "programcip", "cipcode2020", "cipcode2010", "cipcodes"), many=True),
    ImportField("occupations", "Occupation codes (O*NET-SOC or SOC)",
                ("onet", "onetcode", "onetsoc", "onetsoccode", "soc", "soccode", "occupationcode",
                 "occupationcodeonet1", "occupationcodeonet2", "occupationcodeonet3", "onetcode1", "onetcode2",
                 "onetcode3", "soccode1", "soccode2", "soccode3", "occupationcodes", "onetcodes"), many=True),
    ImportField("cost", "Cost (summed when several columns)",
                ("cost", "totalcost", "tuition", "tuitionfees", "tuitionandfees", "requiredcosttuitionfees",
                 "requiredcostbookssupplies", "price", "programcost", "totalprogramcost", "fee", "fees",
                 "licensefee", "applicationfee"), many=True),
    ImportField("duration_hours", "Length in hours", ("hours", "contacthours", "clockhours", "lengthcontacthours",
                                                      "totalhours", "programhours", "lengthhours",
                                                      "lengthclockhours", "totalclockhours", "termlength")),
    ImportField("duration_weeks", "Length in weeks", ("weeks", "lengthweeks", "lengthinweeks", "durationweeks")),
    ImportField("duration_months", "Length in months", ("months", "lengthmonths", "lengthinmonths",
                                                        "durationmonths")),
    ImportField("duration", "Length with its unit (\"12 weeks\")", ("duration", "length", "programlength",
                                                                    "programduration")),
    ImportField("delivery_mode", "Delivery mode", ("deliverymethod", "deliverymode", "delivery", "format",
                                                   "instructionmethod", "modality", "instructionalmethod")),
    ImportField("provider", "Provider name", ("providername", "provider", "trainingprovider", "institution",
                                              "institutionname", "school", "schoolname", "college",
                                              "organization", "organizationname", "vendor", "vendorname",
                                              "trainingprovidername", "issuingagency", "agency", "board")),
    ImportField("city", "City", ("city", "campuscity", "providercity", "locationcity")),
    ImportField("state", "State", ("state", "campusstate", "providerstate", "locationstate")),
    ImportField("location", "Location", ("location", "site", "programlocation")),
    ImportField("prerequisites", "Prerequisites", ("prerequisites", "academicprerequisites", "prereqs",
                                                   "prerequisite", "entryrequirements", "requirements",
                                                   "admissionrequirements")),
    ImportField("leads_to", "Leads to (licence or certification)",
                ("associtedcredentialname", "associatedcredentialname", "associatedcredential", "credentialearned",
                 "leadsto", "industrycredential", "industrycredentialname", "licensecertification",
                 "certificationlicense", "industryrecognizedcredential", "preparesfor", "licensureexam",
                 "certificationexam", "leadstolicense", "leadstocertification"), many=True),
    ImportField("status", "Status (inactive/suspended rows become deprecated)", ("status", "programstatus",
                                                                                 "licensestatus")),
    ImportField("keywords", "Keywords", ("keywords", "tags"), many=True),
    ImportField("language", "Language", ("language", "languageofinstruction")),
)
FIELD_NAMES = {f.name: f for f in FIELDS}
IGNORE = "ignore"
_SYNONYM_FIELD = {synonym: f.name for f in FIELDS for synonym in f.synonyms}


class MappingError(ValueError):
    """A mapping that cannot be used: an unknown column or field, or nothing mapped to `name`."""


def detect_mapping(headers: list[str]) -> dict[str, str]:
    """{header: field} for the headers whose name is a known synonym; the first column wins a
    single-valued field."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        field = _SYNONYM_FIELD.get(key(header))
        if field is None or (field in taken and not FIELD_NAMES[field].many):
            continue
        mapping[header] = field
        taken.add(field)
    return mapping


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`["Course Title=name", "Notes=ignore"]` -> {"Course Title": "name", "Notes": "ignore"}."""
    overrides = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip():
            raise MappingError(f"--map {pair!r}: write COLUMN=FIELD, e.g. \"Course Title=name\"")
        overrides[column.strip()] = field.strip()
    return overrides


def apply_overrides(headers: list[str], detected: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """The detected mapping with the caller's choices on top; headers are matched exactly, then
    case-insensitively."""
    by_key = {key(h): h for h in headers}
    mapping = dict(detected)
    for column, field in overrides.items():
        header = column if column in headers else by_key.get(key(column))
        if header is None:
            raise MappingError(f"there is no column {column!r}; the columns are: {', '.join(headers)[:500]}")
        if field != IGNORE and field not in FIELD_NAMES:
            raise MappingError(f"{field!r} is not an import field; choose one of {', '.join(FIELD_NAMES)} "
                               f"or {IGNORE}")
        if field == IGNORE:
            mapping.pop(header, None)
            continue
        if not FIELD_NAMES[field].many:  # the override replaces whichever column had the field
            mapping = {h: f for h, f in mapping.items() if f != field}
        mapping[header] = field
    check_mapping(mapping)
    return {h: mapping[h] for h in headers if h in mapping}


def check_mapping(mapping: dict[str, str]) -> None:
    if "name" not in mapping.values():
        raise MappingError("no column is mapped to name; map one with --map \"COLUMN=name\"")
