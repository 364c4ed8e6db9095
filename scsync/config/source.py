"""One loaded config file: its path relative to the config directory, its source map, and the
making of located problems (``PATH:LINE:COL: ADDRESS FIELD: MESSAGE``).

A file read from disk drops its source map once loaded (``release``): a map holds an entry per
YAML node, as much memory as the values. A location asked for later (a plan-time problem)
parses the file again, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scsync.errors import Location, Problem

if TYPE_CHECKING:  # the parser only when a released map is needed again
    from scsync.config.yamlfast import Path_, Pos

RENDERED_NOTE = " (the line is in the rendered text)"


@dataclass(slots=True)
class Source:
    """A parsed file: ``path`` as shown to users, ``positions`` from the YAML walk."""

    path: str
    positions: dict[Path_, Pos] = field(default_factory=dict)
    template: bool = False
    lines: list[str] = field(default_factory=list)
    file: Path | None = None
    """The file on disk whose text this is, when the map can be made again from it (not for a
    rendered template)."""

    def release(self) -> None:
        """Drop the source map of a file that can be parsed again (see the module docstring)."""
        if self.file is not None:
            self.positions, self.lines = {}, []

    def _positions(self) -> dict[Path_, Pos]:
        if not self.positions and self.file is not None:
            from scsync.config.yamlfast import YamlProblem, load

            try:
                self.positions = load(self.file.read_text(encoding="utf-8-sig")).positions
            except (OSError, UnicodeError, YamlProblem):  # changed since: the file's start
                self.file = None
        return self.positions

    def location(self, path: Path_, *, at_key: bool = False) -> Location:
        """Where ``path`` is (its value, or its key), falling back to the nearest parent."""
        positions = self._positions()
        while path not in positions and path:
            path = path[:-1]
        pos = positions.get(path)
        if pos is None:
            return Location(self.path, 1, 1)
        line, col = (pos[0], pos[1]) if at_key else (pos[2], pos[3])
        return Location(self.path, line, col)

    def problem(self, message: str, path: Path_, *, address: str = "", field: str = "",
                at_key: bool = False) -> Problem:
        """A problem located at ``path``; ``warning: `` messages become warnings."""
        warning = message.startswith("warning: ")
        text = message.removeprefix("warning: ")
        if self.template:
            text += RENDERED_NOTE
        return Problem(text, self.location(path, at_key=at_key), address, field, warning)

    def at(self, message: str, line: int, col: int) -> Problem:
        """A problem about the file itself at a raw position."""
        text = message + (RENDERED_NOTE if self.template else "")
        return Problem(text, Location(self.path, line, col))

    def raw_line(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""
