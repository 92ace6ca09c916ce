"""The pure Atom builder: any text a member can type makes a well-formed, valid feed."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.publishing import atom
from asamblea.publishing.tests.atom_rules import check

WHEN = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _feed(titles: list[str], summary: str = "") -> bytes:
    entries = [
        atom.Entry(
            id=atom.entry_id(f"hash-{n}"),
            title=title,
            updated=WHEN,
            link=f"http://example.org/{n}",
            summary=summary,
            content_html=f"<p>{title}</p>",
        )
        for n, title in enumerate(titles)
    ]
    return atom.render(
        atom.Feed(
            id="http://example.org/feed/",
            title="Asamblea & <compañeras>",
            updated=WHEN,
            self_link="http://example.org/feed/",
            alternate="http://example.org/",
            author="Asamblea de Peñalolén",
            language="es",
            entries=entries,
            ledger=[atom.LedgerHead("body:1", 3, "ab" * 32)],
        )
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=4), st.text(max_size=60))
def test_any_text_makes_a_valid_feed(titles, summary):
    document = _feed(titles, summary)
    check(document)
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == len(titles)


def test_control_characters_are_replaced_not_fatal():
    parsed = feedparser.parse(_feed(["Huelga\x0b general\x00"]))
    assert not parsed.bozo
    assert parsed.entries[0].title == "Huelga\ufffd general\ufffd"


def test_two_entries_with_one_id_are_refused():
    import pytest

    entry = atom.Entry(id=atom.entry_id("x"), title="a", updated=WHEN, link="http://e.org/")
    feed = atom.Feed(
        id="http://e.org/", title="t", updated=WHEN, self_link="http://e.org/",
        alternate="http://e.org/", author="a", language="es", entries=[entry, entry],
    )  # fmt: skip
    with pytest.raises(ValueError):
        atom.render(feed)
    naive = atom.Entry(id="urn:x", title="a", updated=datetime(2026, 1, 1), link="http://e.org/")
    with pytest.raises(ValueError):
        atom.render(atom.Feed(**{**feed.__dict__, "entries": [naive]}))
