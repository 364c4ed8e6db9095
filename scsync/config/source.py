"""One loaded config file: its path relative to the config directory, its source map, and the
making of located problems (``PATH:LINE:COL: ADDRESS FIELD: MESSAGE``).

A load makes no source map (a map holds an entry per YAML node, as much memory as the values):
the first location asked for parses the file's text again, with positions, once. A file read
from disk drops its text once loaded (``release``) and is read again for a location asked later
(a plan-time problem); a rendered template keeps its rendered text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scsync.errors import Location, Problem

if TYPE_CHECKING:  # the parser only when a map is needed
    from scsync.config.yamlfast import Path_, Pos

RENDERED_NOTE = " (the line is in the rendered text)"


class Source:
    """A parsed file: ``path`` as shown to users, ``positions`` from the YAML walk (made on
    first use from ``text``, or from ``file`` once the text is released)."""

    # a plain class, not a dataclass: creating a dataclass compiles its methods (~0.4 ms a start)
    __slots__ = ("path", "positions", "template", "text", "file")
    path: str
    positions: dict[Path_, Pos]
    template: bool
    text: str | None
    """The text the values were parsed from (a template's rendered text), while kept."""
    file: Path | None
    """The file on disk whose text this is, when the map can be made again from it (not for a
    rendered template)."""

    def __init__(self, path: str, positions: dict[Path_, Pos] | None = None,
                 template: bool = False, text: str | None = None,
                 file: Path | None = None) -> None:
        self.path = path
        self.positions = {} if positions is None else positions
        self.template = template
        self.text = text
        self.file = file

    def release(self) -> None:
        """Drop the text and source map of a file that can be read again (see the module
        docstring)."""
        if self.file is not None:
            self.positions, self.text = {}, None

    def _positions(self) -> dict[Path_, Pos]:
        if not self.positions and (self.text is not None or self.file is not None):
            from scsync.config.yamlfast import YamlProblem, load

            try:
                text = self.text
                if text is None and self.file is not None:
                    text = self.file.read_text(encoding="utf-8-sig")
                if text is not None:
                    self.positions = load(text).positions
            except (OSError, UnicodeError, YamlProblem):  # changed since: the file's start
                self.file = self.text = None
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
        """Line ``line`` of the kept text ("" once released)."""
        lines = (self.text or "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""
