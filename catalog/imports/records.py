"""What every import source hands the pipeline, and what the pipeline hands back.

A source (a spreadsheet, a CTDL graph) turns each of its records into an `ImportRecord`: the
record's position (a spreadsheet's line number) and its cells as (field, column, raw value),
where `field` is one of catalog.imports.mapping.FIELDS and `column` is what the report shows the
person who has to fix it (a header, a JSON path). The pipeline answers with a `RowResult` per
record and a `Report`.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict:
        return {"column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class ImportRecord:
    row: int
    cells: list[tuple[str, str, object]] = field(default_factory=list)

    def values(self, name: str) -> list[tuple[str, object]]:
        """(column, raw value) of every cell mapped to the field `name`, in column order."""
        # Indexed once per record: mapping asks for each of some thirty fields, several times.
        by_field = self.__dict__.get("_by_field")
        if by_field is None or by_field[0] is not self.cells or by_field[1] != len(self.cells):
            index: dict[str, list] = {}
            for f, column, value in self.cells:
                index.setdefault(f, []).append((column, value))
            by_field = self.__dict__["_by_field"] = (self.cells, len(self.cells), index)
        return list(by_field[2].get(name, ()))

    def first(self, name: str) -> tuple[str, object]:
        """The first non-empty cell of a field, or ("", None)."""
        for column, value in self.values(name):
            if value not in (None, "") and not (isinstance(value, str) and not value.strip()):
                return column, value
        return (self.values(name) or [("", None)])[0]

    def column(self, name: str) -> str:
        return ", ".join(dict.fromkeys(c for c, _ in self.values(name))) or name


STATUSES = ("created", "updated", "unchanged", "failed")


@dataclass
class RowResult:
    row: int
    status: str
    id: int | None = None
    name: str = ""
    problems: list[Problem] = field(default_factory=list)
    suggested_occupations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        item = {"row": self.row, "id": self.id, "status": self.status, "name": self.name,
                "problems": [p.as_dict() for p in self.problems]}
        if self.suggested_occupations:
            item["suggested_occupations"] = self.suggested_occupations
        return item
