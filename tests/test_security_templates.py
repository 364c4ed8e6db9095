"""Templates cannot exhaust the machine: every operation that grows a value is refused before it
runs, printed values and the rendered text are capped, and a render has a time budget checked on
every loop step, call, filter and operator; each breach is an error naming the template line.
(The one-line cases live in the bad-input corpus, tests/configs/invalid/template-*.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scsync.config import templates
from scsync.config.templates import TemplateProblem, render

TOO_LARGE = "the result of {} would be too large (over 1,000,000 characters or items)"
GROWTH = {
    "list extend": ("{% set l = [1] %}{% for i in range(64) %}{% set _ = l.extend(l) %}"
                    "{% endfor %}", TOO_LARGE.format("extend")),
    "nested repeat": ("{{ [[1] * 999999] * 999999 }}", TOO_LARGE.format("*")),
    "batch": ("{{ [1]|batch(2000000000, 'x')|list }}", TOO_LARGE.format("batch")),
    "slice": ("{{ [1]|slice(2000000000)|list }}", TOO_LARGE.format("slice")),
    "join": ("{{ ('x' * 999999)|list|join('y' * 999999) }}", TOO_LARGE.format("join")),
    "str join": ("{{ ('y' * 999999).join('x' * 999999) }}", TOO_LARGE.format("join")),
    "format star": ("{{ '%*d' % (2000000000, 1) }}", TOO_LARGE.format("%")),
    "nested format": ("{{ '{:>{}}'.format(1, 2000000000) }}", TOO_LARGE.format("format")),
    "format_map": ("{{ '{x:>2000000000}'.format_map({'x': 1}) }}", TOO_LARGE.format("format")),
    "format filter": ("{{ '%2000000000d'|format(1) }}", TOO_LARGE.format("%")),
    "zfill": ("{{ '1'.zfill(2000000000) }}", TOO_LARGE.format("zfill")),
    "expandtabs": ("{{ ('\t' * 1000).expandtabs(2000000) }}", TOO_LARGE.format("expandtabs")),
    "wordwrap": ("{{ ('a ' * 400000)|wordwrap(1, wrapstring='-' * 100) }}",
                 TOO_LARGE.format("wordwrap")),
    "integer squaring": ("{% set n = namespace(v=10) %}{% for i in range(40) %}"
                         "{% set n.v = n.v * n.v %}{% endfor %}",
                         "the result of * would be too large (over 1,000,000 bits)"),
    "power tower": ("{{ (10 ** 10000) ** 10000 }}",
                    "the result of ** would be too large (over 1,000,000 bits)"),
    "printed list": ("{% set l = [1] * 300000 %}{{ [l, l, l] }}",
                     TOO_LARGE.format("printing a value")),
}


def _fails(text: str) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as caught:
        render("topics:\n  # the line below is the one\n  " + text + "\n", "evil.yaml.j2", {})
    return caught.value


@pytest.mark.parametrize("name", GROWTH)
def test_growth_is_refused_before_it_happens(name: str) -> None:
    text, message = GROWTH[name]
    problem = _fails(text)
    assert (problem.line, problem.message) == (3, f"template error: {message} (templates run "
                                                  "sandboxed)")


@pytest.mark.parametrize("text", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for i in range(100000) %}{% for x in ['a'] * 100000 %}{{ '' }}{% endfor %}{% endfor %}",
])
def test_a_render_that_runs_for_ever_ends_at_the_time_budget(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "TIME_BUDGET", 0.2)
    problem = _fails(text)
    assert (problem.line, problem.message) == (
        3, "template error: the template took more than 0.2 s to render (a loop or a recursion "
           "too long?) (templates run sandboxed)")


def test_ordinary_templates_render_as_before() -> None:
    text = ("{% for r in regions %}{{ r|lower }}: {{ '%-4s|' % r }}{{ '{:>3}'.format(loop.index) }}"
            " {{ r|center(6) }}{{ ('a\\nb')|indent(2) }} {{ [r, 'x']|join(',') }}"
            " {{ r ~ '-' ~ r }}{{ r + '!' }} {{ 'ab' * 2 }} {{ 2 ** 10 }}"
            " {{ lipsum(1)|length > 0 }}\n{% endfor %}")
    assert render(text, "t.yaml.j2", {"regions": ["UK", "DE"]}) == (
        "uk: UK  |  1   UK  a\n  b UK,x UK-UKUK! abab 1024 True\n"
        "de: DE  |  2   DE  a\n  b DE,x DE-DEDE! abab 1024 True\n")


WORST = Path(__file__).parent / "configs" / "invalid"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_the_worst_templates_stay_under_500_mb_in_one_process() -> None:
    """Every template of the corpus rendered in one process: its peak resident memory (VmHWM,
    which, unlike ru_maxrss, does not count the memory of the parent it was forked from)."""
    code = (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from scsync.config.templates import TemplateProblem, render\n"
        "for path in sorted(Path(sys.argv[1]).glob('template-*/*.j2')):\n"
        "    try:\n"
        "        render(path.read_text(), path.name, {'regions': ['UK']})\n"
        "    except TemplateProblem:\n"
        "        pass\n"
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1)) // 1024)\n")
    result = subprocess.run([sys.executable, "-c", code, str(WORST)], capture_output=True,
                            text=True, timeout=300, check=True)
    assert int(result.stdout) < 500
