"""The Python API of scsync: what the CLI and tests call. Each operation takes plain arguments
and returns values; errors are ``ScsyncError``s.

For now: ``load`` and ``validate`` (offline) and ``config_schema``. Plan, apply, drift and export
build on ``load``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scsync.config import Config, load_config
from scsync.errors import ConfigError, Problem
from scsync.resources import Kind


def load(root: Path, *, var_files: Sequence[Path] = ()) -> Config:
    """The validated config of one account directory (raises ``ConfigError``)."""
    return load_config(root, var_files=var_files)


@dataclass(frozen=True, slots=True)
class Validated:
    """The result of validating one account directory."""

    root: Path
    counts: dict[Kind, int]
    warnings: tuple[Problem, ...]

    def summary(self) -> str:
        parts = [_plural(self.counts[Kind.PROFILE], "profile"),
                 _plural(self.counts[Kind.TOPIC], "topic"),
                 _plural(self.counts[Kind.PROFILE_GROUP], "profile group"),
                 _plural(self.counts[Kind.USER], "user")]
        return f"Configuration is valid: {', '.join(parts)}."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def validate(roots: Sequence[Path], *, var_files: Sequence[Path] = ()) -> list[Validated]:
    """Validate every account directory; raises one ``ConfigError`` with every problem of all."""
    results: list[Validated] = []
    problems: list[Problem] = []
    for root in roots:
        try:
            config = load(root, var_files=var_files)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        counts = {kind: config.count(kind) for kind in Kind}
        results.append(Validated(root, counts, tuple(config.warnings)))
    if [p for p in problems if not p.warning]:
        raise ConfigError(problems)
    return results


def config_schema() -> str:
    """The JSON Schema of config files, as committed in ``schemas/scsync.schema.json``."""
    from scsync.config.schema import build_schema

    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
