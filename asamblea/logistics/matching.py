"""Suggesting which offers of a coordination's board meet which needs (no Django here).

A need and an offer are *compatible* when they are of the same kind, in the same place (the
coarse district or city, compared without case, accents or extra spaces; transport also by
where it leaves from; money is sent anywhere), from two different assemblies, and the offer's
dates cover the need's dates. Quantities may be split: one need can be met by several offers
and one offer can serve several needs, in parts.

:func:`suggest` never allocates more than what remains of a need or an offer: every suggestion
is compatible, and the suggested quantities of a posting add up to at most its remainder.

The greedy rule, within each (kind, place, origin) group: needs in order of their first day
(then id); each takes, among the offers already available on that day and still lasting to its
last day, the one that ends first (then the one posted first). Keeping the longer offers for
later needs is the classic rule for covering intervals; it is not an optimum, and does not
need to be: people accept or decline each suggestion. ``O((n + m) log m)`` per group, plus the
offers skipped because they come from the need's own assembly or a pair already tried.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# Kinds whose place does not matter (money travels by transfer).
PLACELESS = frozenset({"money"})
# Kinds that also match by where the trip leaves from.
ROUTED = frozenset({"transport"})


@dataclass(frozen=True)
class Posting:
    """One side of the board: what remains of a need or an offer."""

    id: int
    body: int
    kind: str
    place: str
    origin: str
    starts: date
    ends: date
    remaining: int


@dataclass(frozen=True)
class Suggestion:
    need: int
    offer: int
    quantity: int


def place_key(text: str) -> str:
    """``"  San  Martín "`` and ``"san martin"`` name the same place."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def group_key(posting: Posting) -> tuple[str, str, str]:
    place = "" if posting.kind in PLACELESS else place_key(posting.place)
    origin = place_key(posting.origin) if posting.kind in ROUTED else ""
    return (posting.kind, place, origin)


def compatible(need: Posting, offer: Posting) -> bool:
    """Whether ``offer`` can serve ``need`` at all (quantities apart)."""
    return (
        need.body != offer.body
        and group_key(need) == group_key(offer)
        and offer.starts <= need.starts
        and need.ends <= offer.ends
    )


def suggest(
    needs: Iterable[Posting],
    offers: Iterable[Posting],
    excluded: frozenset[tuple[int, int]] = frozenset(),
) -> list[Suggestion]:
    """Suggested (need, offer, quantity) allocations; ``excluded`` holds (need id, offer id)
    pairs never to suggest (already proposed, accepted or declined)."""
    needs_by_group: dict[tuple[str, str, str], list[Posting]] = defaultdict(list)
    offers_by_group: dict[tuple[str, str, str], list[Posting]] = defaultdict(list)
    for need in needs:
        if need.remaining > 0 and need.starts <= need.ends:
            needs_by_group[group_key(need)].append(need)
    for offer in offers:
        if offer.remaining > 0 and offer.starts <= offer.ends:
            offers_by_group[group_key(offer)].append(offer)
    suggestions: list[Suggestion] = []
    for key, group_needs in needs_by_group.items():
        group_offers = offers_by_group.get(key)
        if group_offers:
            suggestions.extend(_suggest_group(group_needs, group_offers, excluded))
    return suggestions


def _suggest_group(
    needs: Sequence[Posting], offers: Sequence[Posting], excluded: frozenset[tuple[int, int]]
) -> list[Suggestion]:
    left = {offer.id: offer.remaining for offer in offers}
    by_start = sorted(offers, key=lambda o: (o.starts, o.id))
    # Offers that have started, as (end, id, offer), ordered by end: bisect finds the first that
    # lasts long enough. Exhausted offers are removed.
    open_offers: list[tuple[date, int, Posting]] = []
    next_offer = 0
    result: list[Suggestion] = []
    for need in sorted(needs, key=lambda n: (n.starts, n.id)):
        while next_offer < len(by_start) and by_start[next_offer].starts <= need.starts:
            offer = by_start[next_offer]
            bisect.insort(open_offers, (offer.ends, offer.id, offer), key=lambda t: (t[0], t[1]))
            next_offer += 1
        wanted = need.remaining
        index = bisect.bisect_left(open_offers, (need.ends, -1), key=lambda t: (t[0], t[1]))
        while wanted > 0 and index < len(open_offers):
            _end, offer_id, offer = open_offers[index]
            if offer.body == need.body or (need.id, offer_id) in excluded:
                index += 1
                continue
            quantity = min(wanted, left[offer_id])
            result.append(Suggestion(need=need.id, offer=offer_id, quantity=quantity))
            wanted -= quantity
            left[offer_id] -= quantity
            if left[offer_id] == 0:
                del open_offers[index]
            else:
                index += 1
    return result
