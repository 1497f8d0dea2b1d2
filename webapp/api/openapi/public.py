"""OpenAPI 3.0.3 paths and schemas of the public API: search, credentials, autocomplete, health.

Facet parameters and limits come from indexer.facets, the autocomplete targets from
indexer.autocomplete, so the document cannot drift from what the code accepts.
tests/test_openapi_schemathesis.py holds the API to this document.
"""
from __future__ import annotations

from indexer.autocomplete import MAX_OFFSET as AUTOCOMPLETE_MAX_OFFSET
from indexer.autocomplete import MAX_TEXT as AUTOCOMPLETE_MAX_TEXT
from indexer.autocomplete import TARGETS as AUTOCOMPLETE_TARGETS
from catalog.suggest import CIP_CODE, MAX_CODES as SUGGEST_MAX_CODES, OCCUPATION_CODE
from indexer.facets import (
    DEFAULT_SIZE,
    FACETS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_SIZE,
    MAX_VALUE_CHARS,
    MAX_VALUES_PER_FACET,
    MAX_WINDOW,
    SORTS,
)
from store.models import MAX_ID


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def json_response(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


RATE_LIMITED = {
    "description": "Too many requests from this address; wait `Retry-After` seconds.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
    "content": {"application/json": {"schema": ref("Error")}},
}
UNAVAILABLE = error_response("The search service is down or slow (answered within 2 s).")

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_CODE_LABEL = {"type": "object", "required": ["code", "label"],
               "properties": {"code": _STRING, "label": _STRING}}

FACET_PARAMETERS = [
    {
        "name": name, "in": "query", "required": False, "style": "form", "explode": True,
        "description": f"{facet.title}: values to select (codes or ids); repeat the parameter for several. "
                       "Values of one facet are ORed, facets are ANDed.",
        "schema": {"type": "array", "maxItems": MAX_VALUES_PER_FACET,
                   "items": {"type": "string", "maxLength": MAX_VALUE_CHARS}},
    }
    for name, facet in FACETS.items()
]

SEARCH_PARAMETERS = [
    {"name": "q", "in": "query", "required": False,
     "description": f"Words, a quoted phrase, or a code (29-1141, 51.3801, 62). At most {MAX_QUERY_CHARS} "
                    f"characters; words after the {MAX_QUERY_WORDS}th are ignored. `-word` excludes, "
                    "`a | b` means either, `nurs*` matches word starts.",
     "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
    *FACET_PARAMETERS,
    {"name": "sort", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"}},
    {"name": "page", "in": "query", "required": False,
     "description": f"1-based; page × size may not pass {MAX_WINDOW:,}.",
     "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "size", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE, "default": DEFAULT_SIZE}},
]

HIT = {
    "type": "object",
    "required": ["id", "name", "type", "issuer", "occupations", "sectors", "skills", "url", "highlight"],
    "properties": {
        "id": {"type": "integer"},
        "name": _STRING,
        "type": _NULLABLE_STRING,
        "type_label": _STRING,
        "issuer": {"type": "object", "properties": {"id": {"type": "integer", "nullable": True}, "name": _STRING}},
        "occupations": {"type": "array", "items": _CODE_LABEL},
        "sectors": {"type": "array", "items": _CODE_LABEL},
        "skills": {"type": "array", "items": _CODE_LABEL},
        "delivery": _NULLABLE_STRING,
        "website": {**_NULLABLE_STRING, "description": "The issuer's page about the credential"},
        "summary": {**_STRING, "description": "The start of the description, as plain text"},
        "url": {**_STRING, "description": "The credential's page in this catalog"},
        "highlight": {
            "type": "object", "nullable": True,
            "description": "HTML fragments: the text is escaped, matched words are wrapped in <mark>.",
            "properties": {"name": _STRING, "description": _STRING},
        },
    },
}

FACET_VALUE = {
    "type": "object", "required": ["value", "label", "count", "selected"],
    "properties": {"value": _STRING, "label": _STRING, "count": {"type": "integer", "minimum": 0},
                   "selected": {"type": "boolean"}},
}

SUGGESTION = {
    "type": "object", "required": ["reason"],
    "description": "spelling: a corrected q; any_words: the nearest matches with some of the words; "
                   "remove_filter: how many hits dropping one facet's selection would give; "
                   "closest_occupations, closest_programs: what to browse by when nothing matched at all.",
    "properties": {
        "reason": {"type": "string", "enum": ["spelling", "any_words", "remove_filter", "closest_occupations",
                                              "closest_programs"]},
        "q": _STRING, "total": {"type": "integer"}, "facet": _STRING,
        "items": {"type": "array", "description": "closest_occupations, closest_programs: browse by these "
                  "(`facet`=code)", "items": {"type": "object", "required": ["code", "label"], "properties": {
                      "code": _STRING, "label": _STRING, "matched": _NULLABLE_STRING, "via": _NULLABLE_STRING}}},
        "values": {"type": "array", "items": _STRING},
        "hits": {"type": "array", "items": ref("SearchHit")},
    },
}

SEARCH_RESULTS = {
    "type": "object", "required": ["total", "page", "size", "hits", "facets"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer"}, "size": {"type": "integer"}, "sort": _STRING, "q": _STRING,
        "hits": {"type": "array", "items": ref("SearchHit")},
        "facets": {"type": "object", "required": list(FACETS),
                   "properties": {name: {"type": "array", "items": ref("FacetValue")} for name in FACETS}},
        "did_you_mean": {**_NULLABLE_STRING, "description": "Only when nothing matched"},
        "showing_results_for": {**_STRING, "description": "When the typed words found nothing: the words, "
                                "without qualifiers and noise words, that the hits are for"},
        "suggestions": {"type": "array", "items": ref("SearchSuggestion"), "description": "Only when nothing matched"},
    },
}

RELATION = {
    "type": "object", "required": ["id", "name"],
    "description": "A credential in this catalog (id, url) or outside it (cip, type).",
    "properties": {"id": {"type": "integer", "nullable": True}, "name": _STRING, "url": _STRING,
                   "cip": _STRING, "cip_label": _STRING, "type": _STRING, "type_label": _STRING},
}

CREDENTIAL = {
    "type": "object",
    "required": ["id", "name", "description", "type", "issuer", "occupations", "sectors", "skills", "cip",
                 "programs", "related", "required", "url"],
    "properties": {
        "id": {"type": "integer"}, "name": _STRING,
        "alternate_names": {"type": "array", "items": _STRING},
        "description": _STRING, "type": _NULLABLE_STRING, "type_label": _STRING,
        "issuer": {"type": "object", "properties": {"id": {"type": "integer"}, "name": _STRING}},
        "website": _NULLABLE_STRING, "language": _NULLABLE_STRING, "language_label": _STRING,
        "lifecycle": _NULLABLE_STRING,
        "delivery": _NULLABLE_STRING, "delivery_label": _STRING,
        "cost": {"type": "object", "properties": {"amount": {"type": "number", "nullable": True},
                                                  "currency": _NULLABLE_STRING, "note": _NULLABLE_STRING}},
        "duration": {"type": "object", "properties": {"value": {"type": "integer", "nullable": True},
                                                      "unit": _NULLABLE_STRING}},
        "keywords": {"type": "array", "items": _STRING},
        "occupations": {"type": "array", "items": _CODE_LABEL},
        "sectors": {"type": "array", "items": _CODE_LABEL},
        "skills": {"type": "array", "items": {
            "type": "object", "required": ["code", "label"],
            "properties": {"code": _STRING, "label": _STRING, "min_level": _NULLABLE_STRING,
                           "acquired_level": _NULLABLE_STRING}}},
        "cip": {"type": "array", "items": _CODE_LABEL},
        "programs": {"type": "array", "items": {"type": "object", "properties": {
            "name": _STRING, "provider": _NULLABLE_STRING, "provider_id": {"type": "integer", "nullable": True},
            "url": _NULLABLE_STRING, "delivery": _NULLABLE_STRING, "location": _NULLABLE_STRING,
            "cip": _NULLABLE_STRING, "duration_value": {"type": "integer", "nullable": True},
            "duration_unit": _NULLABLE_STRING, "cost": {"type": "number", "nullable": True}}}},
        "related": {"type": "array", "items": ref("CredentialRelation")},
        "required": {"type": "array", "items": ref("CredentialRelation")},
        "published_at": _NULLABLE_STRING, "updated_at": _NULLABLE_STRING,
        "url": {**_STRING, "description": "The credential's page in this catalog"},
    },
}

SUGGESTIONS = {
    "type": "object", "required": ["query", "total", "items"],
    "properties": {
        "query": _STRING, "total": {"type": "integer"},
        "relaxed": {"type": "boolean", "description": "Occupations, sectors and programs: the strict tiers did "
                                                      "not fill the page, so the relaxed tiers ran too"},
        "items": {"type": "array", "items": {
            "type": "object", "required": ["id", "code", "label", "scheme"],
            "properties": {"id": {"oneOf": [_STRING, {"type": "integer"}]}, "code": _STRING, "label": _STRING,
                           "scheme": _STRING,
                           "matched": {**_NULLABLE_STRING, "description": "The alternate title, CIP example, "
                                       "code or (with `via`) the occupation's alternate title that matched, "
                                       "when the label did not"},
                           "tier": {**_NULLABLE_STRING, "description": "How it matched, best tier first: "
                                    "soc_code, code_exact, code_prefix, label_exact, alt_exact, credential_exact, "
                                    "label_start, label_words, label_stems, alt_start, alt_words, credential_words; relaxed: label_clean, "
                                    "abbreviation, alt_clean (without qualifiers and noise words), label_fuzzy, "
                                    "alt_fuzzy_title, alt_fuzzy (one typo), occupation_clean, "
                                    "occupation_alt_clean (programs, through an occupation they lead to), "
                                    "most_words (most of the words, weighted by how informative they are)"},
                           "relaxed": {"type": "boolean", "description": "Matched only by a relaxed tier: "
                                       "not every typed word is in what matched"},
                           "via": {**_NULLABLE_STRING, "description": "What the item was found through, when "
                                   "not its own names: the name of a credential that prepares for it "
                                   "(occupations and programs, from a state's training-provider list), the "
                                   "occupation it leads to (programs, CIP-SOC crosswalk), or software that "
                                   "occupation uses (programs, O*NET Technology Skills)"},
                           "kind": {**_STRING, "description": "Skills only: skill, knowledge, activity, "
                                                              "technology, tool or ability"},
                           "level": {**_STRING, "description": "Sectors only: the NAICS level (sector, "
                                                               "subsector, industry group, ...)"},
                           "about": {**_NULLABLE_STRING, "description": "Credentials only: how one found by "
                                     "what it is about matched (\"occupation: Heavy and Tractor-Trailer Truck "
                                     "Drivers\", \"keyword: hazmat\", \"description\"); null when its name did"}}}},
    },
}

OCCUPATION_PATTERN, CIP_PATTERN = f"^{OCCUPATION_CODE.pattern}$", f"^{CIP_CODE.pattern}$"

SUGGESTED = {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "label", "kind", "scheme", "score", "because"],
        "properties": {"id": _STRING, "label": _STRING, "kind": _STRING, "scheme": _STRING,
                       "score": {"type": "number", "description": "Higher is a better fit; shared by more of "
                                                                  "the given codes is higher"},
                       "because": {"type": "array", "items": _STRING,
                                   "description": "Why, once per given code it fits"}}}}},
}


def _suggest_path(target: str, parameter: str, example: str, pattern: str, summary: str) -> dict:
    return {"get": {
        "operationId": f"suggest{target.capitalize()}", "tags": ["public"], "summary": summary,
        "parameters": [
            {"name": parameter, "in": "query", "required": True, "style": "form", "explode": True,
             "description": f"Codes to suggest from, e.g. {example} (repeat, or separate with commas; at most 20)",
             "schema": {"type": "array", "items": {"type": "string", "pattern": pattern}, "minItems": 1,
                        "maxItems": SUGGEST_MAX_CODES}},
            {"name": "size", "in": "query", "required": False, "allowEmptyValue": True,
             "description": "How many; empty means 20, more than the maximum (50) gives the maximum.",
             "schema": {"type": "integer", "minimum": 1, "default": 20}},
            {"name": "exclude", "in": "query", "required": False, "style": "form", "explode": True,
             "description": "Ids to leave out, e.g. what is already chosen (repeat, or separate with commas)",
             "schema": {"type": "array", "items": _STRING}},
        ],
        "responses": {"200": json_response("Suggestions, best first, each with its reasons", "Suggested"),
                      "400": error_response("A malformed or unknown code (a well-formed code may still be unknown), "
                                             "or a bad size"),
                      "429": RATE_LIMITED, "503": UNAVAILABLE},
    }}

HEALTH = {
    "type": "object", "required": ["status", "services"],
    "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]},
                   "services": {"type": "object", "additionalProperties": _STRING},
                   "down": {"type": "array", "items": _STRING}},
}

ERROR = {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": _STRING, "message": {**_STRING, "description": "What went wrong and what to do"},
                   "param": {**_STRING, "description": "The parameter at fault, when one is"}},
}

PUBLIC_SCHEMAS = {
    "SearchHit": HIT, "FacetValue": FACET_VALUE, "SearchSuggestion": SUGGESTION, "SearchResults": SEARCH_RESULTS,
    "CredentialRelation": RELATION, "PublicCredential": CREDENTIAL, "Suggestions": SUGGESTIONS,
    "Suggested": SUGGESTED,
    "Health": HEALTH, "Error": ERROR,
}

# CTDL (catalog/ctdl/): records are JSON-LD objects whose shape the CTDL schema and the SHACL
# shapes in data/ctdl/shapes.ttl describe, not this document.
CTDL_RECORD = {"type": "object", "description": "A CTDL JSON-LD record: `@context`, `@id` and an `@graph` whose "
               "first node is the credential (`ceterms:` terms)", "required": ["@context", "@graph"],
               "properties": {"@context": _STRING, "@id": _STRING, "@graph": {"type": "array", "items": {"type": "object"}}}}
CTDL_PAGE = {"type": "object", "required": ["total", "page", "size", "next", "records"], "properties": {
    "total": {"type": "integer"}, "page": {"type": "integer"}, "size": {"type": "integer"},
    "next": {**_NULLABLE_STRING, "description": "The next page's URL, or null on the last page"},
    "records": {"type": "array", "items": ref("CtdlRecord")}}}
PUBLIC_SCHEMAS.update({"CtdlRecord": CTDL_RECORD, "CtdlPage": CTDL_PAGE})

PUBLIC_PATHS = {
    "/api/v1/search": {"get": {
        "operationId": "searchCredentials", "tags": ["public"], "summary": "Search published credentials",
        "description": "Full-text and faceted search. Facet counts are disjunctive: each facet counts as if "
                       "its own selection were not made. When nothing matches, `did_you_mean` and "
                       "`suggestions` say what would.",
        "parameters": SEARCH_PARAMETERS,
        "responses": {"200": json_response("Hits, facet counts and, on zero hits, suggestions", "SearchResults"),
                      "400": error_response("A parameter that cannot be used; `message` says why"),
                      "429": RATE_LIMITED, "503": UNAVAILABLE},
    }},
    "/api/v1/credentials/{credential_id}": {"get": {
        "operationId": "getPublicCredential", "tags": ["public"], "summary": "A published credential",
        "parameters": [{"name": "credential_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
        "responses": {"200": json_response("Its public fields (never contributor notes)", "PublicCredential"),
                      "404": error_response("No published credential has this id (drafts, never-published archives)"),
                      "410": error_response("Archived; the message names it as it was last published"),
                      "429": RATE_LIMITED},
    }},
    "/api/v1/ctdl/credentials": {"get": {
        "operationId": "harvestCtdlCredentials", "tags": ["public"],
        "summary": "Every published credential as a CTDL record, a page at a time",
        "description": "In id order; follow `next` (also sent as a `Link: rel=next` header) to the end.",
        "parameters": [
            {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
                                                                           "maximum": 1000000, "default": 1}},
            {"name": "size", "in": "query", "required": False,
             "description": "Records per page; more than the maximum (100) gives the maximum.",
             "schema": {"type": "integer", "minimum": 1, "default": 50}},
        ],
        "responses": {"200": json_response("A page of CTDL records", "CtdlPage"),
                      "400": error_response("A bad page or size"), "429": RATE_LIMITED},
    }},
    "/credentials/{credential_id}.jsonld": {"get": {
        "operationId": "getCtdlCredential", "tags": ["public"], "summary": "A published credential as CTDL JSON-LD",
        "description": "Also `GET /credentials/{credential_id}` with `Accept: application/ld+json`.",
        "parameters": [{"name": "credential_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
        "responses": {"200": {"description": "The CTDL record",
                              "content": {"application/ld+json": {"schema": ref("CtdlRecord")}}},
                      "404": error_response("No published credential has this id"),
                      "410": error_response("Archived; the message names it as it was last published")},
    }},
    "/api/v1/autocomplete/{vocabulary}": {"get": {
        "operationId": "autocomplete", "tags": ["public"], "summary": "Suggestions while typing",
        "parameters": [
            {"name": "vocabulary", "in": "path", "required": True,
             "schema": {"type": "string", "enum": list(AUTOCOMPLETE_TARGETS)}},
            {"name": "q", "in": "query", "required": False, "allowEmptyValue": True,
             "schema": {"type": "string", "maxLength": AUTOCOMPLETE_MAX_TEXT}},
            {"name": "size", "in": "query", "required": False, "allowEmptyValue": True,
             "description": "How many suggestions; empty means 10, more than the maximum (50) gives the maximum.",
             "schema": {"type": "integer", "minimum": 1, "default": 10}},
            {"name": "from", "in": "query", "required": False, "allowEmptyValue": True,
             "description": "How many matches to skip, to page through them (\"Show more\"): `from=50&size=50` "
                            "is the second page of 50. Pages never overlap; `total` counts every match.",
             "schema": {"type": "integer", "minimum": 0, "maximum": AUTOCOMPLETE_MAX_OFFSET, "default": 0}},
            {"name": "exclude", "in": "query", "required": False, "style": "form", "explode": True,
             "description": "Ids to leave out (repeat, or separate with commas)",
             "schema": {"type": "array", "items": _STRING}},
        ],
        "responses": {"200": json_response("Suggestions, best first", "Suggestions"),
                      "400": error_response("A bad q, size or from"),
                      "404": error_response("Unknown vocabulary"),
                      "429": RATE_LIMITED, "503": UNAVAILABLE},
    }},
    "/api/v1/suggest/skills": _suggest_path(
        "skills", "occupation", "51-4121.00", OCCUPATION_PATTERN, "Skills for O*NET-SOC occupations (ESCO via the crosswalk, and O*NET)"),
    "/api/v1/suggest/occupations": _suggest_path(
        "occupations", "cip", "51.3801", CIP_PATTERN, "Occupations for CIP 2020 programmes (the CIP-SOC crosswalk)"),
    "/api/v1/suggest/programs": _suggest_path(
        "programs", "occupation", "29-1141.00", OCCUPATION_PATTERN, "CIP 2020 programmes for O*NET-SOC occupations (the crosswalk read back)"),
    "/healthz": {"get": {
        "operationId": "health", "tags": ["public"], "summary": "Database, Redis and OpenSearch status",
        "responses": {"200": json_response("Everything is up", "Health"),
                      "503": json_response("Something is down or slow", "Health")},
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "openapi", "tags": ["public"], "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.0.3", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}
