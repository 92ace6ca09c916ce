"""Atom feeds (RFC 4287), built from plain values: no Django here.

What the RFC requires and this module guarantees (tests check each): the feed has exactly one
``id``, ``title`` and ``updated`` and an ``author`` (so its entries need none), a ``self``
link; every entry has one ``id``, ``title``, ``updated`` and an ``alternate`` link; every id is
an absolute IRI and entry ids are unique; dates are RFC 3339 with a time zone; ``xml:lang``
names the language of the text. A feed may carry the body's ledger head (its length and last
hash) as foreign markup in its own namespace, which Atom processors ignore safely (§6.3).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LEDGER_NS = "urn:x-asamblea:ledger:1"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"

ET.register_namespace("", ATOM)
ET.register_namespace("ledger", LEDGER_NS)


@dataclass(frozen=True)
class LedgerHead:
    chain: str
    length: int
    hash: str


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: datetime
    link: str
    summary: str = ""
    content_html: str = ""  # already sanitised HTML, sent escaped as type="html"
    category: str = ""
    related: str = ""  # the ledger entry that recorded it
    author: str = ""


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    updated: datetime
    self_link: str
    alternate: str
    author: str
    language: str
    subtitle: str = ""
    entries: Sequence[Entry] = field(default_factory=tuple)
    ledger: Sequence[LedgerHead] = field(default_factory=tuple)


def entry_id(seed: str) -> str:
    """A permanent, unique IRI for an entry: a name-based UUID of something unique to it (the
    hash of the ledger entry that recorded it), the same wherever the feed is served from."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"asamblea:{seed}").urn


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Atom dates need a time zone")
    return moment.isoformat(timespec="seconds")


# Characters XML 1.0 cannot hold at all (C0 controls but tab, newline and return; surrogates;
# U+FFFE and U+FFFF): a title typed with one must not make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = xml_text(text)
    return element


def _link(parent: ET.Element, href: str, rel: str = "alternate", kind: str = "") -> None:
    attrs = {"rel": rel, "href": href}
    if kind:
        attrs["type"] = kind
    ET.SubElement(parent, f"{{{ATOM}}}link", attrs)


def _entry(parent: ET.Element, entry: Entry) -> None:
    node = ET.SubElement(parent, f"{{{ATOM}}}entry")
    _text(node, "id", entry.id)
    _text(node, "title", entry.title, type="text")
    _text(node, "updated", rfc3339(entry.updated))
    _text(node, "published", rfc3339(entry.updated))
    if entry.author:
        author = ET.SubElement(node, f"{{{ATOM}}}author")
        _text(author, "name", entry.author)
    _link(node, entry.link, "alternate", "text/html")
    if entry.related:
        _link(node, entry.related, "related", "text/html")
    if entry.category:
        ET.SubElement(node, f"{{{ATOM}}}category", {"term": entry.category})
    if entry.summary:
        _text(node, "summary", entry.summary, type="text")
    if entry.content_html:
        _text(node, "content", entry.content_html, type="html")


def render(feed: Feed) -> bytes:
    """The feed as an Atom XML document (UTF-8, with an XML declaration)."""
    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: feed.language})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title, type="text")
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle, type="text")
    _text(root, "updated", rfc3339(feed.updated))
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", feed.author)
    _link(root, feed.self_link, "self", "application/atom+xml")
    _link(root, feed.alternate, "alternate", "text/html")
    _text(root, "generator", "Asamblea")
    for head in feed.ledger:
        ET.SubElement(
            root,
            f"{{{LEDGER_NS}}}head",
            {"chain": head.chain, "length": str(head.length), "hash": head.hash},
        )
    seen: set[str] = set()
    for entry in feed.entries:
        if entry.id in seen:
            raise ValueError(f"two entries with the id {entry.id}")
        seen.add(entry.id)
        _entry(root, entry)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
