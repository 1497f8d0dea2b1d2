"""Reading CTDL input: single records, `@graph` envelopes, lists, JSON lines, and directories.

Each credential found becomes an `Incoming` with the blank and other nodes of its graph that it
refers to (all of them when the graph describes one credential), so import can keep them. What
cannot be read (not JSON, too large, not an object) becomes an `Incoming` carrying the reason,
and the files after it are still read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from catalog.ctdl.types import is_credential_type

MAX_FILE_BYTES = 10 * 1024 * 1024
SUFFIXES = (".json", ".jsonld", ".jsonl", ".ndjson")


@dataclass
class Incoming:
    where: str                      # file, and line or graph position
    record: dict | None = None      # the credential node
    nodes: list[dict] = field(default_factory=list)
    error: str | None = None        # why nothing could be read here
    path: str = ""                  # JSON path of the record in its file


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            yield path


def read_paths(paths: Iterable[str | Path]) -> Iterator[Incoming]:
    for path in expand_paths(paths):
        yield from read_file(path)


def read_file(path: Path) -> Iterator[Incoming]:
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield Incoming(name, error=f"cannot read the file: {exc.strerror or exc}")
        return
    if size > MAX_FILE_BYTES:
        yield Incoming(name, error=f"the file is {size / 1048576:.1f} MB; the limit is "
                                   f"{MAX_FILE_BYTES // 1048576} MB per file (split it, or use JSON lines)")
        return
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Incoming(name, error=f"not UTF-8 text (byte {exc.start})")
        return
    yield from read_text(text, name, lines=path.suffix.lower() in (".jsonl", ".ndjson"))


def read_text(text: str, name: str, lines: bool = False) -> Iterator[Incoming]:
    if lines:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                yield from _parsed(line, f"{name}:{number}")
        return
    yield from _parsed(text, name)


def _parsed(text: str, where: str) -> Iterator[Incoming]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Incoming(where, error=f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        return
    except RecursionError:
        yield Incoming(where, error="not JSON this program can read: nested too deeply")
        return
    yield from split_document(value, where)


def split_document(value, where: str, path: str = "$") -> Iterator[Incoming]:
    """The credentials in one parsed JSON value."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from split_document(item, f"{where}[{i}]", f"{path}[{i}]")
        return
    if not isinstance(value, dict):
        yield Incoming(where, error=f"expected a JSON object (a CTDL record), found {type(value).__name__}", path=path)
        return
    if isinstance(value.get("decoded_resource"), dict):  # a Registry envelope
        yield from split_document(value["decoded_resource"], where, path + ".decoded_resource")
        return
    graph = value.get("@graph")
    if graph is None:
        yield _credential(value, [], where, path)
        return
    if not isinstance(graph, list):
        yield Incoming(where, error="@graph must be a list of nodes", path=path + ".@graph")
        return
    nodes = [(i, n) for i, n in enumerate(graph) if isinstance(n, dict)]
    credentials = [(i, n) for i, n in nodes if _is_credential(n)]
    if not credentials:
        yield Incoming(where, error="the @graph holds no credential (no node has a credential @type)", path=path)
        return
    others = [n for i, n in nodes if not _is_credential(n)]
    for i, node in credentials:
        related = others if len(credentials) == 1 else _referenced(node, others)
        yield _credential(node, related, f"{where} @graph[{i}]", f"{path}.@graph[{i}]")


def _is_credential(node: dict) -> bool:
    """A credential record of its own; a `_:` credential is a target another record describes."""
    if isinstance(node.get("@id"), str) and node["@id"].startswith("_:"):
        return False
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and is_credential_type(t) for t in types)


def _credential(node: dict, nodes: list[dict], where: str, path: str) -> Incoming:
    return Incoming(where, record=node, nodes=nodes, path=path)


def _referenced(node: dict, others: list[dict]) -> list[dict]:
    """The nodes `node` names by @id, and the nodes those name, in graph order."""
    by_id = {n.get("@id"): n for n in others if isinstance(n.get("@id"), str)}
    wanted: set[str] = set()
    frontier = [node]
    while frontier:
        strings = set(_strings(frontier.pop()))
        for ref in strings & by_id.keys() - wanted:
            wanted.add(ref)
            frontier.append(by_id[ref])
    return [n for n in others if n.get("@id") in wanted]


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
