"""Parser unit tests on literal strings: fields, defaults, inference and every bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spmkb.config import Settings, load_settings
from spmkb.content import derive_id, parse_asset
from spmkb.content.parse import _parse, first_heading, infer_type, is_markdown
from spmkb.errors import ContentError

FULL = """\
---
id: Objections/Price
title: Price is too high
type: Objection Handling
stages: [Negotiation, proposal]
personas: Economic Buyer
industries: [financial_services]
products: Analytics Cloud
competitors: [Acme CRM]
owner: jane.doe
reviewed: 2026-09-01
review_every: 90
tags: [pricing, discount]
summary: Answer 'too expensive' without discounting.
onboarding:
  day: 14
  order: 2
  track: AE
  objectives: Handle the price objection
---
# Price is too high

Anchor on the cost of the problem.
"""


def test_full_front_matter_is_parsed_and_normalised() -> None:
    asset = parse_asset(FULL, "objections/price.md")
    assert asset.id == "objections/price"
    assert asset.title == "Price is too high"
    assert asset.type == "objection-handling"
    assert asset.stages == ["negotiation", "proposal"]
    assert asset.personas == ["economic-buyer"]  # a single string becomes a list
    assert asset.industries == ["financial-services"]
    assert asset.products == ["Analytics Cloud"]
    assert asset.competitors == ["Acme CRM"]
    assert asset.owner == "jane.doe"
    assert asset.reviewed == date(2026, 9, 1)
    assert asset.review_every == 90
    assert asset.tags == ["pricing", "discount"]
    assert asset.summary.startswith("Answer")
    assert asset.onboarding == {
        "day": 14,
        "order": 2,
        "track": "ae",
        "objectives": ["Handle the price objection"],
    }
    assert asset.has_front_matter
    assert asset.body_line == 21
    assert FULL.split("\n")[asset.body_line - 1] == "# Price is too high"
    assert asset.field_lines["owner"] == 10
    assert asset.extra == {}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("objections/price.md", "objections/price"),
        ("Objections/Price Too High.md", "objections/price-too-high"),
        ("handbook/sales/index.html.md", "handbook/sales/index"),
        ("handbook/sales/index.html.md.erb", "handbook/sales/index"),
        ("guides/discovery.markdown", "guides/discovery"),
        ("a\\b.md", "a/b"),
    ],
    ids=["plain", "spaces-and-case", "html-md", "erb", "markdown", "backslash"],
)
def test_derive_id(path: str, expected: str) -> None:
    assert derive_id(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("battlecards/acme.md", "battlecard"),
        ("sales/competitive/acme.md", "battlecard"),
        ("objections/price.md", "objection-handling"),
        ("onboarding/week-1.md", "onboarding-module"),
        ("case-studies/bank.md", "case-study"),
        ("templates/emails/follow-up.md", "email-template"),
        ("templates/mutual-plan.md", "template"),
        ("talk-tracks/opener.md", "talk-track"),
        ("misc/notes.md", "reference"),
        ("notes.md", "reference"),
    ],
    ids=lambda v: v if "/" in v or "." in v else None,
)
def test_type_inferred_from_folders(path: str, expected: str) -> None:
    assert infer_type(path, Settings().types) == expected


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a.md", True),
        ("a.MD", True),
        ("a.markdown", True),
        ("index.html.md", True),
        ("index.html.md.erb", True),
        ("a.txt", False),
        ("a.md.bak", False),
        ("image.png", False),
    ],
)
def test_is_markdown(name: str, ok: bool) -> None:
    assert is_markdown(name) is ok


def test_file_without_front_matter_loads_with_inferred_metadata() -> None:
    text = "Intro line.\n\n## Not the title\n\n# Competing with Acme\n\nText.\n"
    asset, problems = _parse(text, "battlecards/acme.md", None)
    assert asset is not None
    assert asset.title == "Competing with Acme"  # the first H1 wins over an earlier H2
    assert asset.type == "battlecard"
    assert asset.id == "battlecards/acme"
    assert not asset.has_front_matter
    assert [(p.severity, p.code, p.line) for p in problems] == [("warning", "no-front-matter", 1)]


def test_title_falls_back_to_file_name() -> None:
    asset = parse_asset("Just a paragraph, no heading.\n", "calls/cold-call-opener.md")
    assert asset.title == "Cold call opener"
    assert parse_asset("text\n", "pricing/index.md").title == "Pricing"


def test_first_heading_ignores_code_fences_and_kramdown() -> None:
    body = "```\n# not a heading\n```\n## Real {#real-id}\n"
    assert first_heading(body) == "Real"


def test_erb_tags_are_stripped_keeping_lines() -> None:
    text = "---\ntitle: Sales\n---\n<% if x %>\n# Sales\n<%= partial 'y' %>\nText\n<% end %>\n"
    asset = parse_asset(text, "sales/index.html.md.erb")
    assert "<%" not in asset.body
    assert asset.body.split("\n")[1] == "# Sales"


def test_unknown_fields_are_kept_with_a_warning_and_suggestion() -> None:
    text = "---\ntitle: X\nstage: demo\nlayout: page\n---\nBody\n"
    asset, problems = _parse(text, "x.md", None)
    assert asset is not None
    assert asset.extra == {"stage": "demo", "layout": "page"}
    unknown = [p for p in problems if p.code == "unknown-field"]
    assert [(p.line, p.field) for p in unknown] == [(3, "stage"), (4, "layout")]
    assert "did you mean 'stages'?" in unknown[0].hint


def test_extension_blocks_are_kept_without_warning() -> None:
    asset, problems = _parse("---\ntitle: R\nrubric:\n  - id: x\n---\nB\n", "r.md", None)
    assert asset is not None and asset.extra == {"rubric": [{"id": "x"}]}
    assert problems == []


def test_description_is_an_alias_of_summary() -> None:
    asset = parse_asset('---\ntitle: X\ndescription: "Short text"\n---\nBody\n', "x.md")
    assert asset.summary == "Short text"
    assert asset.extra == {}


def test_values_outside_vocabulary_warn_with_did_you_mean() -> None:
    text = "---\ntitle: X\nstages:\n  - discovery\n  - negotation\ntype: battle card\n---\nB\n"
    asset, problems = _parse(text, "x.md", None)
    assert asset is not None and asset.stages == ["discovery", "negotation"]
    vocab = [p for p in problems if p.code == "vocabulary"]
    assert [(p.severity, p.line, p.field, p.value) for p in vocab] == [
        ("warning", 5, "stages", "negotation"),
        ("warning", 6, "type", "battle-card"),
    ]
    assert "did you mean 'negotiation'?" in vocab[0].hint
    assert "did you mean 'battlecard'?" in vocab[1].hint


def test_vocabulary_extends_from_spmkb_toml(tmp_path: Path) -> None:
    (tmp_path / "spmkb.toml").write_text('[vocabulary]\nstages = ["Pilot"]\n', encoding="utf-8")
    settings = load_settings(cwd=tmp_path, environ={})
    _asset, problems = _parse("---\nstages: pilot\n---\nB\n", "x.md", settings)
    assert [p for p in problems if p.code == "vocabulary"] == []
    _asset, problems = _parse("---\nstages: pilot\n---\nB\n", "x.md", Settings())
    assert [p.code for p in problems] == ["vocabulary"]


# (text, expected line, field, pieces of the message, piece of the hint)
BAD = [
    pytest.param(
        "---\ntitle: X\nstages: [negotiation, proposal\nowner: me\n---\nBody\n",
        3,
        None,
        ["invalid YAML", "flow sequence"],
        "YAML syntax",
        id="yaml-unclosed-list",
    ),
    pytest.param(
        "---\ntitle: X\nowner: a: b\n---\nBody\n",
        3,
        None,
        ["invalid YAML", "mapping values are not allowed"],
        "quote",
        id="yaml-colon",
    ),
    pytest.param(
        "---\ntitle: X\n---\n---\n- a\n- b\n",
        None,
        None,
        [],
        None,
        id="second-rule-is-body",
    ),
    pytest.param(
        "---\n- negotiation\n- proposal\n---\nBody\n",
        2,
        None,
        ["front matter must be a mapping", "a list"],
        "field: value",
        id="fm-list",
    ),
    pytest.param(
        "---\njust some text\n---\nBody\n",
        2,
        None,
        ["must be a mapping", "single value"],
        "field: value",
        id="fm-scalar",
    ),
    pytest.param(
        "---\ntitle: X\nBody without a closing fence\n",
        1,
        None,
        ["front matter is not closed"],
        "add a line with '---'",
        id="fm-unclosed",
    ),
    pytest.param(
        "---\ntitle: [a, b]\n---\nB\n",
        2,
        "title",
        ["'title' must be text", "a list"],
        "title: Price",
        id="title-list",
    ),
    pytest.param(
        "---\ntitle: X\nstages: {a: 1}\n---\nB\n",
        3,
        "stages",
        ["'stages' must be a list of text", "mapping"],
        "stages: [negotiation",
        id="stages-mapping",
    ),
    pytest.param(
        "---\ntitle: X\ntags:\n  - ok\n  - {a: 1}\n---\nB\n",
        5,
        "tags",
        ["item 2 of 'tags' must be text"],
        "tags: [pricing",
        id="tags-item-mapping",
    ),
    pytest.param(
        "---\ntitle: X\nowner: yes\n---\nB\n",
        3,
        "owner",
        ["'owner' must be text", "true/false"],
        "owner: jane.doe",
        id="owner-yaml-bool",
    ),
    pytest.param(
        "---\ntitle: X\nreviewed: last week\n---\nB\n",
        3,
        "reviewed",
        ["'reviewed' must be a date", "last week"],
        "YYYY-MM-DD",
        id="reviewed-text",
    ),
    pytest.param(
        "---\ntitle: X\nreviewed: 2026-13-45\n---\nB\n",
        3,
        "reviewed",
        ["'reviewed' has an invalid value"],
        "YYYY-MM-DD",
        id="reviewed-impossible-date",
    ),
    pytest.param(
        "---\ntitle: X\n\nreview_every: ninety days\n---\nB\n",
        4,
        "review_every",
        ["'review_every' must be a whole number"],
        "review_every: 90",
        id="review-every-text",
    ),
    pytest.param(
        "---\nreview_every: 0\n---\nB\n",
        2,
        "review_every",
        ["must be 1 or more"],
        "review_every: 90",
        id="review-every-zero",
    ),
    pytest.param(
        "---\nonboarding: [day 1]\n---\nB\n",
        2,
        "onboarding",
        ["'onboarding' must be a mapping"],
        "day: 14",
        id="onboarding-list",
    ),
    pytest.param(
        "---\nonboarding:\n  track: ae\n  day: two\n---\nB\n",
        4,
        "onboarding.day",
        ["'onboarding.day' must be a whole number"],
        "day:",
        id="onboarding-day-text",
    ),
    pytest.param(
        "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ntags: [*c, *c, *c, *c, *c, *c, *c, *c]\n"
        "---\nB\n",
        2,
        None,
        ["aliases expand too far"],
        "no &anchors",
        id="yaml-alias-bomb",
    ),
    pytest.param(
        "---\ntags: " + "[" * 3000 + "]" * 3000 + "\n---\nB\n",
        2,
        None,
        ["front matter"],
        "YAML",
        id="yaml-deep-nesting",
    ),
    pytest.param(
        "---\nid: Price Objection!\n---\nB\n",
        2,
        "id",
        ["not allowed"],
        "lowercase letters",
        id="id-bad-chars",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "pieces", "hint"), BAD)
def test_bad_front_matter_names_file_line_field_and_fix(
    text: str, line: int | None, field: str | None, pieces: list[str], hint: str | None
) -> None:
    if not pieces:  # a second '---' after the front matter is a thematic break: valid
        assert parse_asset(text, "ok.md").title == "X"
        return
    with pytest.raises(ContentError) as info:
        parse_asset(text, "plays/bad.md")
    err = info.value
    assert err.path == "plays/bad.md"
    assert err.line == line
    assert err.field == field
    for piece in pieces:
        assert piece in err.message
    assert hint in (err.hint or "")
    assert str(err).startswith(f"plays/bad.md:{line}")


def test_every_wrong_field_is_reported_not_only_the_first() -> None:
    text = "---\ntitle: [a]\nreviewed: soon\nreview_every: x\n---\nB\n"
    asset, problems = _parse(text, "x.md", None)
    assert asset is None
    assert [(p.line, p.field) for p in problems] == [
        (2, "title"),
        (3, "reviewed"),
        (4, "review_every"),
    ]
    with pytest.raises(ContentError, match=r"\(and 2 more\)"):
        parse_asset(text, "x.md")


def test_empty_text_is_an_error() -> None:
    with pytest.raises(ContentError, match="file is empty") as info:
        parse_asset("  \n\n", "empty.md")
    assert "delete the file" in info.value.hint


def test_front_matter_only_warns_about_empty_body() -> None:
    asset, problems = _parse("---\ntitle: X\nowner: me\n---\n", "x.md", None)
    assert asset is not None and asset.body.strip() == ""
    assert [p.code for p in problems] == ["empty-body"]


def test_duplicate_key_warns() -> None:
    _asset, problems = _parse("---\ntitle: A\ntitle: B\n---\nB\n", "x.md", None)
    assert [(p.code, p.line) for p in problems] == [("duplicate-key", 3)]


def test_bom_and_crlf_are_accepted() -> None:
    asset = parse_asset("\ufeff---\ntitle: X\n---\nBody\n", "x.md")
    assert asset.title == "X" and asset.body.strip() == "Body"
    asset = parse_asset("---\r\ntitle: X\r\nowner: me\r\n---\r\n# H\r\nBody\r\n", "x.md")
    assert (asset.title, asset.owner, asset.body, asset.body_line) == ("X", "me", "# H\nBody\n", 5)


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!foo"])
def test_yaml_tag_errors_are_one_line_with_the_files_own_position(tag: str) -> None:
    """PyYAML's second line ('in "<unicode string>", line 1, column 8') is not shown."""
    from spmkb.errors import ContentError

    with pytest.raises(ContentError) as err:
        parse_asset(f"---\ntitle: {tag} x\n---\n# Hi\n", "a.md")
    text = str(err.value)
    assert "\n" not in text and "<unicode string>" not in text
    assert text.startswith("a.md:2, field 'title': 'title' has an invalid value: could not "
                           "determine a constructor for the tag")  # fmt: skip
    assert text.endswith(
        "— remove the YAML tag: front matter holds plain text, numbers, dates and lists"
    )
