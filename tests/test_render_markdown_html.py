"""The Markdown comment (order of sections, escaping, truncation) and the HTML page (structure,
hooks for browser tests, filters, self-containment, escaping)."""

from __future__ import annotations

from html.parser import HTMLParser

from scsync.plan.model import Change, HealthItem, Plan
from scsync.plan.render import MARKDOWN_LIMIT, render, render_many
from tests.plan_factories import sample_plan
from tests.test_render import big_plan
from tests.test_render_text import make_plan, update


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), and the text of the page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(
            value in (a.get(name) or "").split() or a.get(name) == value
            for name, value in attrs.items())]


def test_markdown_puts_the_summary_then_destroys_then_expired_streams_then_objects() -> None:
    text = render(sample_plan(), "markdown")
    assert text.startswith(
        "**Plan: 3 to add, 4 to change, 5 to destroy.**\n\n"
        "> **Refused:** apply will make none of these changes until what follows is resolved.\n"
        ">\n"
        "> - **Error:** topic.Spring Sale is protected by \\`protect:\\` in scsync.yaml and would "
        "be deleted (keep it in the config, or remove it from \\`protect:\\` to delete it)\n"
        "> - **Error:** Too many deletes of topics: 4 of 11 (36%) is over 30% (use --force to "
        "apply anyway)\n\n"
        "#### Destroys\n- `-` `profile_group.Legacy` will be destroyed\n")
    assert "- `!` `topic.Spring Sale` is protected and will NOT be destroyed\n" in text
    order = [text.index(s) for s in ("**Refused:**", "#### Destroys", "#### Expired streams",
                                     "#### Health", "#### Changes", "#### API calls")]
    assert order == sorted(order)
    assert text.count("<details><summary>") == len(sample_plan().changes)
    assert ("API calls: 12 writes + up to 18 reads (stale check and verification) = 30 (rate "
            "limit: 4 of 350 calls left in this window: does not fit, apply waits for the reset "
            "at 2026-11-22 10:30 UTC)\n" in text)
    assert text.count("**Error:** Too many deletes") == 1


def test_markdown_fences_and_escapes_user_text() -> None:
    plan = make_plan(update("topic.<b>x</b>", ("searchkeywords", "a ``` b", "c")),
                     health=[HealthItem(kind="plan_warning", severity="warning",
                                        message="*bold* <img src=x>")])
    text = render(plan, "markdown")
    assert "<code>topic.&lt;b&gt;x&lt;/b&gt;</code>" in text
    assert "````diff\n~ searchkeywords = <<~EOT\n-   a ``` b\n+   c\n    EOT\n````\n" in text
    assert "- **Warning:** \\*bold\\* &lt;img src=x&gt;\n" in text


def test_markdown_of_a_big_plan_is_cut_with_a_marker_naming_the_full_plan() -> None:
    full = render(big_plan(), "markdown", full_plan_hint="x")
    assert len(render(big_plan(100), "markdown")) <= MARKDOWN_LIMIT  # fits: no marker
    assert "Truncated" not in render(big_plan(100), "markdown")
    assert len(full) <= MARKDOWN_LIMIT
    assert len(full) > MARKDOWN_LIMIT - 2_000  # uses the room it has
    assert "Full plan: x.\n" in full
    assert "- … and 272 more (truncated)\n" in full
    assert "Full plan: run `scsync plan` locally.\n" in render(big_plan(), "markdown")


def test_markdown_of_several_accounts() -> None:
    text = render_many([("a", make_plan(update("topic.A", ("name", "a", "b")))),
                        ("b", make_plan())], "markdown")
    assert text.startswith("**Total: 0 to add, 1 to change, 0 to destroy.**\n\n### `a`\n\n"
                           "**Plan: 0 to add, 1 to change, 0 to destroy.**\n")
    assert "### `b`\n\n**Plan: 0 to add, 0 to change, 0 to destroy.**\n\nNo changes." in text


def test_html_is_one_self_contained_page_with_the_summary_first() -> None:
    html = render(sample_plan(), "html")
    page = Elements(html)
    assert html.startswith("<!DOCTYPE html>")
    assert not page.having("link") and not page.having("img")
    assert all("src" not in attrs for _, attrs in page.tags)
    assert all(a["href"].startswith("#") for a in page.having("a"))
    body = [tag for tag, _ in page.tags]
    assert body[body.index("body") + 1] == "header"
    assert page.having("header", id="summary")
    assert "Plan: 3 to add, 4 to change, 5 to destroy." in "".join(page.text)


def test_html_objects_carry_kind_and_action_and_field_diffs() -> None:
    plan = sample_plan()
    page = Elements(render(plan, "html"))
    objects = page.having("details", **{"class": "object"})
    assert [(o["data-kind"], o["data-action"], o["data-address"]) for o in objects] == [
        (c.kind, c.action, c.address) for c in plan.changes]
    assert [o["id"] for o in objects] == [f"a1-object-{n}" for n in range(1, 14)]
    assert sum(len(c.fields) for c in plan.changes if c.action == "update") <= len(
        page.having("tr", **{"class": "field-diff"}))
    assert {a["value"] for a in page.having("input", name="kind")} == {
        "topic", "profile", "profile_group", "user"}
    assert {a["value"] for a in page.having("input", name="action")} == {
        "create", "update", "delete"}
    assert page.having("details", **{"data-blocked": "true"})[0]["data-address"] == (
        "topic.Spring Sale")


def test_html_puts_the_refusal_under_the_summary_then_pins_destroys_and_expired_streams(
        ) -> None:
    html = render(sample_plan(), "html")
    order = [html.index(s) for s in ('class="summary-line"', 'class="refusal error refused"',
                                     'class="refusal error"', 'id="filters"',
                                     'class="pinned destroys"', 'class="pinned expired"',
                                     'class="objects"', 'class="calls"')]
    assert order == sorted(order)
    assert '<a href="#a1-object-8"><code>profile_group.Legacy</code></a>' in html


def test_html_escapes_everything() -> None:
    plan = make_plan(Change(address="topic.<script>alert(1)</script>", kind="topic",
                            action="create", after={"name": "<script>alert(1)</script>"}))
    html = render(plan, "html")
    assert "<script>alert(1)</script>" not in html
    assert html.count("<script>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_long_text_is_side_by_side() -> None:
    plan = make_plan(update("profile.twitter/A", ("bio", "same\nold", "same\nnew\nmore")))
    html = render(plan, "html")
    assert ('<tr><td class="sign del">-</td><td class="line del">old</td>'
            '<td class="sign add">+</td><td class="line add">new</td></tr>') in html
    assert ('<tr><td class="sign none"></td><td class="line none"></td>'
            '<td class="sign add">+</td><td class="line add">more</td></tr>') in html


def test_html_of_several_accounts_has_one_summary_and_a_section_each() -> None:
    plans: list[tuple[str, Plan]] = [("a", make_plan(update("topic.A", ("name", "a", "b")))),
                                     ("b", make_plan())]
    page = Elements(render_many(plans, "html"))
    assert len(page.having("header", id="summary")) == 1
    assert [s["data-account"] for s in page.having("section", **{"class": "account"})] == [
        "a", "b"]
    assert "Total: 0 to add, 1 to change, 0 to destroy." in "".join(page.text)
