"""The rules of RFC 4287 a feed must follow, checked on the XML itself (feedparser forgives
much; these do not)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring

A = "{http://www.w3.org/2005/Atom}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# RFC 3339 date-time, as §3.3 requires (an upper-case T and Z, seconds, a zone).
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _one(parent: ET.Element, tag: str, where: str) -> ET.Element:
    found = parent.findall(A + tag)
    assert len(found) == 1, f"{where} must have exactly one atom:{tag} (has {len(found)})"
    return found[0]


def _iri(value: str | None, where: str) -> None:
    assert value, f"{where}: empty id"
    assert urlsplit(value).scheme, f"{where}: id {value!r} is not an absolute IRI (§4.2.6)"


def _date(element: ET.Element, where: str) -> None:
    assert DATE.match(element.text or ""), f"{where}: {element.text!r} is not RFC 3339 (§3.3)"


def _text_construct(element: ET.Element, where: str) -> None:
    assert element.get("type", "text") in {"text", "html", "xhtml"}, where


def check(document: bytes) -> ET.Element:
    """Assert the feed follows RFC 4287's rules; returns the root element."""
    root = fromstring(document)
    assert root.tag == A + "feed", "the root is atom:feed"
    assert root.get(LANG), "xml:lang names the language of the text"
    _iri(_one(root, "id", "feed").text, "feed")
    _text_construct(_one(root, "title", "feed"), "feed title")
    _date(_one(root, "updated", "feed"), "feed updated")
    assert len(root.findall(A + "subtitle")) <= 1
    assert len(root.findall(A + "generator")) <= 1
    feed_author = root.findall(A + "author")
    for author in feed_author:
        _one(author, "name", "feed author")
    links = root.findall(A + "link")
    assert any(link.get("rel") == "self" for link in links), "a feed should have a self link"
    alternates = {
        (link.get("type"), link.get("hreflang"))
        for link in links
        if link.get("rel", "alternate") == "alternate"
    }
    assert len(alternates) == len(
        [link for link in links if link.get("rel", "alternate") == "alternate"]
    ), "§4.1.1"
    ids = set()
    for n, entry in enumerate(root.findall(A + "entry")):
        where = f"entry {n}"
        entry_id = _one(entry, "id", where).text
        _iri(entry_id, where)
        assert entry_id not in ids, f"{where}: id {entry_id} is not unique"
        ids.add(entry_id)
        _text_construct(_one(entry, "title", where), where)
        _date(_one(entry, "updated", where), where)
        for published in entry.findall(A + "published"):
            _date(published, where)
        assert feed_author or entry.findall(A + "author"), f"{where} needs an author (§4.1.2)"
        entry_links = entry.findall(A + "link")
        has_content = entry.find(A + "content") is not None
        assert has_content or any(
            link.get("rel", "alternate") == "alternate" for link in entry_links
        ), f"{where}: without content, an alternate link is required"
        for link in entry_links:
            assert link.get("href"), f"{where}: a link needs an href"
        for summary in entry.findall(A + "summary"):
            _text_construct(summary, where)
    return root
