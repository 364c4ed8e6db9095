"""Where config defines each field of one object (``Locations``), worked out from its file's
source map when first asked: for a plan without problems, never. The config cache stores the
file and the object's path instead of the locations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scsync.errors import Location
from scsync.resources import FLOW_FIELDS, FLOW_LIST_FIELDS, Kind

if TYPE_CHECKING:
    from scsync.config.source import Source
    from scsync.config.yamlfast import Path_

# Lists whose items get a location of their own (a flow reference, a stream, a group member).
_ITEM_LISTS = (*FLOW_LIST_FIELDS, "streams", "profiles", "groups")


class Locations(Mapping[str, Location]):
    """The locations of one object's fields in ``source``, worked out on first use."""

    __slots__ = ("kind", "fields", "previous", "source", "name", "_found")

    def __init__(self, kind: Kind, fields: dict[str, Any], previous: tuple[str, ...],
                 source: Source, name: str) -> None:
        self.kind, self.fields, self.previous = kind, fields, previous
        self.source, self.name = source, name
        self._found: dict[str, Location] | None = None

    @property
    def base(self) -> Path_:
        """The object's path in its file: (section, name)."""
        return (self.kind.config_section, self.name)

    def _all(self) -> dict[str, Location]:
        if self._found is None:
            base = self.base
            found = _locations(self.kind, self.fields, self.source, base)
            for index in range(len(self.previous)):
                found[f"previous_names[{index}]"] = self.source.location(
                    (*base, "previous_names", index))
            self._found = found
        return self._found

    def __getitem__(self, path: str) -> Location:
        return self._all()[path]

    def __contains__(self, path: object) -> bool:
        return path in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _locations(kind: Kind, fields: dict[str, Any], source: Source,
               base: Path_) -> dict[str, Location]:
    found = {"": source.location(base, at_key=True)}
    for field, value in fields.items():
        if field == "name" and kind is not Kind.PROFILE:
            continue  # the object's key is its name
        path = (*base, *field.split(".")) if field.startswith("social_links.") else (*base, field)
        found[field] = source.location(path)
        if field in FLOW_FIELDS:
            continue
        if isinstance(value, list) and field in _ITEM_LISTS:
            for index in range(len(value)):
                suffix = ".flow" if field in FLOW_LIST_FIELDS else ""
                found[f"{field}[{index}]{suffix}"] = source.location(
                    (*base, field, index, *(("flow",) if suffix else ())))
    return found
