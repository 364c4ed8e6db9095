"""Hostile inputs, tried for real: every class of bad input of docs/reliability.md's table run
through ``python -m scsync`` as a child process, each checked for its exit code, a traceback,
an "internal error", a hang (no exit within ``--timeout`` s) and whatever it should have left
alone, and measured for peak memory (the child's own high-water mark, VmHWM).

``python -m bench.hostile [--doc docs/reliability.md]`` prints the table (and rewrites the block
between the ``hostile:begin``/``hostile:end`` markers of the doc). Exits 1 when any case fails.
Linux only (``os.wait4``, ``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "configs" / "invalid"
SETTINGS = "scsync: 1\nprovider: {type: emulator}\n"
OUTSIDE = "root:x:0:0:root:/root:/bin/bash\nsecret-line-7f3e: do-not-show\n"
MB = 1024 * 1024


@dataclass
class Case:
    """One hostile input: ``args`` of ``python -m scsync`` (or ``code`` for ``python -c``)."""

    group: str
    name: str
    args: list[str]
    expect: int = 1
    env: dict[str, str] = field(default_factory=dict)
    code: str | None = None
    check: Callable[[], bool] = lambda: True  # what must be left alone was left alone


@dataclass
class Outcome:
    case: Case
    code: int | None  # None: killed at the timeout
    output: str
    peak_mb: float
    left_alone: bool = True  # ``case.check()`` right after the run

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.output

    @property
    def internal(self) -> bool:
        return "internal error" in self.output

    @property
    def passed(self) -> bool:
        return (self.code == self.case.expect and not self.traceback and not self.internal
                and self.left_alone)


# Peak memory: the child's VmHWM, written when it exits (ru_maxrss would also count the memory
# of this process at fork time, which exec does not reset).
PEAK = """\
import atexit, os, re
def _peak() -> None:
    with open("/proc/self/status") as status, open(os.environ["HOSTILE_PEAK"], "w") as out:
        out.write(re.search(r"VmHWM:\\s*(\\d+)", status.read()).group(1))
atexit.register(_peak)
"""
SCSYNC = PEAK + "import sys\nsys.argv[0] = 'scsync'\nfrom scsync.cli import main\nmain()\n"


def run(case: Case, work: Path, timeout: float) -> Outcome:
    """The case in a child process, its output in a file (no pipe to fill up)."""
    head = [sys.executable, "-c", PEAK + case.code if case.code else SCSYNC]
    log = work / "out.log"
    peak = work / "peak.kb"
    peak.unlink(missing_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "HOSTILE_PEAK": str(peak), **case.env}
    with log.open("wb") as out:
        child = subprocess.Popen([*head, *case.args], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=work)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.send_signal(signal.SIGKILL)
                _, status, usage = os.wait4(child.pid, 0)
                child.returncode = -9
                return Outcome(case, None, log.read_text(errors="replace"),
                               usage.ru_maxrss / 1024)
            time.sleep(0.02)
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = int(peak.read_text()) if peak.exists() else usage.ru_maxrss
    return Outcome(case, child.returncode, log.read_text(errors="replace"), peak_kb / 1024)


# -- the cases ---------------------------------------------------------------------------------

def _account(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "scsync.yaml").write_text(SETTINGS)
    for name, text in (files or {}).items():
        (path / name).write_text(text)
    return path


def corpus_cases() -> list[Case]:
    return [Case("bad-input corpus (`validate`)", d.name, ["validate", "-C", str(d)])
            for d in sorted(CORPUS.iterdir()) if d.is_dir()]


def special_file_cases(work: Path) -> list[Case]:
    repo = work / "special"
    (repo / ".git").mkdir(parents=True)
    outside = work / "outside.yaml"
    outside.write_text(OUTSIDE)
    cases: list[Case] = []
    plants: dict[str, Callable[[Path], None]] = {
        "FIFO named x.yaml": lambda p: os.mkfifo(p / "x.yaml"),
        "symlink to /dev/zero": lambda p: (p / "zero.yaml").symlink_to("/dev/zero"),
        "symlink to /dev/urandom": lambda p: (p / "random.yaml").symlink_to("/dev/urandom"),
        "symlink out of the repository": lambda p: (p / "passwd.yaml").symlink_to(outside),
        "socket named s.yaml": _socket,
        "symlink loop": _loop,
        "FIFO planted as the config cache": _cache_fifo,
    }
    for index, (name, plant) in enumerate(plants.items()):
        account = _account(repo / f"a{index}")
        plant(account)
        expect = 0 if "cache" in name else 1
        cases.append(Case("special files and symlinks", f"validate: {name}",
                          ["validate", "-C", str(account)], expect))
        if "cache" not in name:
            cases.append(Case("special files and symlinks", f"fmt: {name}",
                              ["fmt", "-C", str(account)],
                              check=lambda: outside.read_text() == OUTSIDE))
    return cases


def _socket(path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path / "s.yaml"))


def _loop(path: Path) -> None:
    (path / "a.yaml").symlink_to("b.yaml")
    (path / "b.yaml").symlink_to("a.yaml")


def _cache_fifo(path: Path) -> None:
    (path / ".scsync" / "cache").mkdir(parents=True)
    os.mkfifo(path / ".scsync" / "cache" / "config.cache")


def oversized_cases(work: Path) -> list[Case]:
    group = "oversized files and configs"
    big = _account(work / "big-sparse")
    with (big / "big.yaml").open("w") as handle:
        handle.write("unknown:\n")
        handle.truncate(50 * MB)
    block = _account(work / "block-list")
    (block / "list.yaml").write_text("unknown:\n" + "".join(f"  - item{i}\n"
                                                            for i in range(262_000)))
    flow = _account(work / "flow-list")
    (flow / "list.yaml").write_text("unknown: [" + "a," * 2_000_000 + "a]\n")
    near = _account(work / "flow-map-at-cap")
    (near / "map.yaml").write_text("unknown: {" + ", ".join(f"k{i}: 1" for i in range(262_000))
                                   + "}\n")
    near_fmt = _account(work / "flow-map-at-fmt-cap")
    (near_fmt / "map.yaml").write_text("unknown: {" + ", ".join(f"k{i}: 1" for i in range(32_000))
                                       + "}\n")
    total = _account(work / "config-over-cap")
    for n in range(10):
        (total / f"t{n}.yaml").write_text("topics: {}\n" + "# padding\n" * 400_000)
    tiny = _account(work / "tiny-objects")
    for n in range(6):
        (tiny / f"t{n}.yaml").write_text("topics:\n" + "".join(f"  t{n}_{i}: {{}}\n"
                                                               for i in range(25_000)))
    return [Case(group, "a 50 MB file", ["validate", "-C", str(big)]),
            Case(group, "fmt: a 50 MB file", ["fmt", "-C", str(big)]),
            Case(group, "262,000-item block list under an unknown key",
                 ["validate", "-C", str(block)]),
            Case(group, "fmt: 262,000-item block list", ["fmt", "--check", "-C", str(block)]),
            Case(group, "fmt: 32,000-key flow mapping (at the round-trip cap)",
                 ["fmt", "-C", str(near_fmt)], 0),
            Case(group, "2,000,000-item flow list", ["validate", "-C", str(flow)]),
            Case(group, "262,000-key flow mapping (at the values cap)",
                 ["validate", "-C", str(near)]),
            Case(group, "40 MB over ten files", ["validate", "-C", str(total)]),
            Case(group, "150,000 empty topics", ["validate", "-C", str(tiny)])]


TEMPLATES = {
    "center": "{{ 'x'|center(2000000000) }}",
    "% width": "{{ '%2000000000d' % 1 }}",
    "% star width": "{{ '%*d' % (2000000000, 1) }}",
    "format width": "{{ '{:>2000000000}'.format(1) }}",
    "nested format width": "{{ '{:>{}}'.format(1, 2000000000) }}",
    "format filter": "{{ '%2000000000d'|format(1) }}",
    "indent": "{{ 'a\\nb'|indent(2000000000) }}",
    "replace": "{{ ('a' * 999999)|replace('a', 'bbbbbbbbbbbbbbbbbbbbbb') }}",
    "~ doubling": "{% set s = namespace(v='x') %}{% for i in range(64) %}"
                  "{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v }}",
    "+ doubling": "{% set s = namespace(v='x') %}{% for i in range(64) %}"
                  "{% set s.v = s.v + s.v %}{% endfor %}{{ s.v }}",
    "list extend doubling": "{% set l = [1] %}{% for i in range(64) %}"
                            "{% set _ = l.extend(l) %}{% endfor %}",
    "nested repeat": "{{ [[1] * 999999] * 999999 }}",
    "ljust": "{{ 'x'.ljust(2000000000) }}",
    "join": "{{ ('x' * 999999)|list|join('y' * 999999) }}",
    "batch": "{{ [1]|batch(2000000000, 'x')|list }}",
    "slice": "{{ [1]|slice(2000000000)|list }}",
    "integer squaring": "{% set n = namespace(v=10) %}{% for i in range(40) %}"
                        "{% set n.v = n.v * n.v %}{% endfor %}",
    "power tower": "{{ (10 ** 10000) ** 10000 }}",
    "lipsum(n=1000000)": "{{ lipsum(n=1000000) }}",
    "output of 100 MB": "{% for i in range(100000) %}{{ 'x' * 999 }}{% endfor %}",
    "nested range(100000) loops": "{% for i in range(100000) %}{% for j in range(100000) %}"
                                  "{% endfor %}{% endfor %}",
    "exponential macro recursion": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}"
                                   "{% endif %}{% endmacro %}{{ f(60) }}",
}


def template_cases(work: Path) -> list[Case]:
    cases = []
    for index, (name, text) in enumerate(TEMPLATES.items()):
        account = _account(work / f"template{index}",
                           {"evil.yaml.j2": f"topics:\n  {text}: {{searchkeywords: x}}\n"})
        cases.append(Case("templates", name, ["validate", "-C", str(account)]))
    return cases


HOSTILE = ("Care\n\n# Pwned ![x](https://evil.example/p.png) [y](https://evil.example) @team"
           " | a | b |\n<img src=x onerror=alert(1)></details>\x1b[2J\u202eevil\u2028end")
LIVE_ONLY = ("Live\n## Injected\n- [link](https://evil.example) @octocat www.evil.example\r\n"
             "<script>alert(1)</script>\x1b]0;title\x07")


def _fixture(**sections: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "emulator_fixture": 1,
        "account": {"id": 1001, "name": "T", "features": {"profile_groups": True}},
        "users": [{"id": 1, "email": "ops@x.example", "name": "Ops", "role": "admin"}],
        "profiles": [{"type": "twitter", "service_id": "Clara"}],
        "topics": [{"id": 1, "name": "Care", "services": []},
                   {"id": 2, "name": LIVE_ONLY, "services": []}],
        "profile_groups": [{"id": 1, "name": LIVE_ONLY, "profiles": []}],
    }
    doc.update(sections)
    return doc


def name_cases(work: Path) -> list[Case]:
    (work / "names-fixture.json").write_text(json.dumps(_fixture()))
    account = work / "names"
    account.mkdir()
    (account / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: emulator\n  fixture: ../names-fixture.json\n"
        "ownership: {topics: authoritative}\nsafety: {max_delete_ratio: 1, max_update_ratio: 1}\n")
    (account / "topics.yaml").write_text(json.dumps({"topics": {
        "Care": {"searchkeywords": "care"}, HOSTILE: {"searchkeywords": "x"}}}))
    return [Case("hostile names (config and live-only)", f"{command} --format {fmt}",
                 [command, "-C", str(account), "--format", fmt], 2 if command == "drift" else 0)
            for command in ("plan", "drift") for fmt in ("text", "markdown", "html", "json")]


BAD_FIXTURES = {
    "topics[].services a string": ("topics", "services", "twitter/Clara"),
    "profiles[].settings a list": ("profiles", "settings", ["color"]),
    "users[].social_links a string": ("users", "social_links", "https://x.example"),
    "topics[].services[] a string": ("topics", "services", ["twitter/Clara"]),
    "users[].email a number": ("users", "email", 7),
}


def fixture_cases(work: Path) -> list[Case]:
    group = "fixtures and provider settings"
    cases = []
    account = _account(work / "fixtures")
    for index, (name, (section, key, value)) in enumerate(BAD_FIXTURES.items()):
        doc = _fixture()
        entries = doc[section]
        assert isinstance(entries, list)
        entries[0] = {**entries[0], key: value}
        path = work / f"fixture{index}.json"
        path.write_text(json.dumps(doc))
        cases.append(Case(group, f"emulator seed: {name}",
                          ["emulator", "seed", "--db", str(work / f"db{index}"), "--fixture",
                           str(path)]))
        cases.append(Case(group, f"plan --live-snapshot: {name}",
                          ["plan", "-C", str(account), "--live-snapshot", str(path)]))
    for index, db in enumerate(["/", ".", "sub/"]):
        root = work / f"provider-path{index}"
        root.mkdir()
        (root / "scsync.yaml").write_text(f"scsync: 1\nprovider:\n  type: emulator\n"
                                          f"  path: {json.dumps(db)}\n")
        cases.append(Case(group, f"provider.path: {db}", ["plan", "-C", str(root)]))
    tokens = {"non-ASCII": "tök€n", "a newline": "tok\nX-Injected: 1", "a space": "tok en",
              "a control character": "tok\x07en"}
    root = work / "tokens"
    root.mkdir()
    (root / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: socialconnect\n  base_url: http://127.0.0.1:9\n"
        "  account_id: 1\n  token: ${env:HOSTILE_TOKEN}\n")
    cases.extend(Case(group, f"a token with {name}", ["plan", "-C", str(root)],
                      env={"HOSTILE_TOKEN": token}) for name, token in tokens.items())
    fifo = work / "fifo.json"
    os.mkfifo(fifo)
    cases.append(Case(group, "emulator seed: a FIFO fixture",
                      ["emulator", "seed", "--db", str(work / "dbf"), "--fixture", str(fifo)]))
    cases.append(Case(group, "show: a FIFO plan file", ["show", str(fifo)]))
    return cases


def write_cases(work: Path) -> list[Case]:
    group = "writes (symlinks, non-account directories)"
    repo = work / "writes"
    (repo / ".git").mkdir(parents=True)
    outside = work / "precious.yaml"
    outside.write_text(OUTSIDE)

    def untouched() -> bool:
        return outside.read_text() == OUTSIDE

    linked = _account(repo / "linked")
    (linked / "passwd.yaml").symlink_to(outside)
    inner = _account(repo / "inner")
    (repo / "shared.yaml").write_text("topics:\n  Care:\n    searchkeywords: \"care\"\n")
    (inner / "topics.yaml").symlink_to(repo / "shared.yaml")
    ci = work / "ci"
    ci.mkdir()
    (ci / ".gitlab-ci.yml").write_text("stages: [test]\n")
    (ci / ".pre-commit-config.yaml").write_text("repos: []\n")
    shutil.copy(ROOT / "examples" / "platform" / "claralines.yaml", work / "claralines.yaml")
    live = work / "live"
    live.mkdir()
    (live / "scsync.yaml").write_text("scsync: 1\nprovider:\n  type: emulator\n"
                                      "  fixture: ../claralines.yaml\n")
    out = work / "out.link"
    out.symlink_to(outside)
    return [Case(group, "fmt: a symlink out of the repository", ["fmt", "-C", str(linked)],
                 check=untouched),
            Case(group, "fmt: a symlink inside the repository", ["fmt", "-C", str(inner)]),
            Case(group, "fmt: a directory without scsync.yaml", ["fmt", "-C", str(ci)]),
            Case(group, "export -o: a directory of other YAML",
                 ["export", "-C", str(live), "-o", str(ci)]),
            Case(group, "plan -o: a symlink", ["plan", "-C", str(live), "-o", str(out)],
                 check=untouched),
            Case(group, "snapshot -o: a symlink", ["snapshot", "-C", str(live), "-o", str(out)],
                 check=untouched),
            Case(group, "groups export -o: a symlink",
                 ["groups", "export", "-C", str(live), "--format", "csv", "-o", str(out)],
                 check=untouched)]


REQUEST = """\
import json, sys
import httpx
from scsync.emulator import open_emulator
doc = {"emulator_fixture": 1, "account": {"id": 1001, "name": "T"},
       "users": [{"id": 1, "email": "ops@x.example", "role": "admin",
                  "tokens": [{"token": "admin-token"}]}]}
app = open_emulator(":memory:", fixture=doc).wsgi
client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://e",
                      headers={"Authorization": "Bearer admin-token"})
depth = int(sys.argv[2]) if len(sys.argv) > 2 else 0
value = {"deep": "[" * depth + "]" * depth, "surrogate": '{"name": "\\\\ud800"}',
         "low surrogate": '{"name": "a\\\\udfffb"}', "nan": '{"name": NaN}',
         "digits": '{"name": ' + "1" * 5000 + "}",
         "int64": '{"name": "x", "project_id": 99999999999999999999}'}[sys.argv[1]]
answer = client.post("/1001/settings/topics", data={"topic": value})
body = answer.json()
print(answer.status_code, body)
sys.exit(0 if answer.status_code == 400 and body["error"] == "invalid_parameter" else 3)
"""


def request_cases() -> list[Case]:
    group = "emulator requests"
    return [Case(group, "JSON nested 100,000 deep", ["deep", "100000"], 0, code=REQUEST),
            Case(group, "JSON nested 1,000,000 deep (a 6 MB body)", ["deep", "1000000"], 0,
                 code=REQUEST),
            Case(group, "a lone high surrogate", ["surrogate"], 0, code=REQUEST),
            Case(group, "a lone low surrogate", ["low surrogate"], 0, code=REQUEST),
            Case(group, "NaN", ["nan"], 0, code=REQUEST),
            Case(group, "a 5,000-digit number", ["digits"], 0, code=REQUEST),
            Case(group, "a project id past 64 bits", ["int64"], 0, code=REQUEST)]


# -- the report --------------------------------------------------------------------------------

def table(outcomes: Sequence[Outcome]) -> str:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.case.group, []).append(outcome)
    lines = ["| class of hostile input | tried | clear error or expected exit | tracebacks | "
             "internal errors | hangs | peak memory (worst case) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for group, found in groups.items():
        worst = max(found, key=lambda o: o.peak_mb)
        lines.append(
            f"| {group} | {len(found)} | {sum(o.passed for o in found)} | "
            f"{sum(o.traceback for o in found)} | {sum(o.internal for o in found)} | "
            f"{sum(o.code is None for o in found)} | {worst.peak_mb:.0f} MB ({worst.case.name}) |")
    worst = max(outcomes, key=lambda o: o.peak_mb)
    lines.append(
        f"| **all** | **{len(outcomes)}** | **{sum(o.passed for o in outcomes)}** | "
        f"**{sum(o.traceback for o in outcomes)}** | **{sum(o.internal for o in outcomes)}** | "
        f"**{sum(o.code is None for o in outcomes)}** | **{worst.peak_mb:.0f} MB** "
        f"({worst.case.group}: {worst.case.name}) |")
    return "\n".join(lines) + "\n"


def rewrite(doc: Path, block: str) -> None:
    text = doc.read_text(encoding="utf-8")
    new = re.sub(r"(<!-- hostile:begin -->\n).*?(<!-- hostile:end -->)",
                 lambda m: m.group(1) + block + m.group(2), text, flags=re.S)
    doc.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doc", type=Path, help="rewrite the hostile:begin/end block here")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scsync-hostile-") as scratch:
        work = Path(scratch)
        cases = [*corpus_cases(), *special_file_cases(work), *oversized_cases(work),
                 *template_cases(work), *name_cases(work), *fixture_cases(work),
                 *write_cases(work), *request_cases()]
        outcomes = []
        for case in cases:
            outcome = run(case, work, args.timeout)
            outcome.left_alone = case.check()
            outcomes.append(outcome)
            if not outcome.passed:
                print(f"FAILED {case.group}: {case.name}: exit {outcome.code}\n{outcome.output}",
                      file=sys.stderr)
            print(f"{outcome.peak_mb:6.0f} MB  exit {outcome.code}  {case.group}: {case.name}",
                  file=sys.stderr)
    report = table(outcomes)
    note = (f"Run of `python -m bench.hostile` on Python {sys.version.split()[0]}, "
            f"{os.uname().sysname} {os.uname().machine}, {os.cpu_count()} CPUs, "
            f"{time.monotonic() - started:.0f} s in all.\n\n")
    print(note + report, end="")
    if args.doc:
        rewrite(args.doc, note + report)
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
