"""Ledger entries as sentences a member can read, in the reader's language and time zone.

The ledger stores kinds (``poll.opened``) and canonical payloads of ids and codes; it knows
nothing of the domain. Each app says how its own kinds read, in a ``ledger_text`` module found
at start-up (as Django's admin finds ``admin`` modules):

- ``sentences({"poll.opened": _("%(by)s opened the vote “%(poll)s”.")})`` — one translatable
  sentence per kind, with the payload's keys as placeholders;
- ``references("poll", resolve)`` — how to name the ids under a payload key, looked up once per
  page for all entries (``resolve(ids, reader)`` returns ``{id: name}``);
- ``labels("role", {"member": _("member")})`` — how to say a payload's code in words.

An entry whose kind has no sentence, or whose payload lacks what its sentence needs, reads as a
plain translated note (never an error); the payload itself stays on the page for checking.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

Resolver = Callable[[set[Any], "Reader"], Mapping[Any, str]]

_SENTENCES: dict[str, Any] = {}
_RESOLVERS: dict[str, Resolver] = {}
_LABELS: dict[str, dict[Any, Any]] = {}


def sentences(mapping: Mapping[str, Any]) -> None:
    _SENTENCES.update(mapping)


def references(keys: Iterable[str], resolve: Resolver) -> None:
    for key in keys:
        _RESOLVERS[key] = resolve


def labels(key: str, mapping: Mapping[Any, Any]) -> None:
    _LABELS.setdefault(key, {}).update(mapping)


def for_body(model: Any, ids: set[Any], reader: Reader, field: str = "title") -> dict[Any, str]:
    """Names of objects by id, only those of the ledger's own body: an entry copied into a
    coordination's ledger must not show the title of a members-only assembly's vote."""
    rows = model.objects.filter(pk__in=ids, body=reader.body).values_list("pk", field)
    return {pk: _("“%(title)s”") % {"title": name} for pk, name in rows}


def first_of(*templates: Any) -> Callable[[Mapping[str, str], Mapping[str, Any]], str]:
    """A sentence with variants: the first whose placeholders the payload fills (an action
    done by a person, or by the rules when nobody did it)."""

    def sentence(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
        for template in templates:
            try:
                return str(template) % values
            except KeyError:
                continue
        raise KeyError(templates)

    return sentence


@dataclass(frozen=True)
class Reader:
    """Who reads the ledger of which body. ``names_visible``: may they see members' names
    (members may; outsiders of a public body may not — membership lists are dangerous data)."""

    body: Any
    names_visible: bool


@dataclass(frozen=True)
class Line:
    seq: int
    kind: str
    at: datetime | None
    text: str
    described: bool  # False: the kind has no sentence (or its payload lacks what it needs)
    payload: str
    hash: str


class _Values(dict[str, str]):
    """The placeholders of one sentence; a missing one makes the sentence fall back."""

    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def _value(key: str, value: Any, names: Mapping[str, Mapping[Any, str]]) -> str | None:
    if key in _RESOLVERS:
        return names.get(key, {}).get(value)  # a vanished reference is not shown as a bare id
    if key in _LABELS and isinstance(value, str | bool | int) and value in _LABELS[key]:
        return str(_LABELS[key][value])
    if isinstance(value, str) and key in {"title", "name", "reason", "place"}:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _resolve_all(payloads: Sequence[Mapping[str, Any]], reader: Reader) -> dict[str, Any]:
    wanted: dict[str, set[Any]] = defaultdict(set)
    for payload in payloads:
        for key, value in payload.items():
            if key in _RESOLVERS and isinstance(value, int | str) and not isinstance(value, bool):
                wanted[key].add(value)
    return {key: _RESOLVERS[key](ids, reader) for key, ids in wanted.items()}


def _moment(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


def describe(entries: Sequence[Any], reader: Reader) -> list[Line]:
    """One ``Line`` per ledger entry (objects with seq, kind, at, payload, hash)."""
    payloads = []
    for entry in entries:
        try:
            payload = json.loads(entry.payload)
        except ValueError:
            payload = {}
        payloads.append(payload if isinstance(payload, dict) else {})
    names = _resolve_all(payloads, reader)
    lines = []
    for entry, payload in zip(entries, payloads, strict=True):
        values = _Values()
        for key, value in payload.items():
            said = _value(key, value, names)
            if said is not None:
                values[key] = said
        sentence = _SENTENCES.get(entry.kind)
        try:
            if callable(sentence):  # a sentence that depends on the payload (a count, an outcome)
                text, described = sentence(values, payload), True
            else:
                text, described = (str(sentence) % values, True) if sentence else ("", False)
        except (KeyError, TypeError, ValueError):
            text, described = "", False
        if not described:
            text = _("A record of a kind this page does not put into words (see the details).")
        lines.append(
            Line(
                entry.seq, entry.kind, _moment(entry.at), text, described, entry.payload, entry.hash
            )
        )
    return lines
