"""Every page, read in Spanish by every kind of reader, is in Spanish.

The pages are the routes of the security world (every GET route of the URL configuration, with
the arguments that reach a real page) read by an anonymous visitor, a member, a facilitator and
a delegate, plus the coordination's own pages read by its facilitator. Each page fails if its
visible text holds:

- an English sentence or phrase of the app's own catalogs: the msgids whose Spanish differs
  (a word spelt the same in both languages, a name, a token under three letters is left out);
  a single word counts only as a whole text node (a table cell saying "for"), phrases of two
  words or more count anywhere in a text node;
- a raw event code (``poll.opened``) or a machine timestamp (``2026-12-06T04:15:00+00:00``);
- a plural written as "(s)" instead of counted (``ngettext`` / ``{% blocktranslate count %}``).

Text inside ``translate="no"`` (hashes, commands, the ledger's payloads) or marked with another
``lang`` (the "English" button of the language switch) is not Spanish prose and is skipped, as
are scripts, styles, code and attribute values other than the ones people read (aria-label, title,
placeholder, alt).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

from asamblea.bodies.models import Body
from tests.security.world import ROUTES, build

PACKAGE = Path(__file__).resolve().parents[2] / "asamblea"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}|\{\w*\}|<[^>]+>")
BREAK = re.compile(r"[.:;,!?·()\[\]“”\"«»—–|/…→+=*#]+")
WORD = re.compile(r"[^\W\d_]+")
EVENT_CODE = re.compile(
    r"\b(?:poll|motion|member|meeting|agenda|speakers|election|coordination|consultation|"
    r"delegate|mandate|affiliation|solidarity|statute|body|minutes|attendance)\.[a-z_]+\b"
)
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d")
PLURAL_MARK = re.compile(r"\w\((?:s|es|as|os)\)")
VISIBLE_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
SKIPPED_TAGS = {"script", "style", "template", "code"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _fragments(text: str) -> list[str]:
    """A message cut at its placeholders and punctuation, each piece trimmed."""
    pieces = []
    for chunk in PLACEHOLDER.split(text):
        for piece in BREAK.split(chunk):
            piece = " ".join(piece.split()).strip(" '-")
            if piece:
                pieces.append(piece)
    return pieces


@cache
def english() -> tuple[frozenset[str], frozenset[str]]:
    """(phrases, words) of the app's English msgids that Spanish says differently."""
    english_ids: list[str] = []
    spanish_words: set[str] = set()
    spanish_pieces: set[str] = set()
    for path in sorted(PACKAGE.glob("**/locale/es/LC_MESSAGES/*.po")):
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale="es")
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                spanish_words.update(w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", string)))
                spanish_pieces.update(p.lower() for p in _fragments(string))
            if all(strings) and set(strings) != set(ids):
                english_ids.extend(ids)
    phrases, words = set(), set()
    for message_id in english_ids:
        for piece in _fragments(message_id):
            lowered = piece.lower()
            tokens = WORD.findall(lowered)
            if lowered in spanish_pieces or sum(len(t) for t in tokens) < 3:
                continue
            if len(tokens) == 1:
                if tokens[0] == lowered and lowered not in spanish_words:
                    words.add(lowered)
            elif any(t not in spanish_words for t in tokens):
                phrases.add(lowered)
    return frozenset(phrases), frozenset(words)


@cache
def phrase_pattern() -> re.Pattern[str]:
    """All phrases in one expression (longest first), whole words only."""
    phrases = sorted(english()[0], key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, phrases)) + r")(?!\w)")


class VisibleText(HTMLParser):
    """The text nodes (and read-out attributes) a person sees, outside code and other languages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.nodes: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        lang = attributes.get("lang")
        skip = (
            self.skipping
            or tag in SKIPPED_TAGS
            or attributes.get("translate") == "no"
            or (lang is not None and tag != "html" and not lang.startswith("es"))
        )
        if not skip:
            for name in VISIBLE_ATTRIBUTES:
                if attributes.get(name):
                    self.nodes.append(" ".join(str(attributes[name]).split()))
            if tag == "input" and attributes.get("type") in {"submit", "button"}:
                self.nodes.append(" ".join(str(attributes.get("value") or "").split()))
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skipping:
            self.nodes.append(text)


def problems_in(html: str, content: frozenset[str] = frozenset()) -> list[str]:
    """What is not Spanish in a page; ``content``: what people typed (a body called "Region"
    is a name, not the app speaking English)."""
    words = english()[1]
    parser = VisibleText()
    parser.feed(html)
    found = []
    for node in parser.nodes:
        lowered = node.lower()
        if lowered in content:
            continue
        bare = lowered.strip(' .:;,!?·()[]“”"«»—–-*')
        if bare in words:
            found.append(f"English word: {node!r}")
            continue
        phrase = phrase_pattern().search(lowered)
        if phrase:
            found.append(f"English phrase {phrase.group(0)!r} in {node!r}")
        for pattern, what in (
            (EVENT_CODE, "raw event code"),
            (TIMESTAMP, "machine timestamp"),
            (PLURAL_MARK, "uncounted plural"),
        ):
            if pattern.search(node):
                found.append(f"{what}: {node!r}")
    return found


def test_the_word_list_comes_from_the_catalogs_and_leaves_shared_words_out():
    phrases, words = english()
    assert "cast my vote" in phrases and "ledger" in words
    assert "no" not in words and "total" not in words  # the same in Spanish
    assert all(len(word) >= 3 for word in words)


def test_the_check_reads_text_not_attributes_code_or_other_languages():
    html = (
        '<p class="ledger" data-x="Cast my vote">Registro</p><code>poll.opened</code>'
        '<span translate="no">2026-12-06T04:15:00+00:00</span>'
        '<button lang="en">English</button>'
    )
    assert problems_in(html) == []
    assert problems_in("<td>for</td><td>yes</td>") == [
        "English word: 'for'",
        "English word: 'yes'",
    ]
    assert problems_in("<p>Elección de 1 delegado(s)</p>") == [
        "uncounted plural: 'Elección de 1 delegado(s)'"
    ]
    assert problems_in("<p>#3 · poll.opened · 2026-12-06T04:15:00+00:00</p>")[0].startswith(
        "raw event code"
    )


READERS = ("anonymous", "member", "facilitator", "delegate")
STREAMS = {"meetings:events"}  # Server-Sent Events: no page to read


@pytest.mark.django_db
def test_every_page_reads_in_spanish_for_every_reader():
    world = build()
    for person in (*world.roles.values(), world.extra["cora"]):
        if person is not None:
            person.language = "es"
            person.save(update_fields=["language"])
    # North takes a position on the federation's motion and its delegate votes: the delegates'
    # tables then show a mandate and a choice, words that were once shown as raw codes.
    north = world.cast.north.slug
    mandate = world.cast.client(world.cast.alice, "es").post(
        reverse("coordination:mandate", args=[north]),
        {"motion": world.extra["vote"].motion_id, "position": "for"},
    )
    assert mandate.status_code == 302
    vote = world.extra["vote"]
    cast = world.cast.client(world.dave, "es").post(
        reverse("coordination:vote_cast", args=[vote.coordination.slug, vote.pk]),
        {"body": north, "choice": "yes"},
    )
    assert cast.status_code == 302
    pages: list[tuple[str, object]] = []
    for name, route in sorted(ROUTES.items()):
        if route.get and name not in STREAMS:
            url = reverse(name, kwargs=route.kwargs(world))
            pages += [(url, world.roles[reader]) for reader in READERS]
    federation = world.extra["federation"].slug
    pages.append((reverse("bodies:ledger", args=[federation]), world.extra["cora"]))
    pages.append((reverse("bodies:detail", args=[federation]), world.extra["cora"]))
    content = frozenset(name.lower() for name in Body.objects.values_list("name", flat=True))
    failures: dict[str, list[str]] = {}
    for url, person in pages:
        response = world.cast.client(person, language="es").get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        found = problems_in(response.content.decode(), content)
        if found:
            failures[f"{url} ({person or 'anonymous'})"] = sorted(set(found))
    assert not failures, "\n".join(f"{page}: {found}" for page, found in failures.items())
