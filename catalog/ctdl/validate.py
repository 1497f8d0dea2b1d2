"""Checking CTDL records offline: JSON shape, JSON-LD expansion, SHACL shapes.

1. JSON checks that need the JSON itself: a record is an object, a CTID is there, texts are
   language maps. Each problem names its JSON path.
2. pyld expands the record with the bundled context (data/ctdl/ctdl-context.json) through a
   document loader that answers the context URL, over http or https, from the file: nothing is
   ever fetched. A term the context does not define would be dropped by expansion; that is
   reported as a warning (real records use a few, such as `creditUnitValue`).
3. pyshacl checks the RDF against data/ctdl/shapes.ttl: required properties, the CTID pattern,
   language maps, alignment objects, one status, a concrete credential subclass. Results are
   mapped back to JSON paths through the node's @id.

`validate_document` returns problems as {"path", "reason", "level"}; `level` "error" fails.
"""
from __future__ import annotations

import json
from functools import lru_cache

from catalog.ctdl.export import CONTEXT_URL
from catalog.ctdl.reading import C
from store.ctids import CTID_PATTERN
from store.settings import REPO_ROOT

CONTEXT_FILE = REPO_ROOT / "data" / "ctdl" / "ctdl-context.json"
SHAPES_FILE = REPO_ROOT / "data" / "ctdl" / "shapes.ttl"
CONTEXT_URLS = {CONTEXT_URL, CONTEXT_URL.replace("https://", "http://"), CONTEXT_URL + "/"}
CTDL_PREFIXES = {"ceterms", "ceasn", "qdata", "asn"}
LANGUAGE_MAPS = (C + "name", C + "description", C + "alternateName", C + "keyword")


class ContextNotBundled(Exception):
    pass


@lru_cache(maxsize=1)
def bundled_context() -> dict:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def document_loader(url: str, options=None) -> dict:
    """pyld's loader: the CTDL context from the bundled file; anything else is refused, not fetched."""
    if url in CONTEXT_URLS:
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": bundled_context()}
    raise ContextNotBundled(f"{url} is not the CTDL context; only the bundled context is used, nothing is fetched")


@lru_cache(maxsize=1)
def shapes_graph():
    from rdflib import Graph

    return Graph().parse(SHAPES_FILE, format="turtle")


def _problem(path: str, reason: str, level: str = "error") -> dict:
    return {"path": path, "reason": reason, "level": level}


def json_problems(document) -> list[dict]:
    """What can be said from the JSON alone, with paths."""
    if not isinstance(document, dict):
        return [_problem("$", f"a CTDL record must be a JSON object, not {type(document).__name__}")]
    problems = []
    context = document.get("@context")
    if context is None:
        problems.append(_problem("$.@context", f"missing: use {CONTEXT_URL!r}"))
    elif isinstance(context, str) and context not in CONTEXT_URLS:
        problems.append(_problem("$.@context", f"{context[:80]!r} is not the CTDL context {CONTEXT_URL!r}"))
    graph = document.get("@graph")
    nodes = [("$", document)] if graph is None else (
        [(f"$.@graph[{i}]", n) for i, n in enumerate(graph)] if isinstance(graph, list) else [])
    if graph is not None and not isinstance(graph, list):
        problems.append(_problem("$.@graph", "must be a list of nodes"))
    for path, node in nodes:
        if not isinstance(node, dict):
            problems.append(_problem(path, f"a node must be an object, not {type(node).__name__}"))
            continue
        blank = isinstance(node.get("@id"), str) and node["@id"].startswith("_:")
        if not blank:
            ctid = node.get(C + "ctid")
            if ctid is None:
                problems.append(_problem(f"{path}.ceterms:ctid", "missing: a record needs a CTID (ce- and a UUID)"))
            elif not isinstance(ctid, str) or not CTID_PATTERN.fullmatch(ctid):
                problems.append(_problem(f"{path}.ceterms:ctid", f"{str(ctid)[:60]!r} is not ce- followed by a UUID"))
        for key in LANGUAGE_MAPS:
            value = node.get(key)
            if value is not None and not isinstance(value, dict):
                problems.append(_problem(f"{path}.{key}", "must be a language map such as {\"en-US\": \"...\"}, "
                                                          f"not {type(value).__name__}"))
    return problems


def _with_context(document: dict) -> dict:
    """The document with the context URL in its https form, and without the envelope's own @id:
    with it, the @graph would be a named graph, and the shapes look at the default graph."""
    document = {k: v for k, v in document.items() if not (k == "@id" and "@graph" in document)}
    context = document.get("@context")
    if isinstance(context, str) and context in CONTEXT_URLS:
        return {**document, "@context": CONTEXT_URL}
    return document


def expansion_problems(document: dict) -> tuple[list[dict], list | None]:
    from pyld import jsonld

    try:
        expanded = jsonld.expand(_with_context(document), {"documentLoader": document_loader})
    except Exception as exc:  # noqa: BLE001 - pyld raises JsonLdError and others; any is a bad record
        cause = getattr(exc, "cause", None) or exc
        return [_problem("$", f"not valid JSON-LD with the CTDL context: {str(cause)[:300]}")], None
    problems = []
    for path, key in _unknown_terms(document):
        problems.append(_problem(path, f"{key} is not a CTDL term; JSON-LD processors drop it", "warning"))
    return problems, expanded


def _unknown_terms(document: dict):
    context = bundled_context()["@context"]
    graph = document.get("@graph")
    nodes = [("$", document)] if graph is None else [(f"$.@graph[{i}]", n) for i, n in enumerate(graph or [])]

    def walk(path, value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("@"):
                    continue
                prefix = key.split(":", 1)[0]
                # CTDL's own prefixes list every term; a term of another vocabulary (schema:, qdata:
                # where not listed) is fine when its prefix is known.
                if key not in context and (prefix in CTDL_PREFIXES or prefix not in context or prefix == key):
                    yield f"{path}.{key}", key
                elif key in context and isinstance(context[key], dict) and context[key].get("@container") == "@language":
                    continue
                yield from walk(f"{path}.{key}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(f"{path}[{i}]", item)

    for path, node in nodes:
        if isinstance(node, dict):
            yield from walk(path, node)


def shacl_problems(document: dict) -> list[dict]:
    from pyld import jsonld
    from pyshacl import validate
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF, SH

    nquads = jsonld.to_rdf(_with_context(document), {"documentLoader": document_loader,
                                                    "format": "application/n-quads"})
    # Without the envelope's @id every triple is in the default graph, so N-Triples reads them all.
    data = Graph().parse(data=nquads, format="nt") if nquads.strip() else Graph()
    _mark_credential_records(data)
    conforms, results, _ = validate(data, shacl_graph=shapes_graph(), allow_warnings=True)
    if conforms:
        return []
    paths = _node_paths(document)
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, result) in results:
            continue  # why a nested shape (sh:or, sh:node) failed: its parent result says it
        focus = results.value(result, SH.focusNode)
        prop = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        where = paths.get(str(focus)) if isinstance(focus, URIRef) else _parent_path(data, focus, paths)
        if isinstance(prop, URIRef):
            where = f"{where or '$'}.{_compact(prop)}"
        problems.append(_problem(where or "$", str(message or "does not match the CTDL shapes"),
                                 "warning" if severity in (SH.Warning, SH.Info) else "error"))
    return sorted(problems, key=lambda p: (p["path"], p["reason"]))


CREDENTIAL_RECORD = "https://credential-catalog.example/shapes/CredentialRecord"


@lru_cache(maxsize=1)
def _credential_classes() -> frozenset[str]:
    from catalog.ctdl.types import subclasses

    return frozenset(f"https://purl.org/ctdl/terms/{c.split(':', 1)[1]}" for c in [*subclasses(), "ceterms:Credential"])


def _mark_credential_records(data) -> None:
    """Type every credential node that has an IRI as cc:CredentialRecord, the shapes' target.

    (A SHACL-SPARQL target would say the same, but pyshacl parses its query on every call, which
    took a second per record.)"""
    from rdflib import URIRef
    from rdflib.namespace import RDF

    classes = _credential_classes()
    for subject, cls in list(data.subject_objects(RDF.type)):
        if isinstance(subject, URIRef) and str(cls) in classes:
            data.add((subject, RDF.type, URIRef(CREDENTIAL_RECORD)))


def _compact(iri) -> str:
    text = str(iri)
    for prefix, base in (("ceterms", "https://purl.org/ctdl/terms/"),
                         ("@type", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")):
        if text.startswith(base):
            return prefix if prefix == "@type" else f"{prefix}:{text[len(base):]}"
    return text


def _node_paths(document: dict) -> dict[str, str]:
    graph = document.get("@graph")
    nodes = [("$", document)] if graph is None else [(f"$.@graph[{i}]", n) for i, n in enumerate(graph or [])]
    return {n["@id"]: path for path, n in nodes if isinstance(n, dict) and isinstance(n.get("@id"), str)}


def _parent_path(data, node, paths: dict[str, str]) -> str | None:
    """A nested (blank) node's path, through the top-level node that holds it."""
    for subject, predicate in data.subject_predicates(node):
        if str(subject) in paths:
            return f"{paths[str(subject)]}.{_compact(predicate)}[*]"
    return None


def validate_document(document) -> list[dict]:
    """Problems of one record, or of each record in a JSON list of them (paths `$[i]...`)."""
    if isinstance(document, list):
        return [{**p, "path": f"$[{i}]" + p["path"][1:]} for i, item in enumerate(document)
                for p in validate_document(item)]
    problems = json_problems(document)
    if not isinstance(document, dict) or any(p["path"] in ("$", "$.@context", "$.@graph") for p in problems):
        return problems
    found, expanded = expansion_problems(document)
    problems += found
    if expanded is not None:
        problems += shacl_problems(document)
    return problems


def is_valid(problems: list[dict]) -> bool:
    return not any(p["level"] == "error" for p in problems)
