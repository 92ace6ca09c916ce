"""Hypothesis strategies for hostile Unicode input: the whole of Unicode, with extra weight on
what breaks naive code (digits that are not 0-9, format and space characters, lone surrogates,
very long text), for field values and for field names.

Lone surrogates cannot be encoded as UTF-8, so a browser never sends them as text; an attacker
sends their bytes percent-escaped (``%ED%A0%80``). :func:`urlencoded` builds such raw bodies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

# Decimal digits of other scripts (Nd) that int() reads, and digit-like characters (No) that
# str.isdigit() accepts but int() refuses: "²", "¹", "①", "𝟘" and their kin.
TRICKY_DIGITS = "²³¹⁰⁹₀₉①⑳⓪❶٠٣۴߅१৩๓௫໒༣၅០᠓０９𝟎𝟙𝟫𐒠𑁦¼½"

tricky_char = st.one_of(
    st.sampled_from(TRICKY_DIGITS),
    st.characters(categories=("Nd", "No", "Cf", "Zs")),
    st.characters(categories=("Cs",)),  # lone surrogates, sent percent-escaped
)
any_char = st.one_of(tricky_char, st.characters())

unicode_text = st.one_of(
    st.text(tricky_char, min_size=1, max_size=8),
    st.text(any_char, max_size=200),
    # Mixed with ASCII digits, as a value "1²" or "٣0" would be typed.
    st.tuples(st.integers(0, 99), st.text(tricky_char, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
    # Very long text out of the tricky classes: up to 96 kB once escaped, so that a whole fuzzed
    # form stays under the 2.5 MB request limit and the form itself must refuse it.
    st.tuples(tricky_char, st.integers(1_000, 8_000)).map(lambda t: t[0] * t[1]),
)


def field_names(valid: Iterable[str]) -> st.SearchStrategy[str]:
    """Field names: the form's own, each with its digits swapped for tricky ones or a tricky
    suffix (``rank_²``, ``rank_٣``, ``rank_0\u200b``), and arbitrary Unicode names."""
    names = sorted(valid)
    own = st.sampled_from(names) if names else st.just("x")
    swapped = st.tuples(own, st.text(tricky_char, min_size=1, max_size=3)).map(
        lambda t: t[0].rstrip("0123456789") + t[1]
    )
    suffixed = st.tuples(own, st.text(tricky_char, min_size=1, max_size=2)).map(
        lambda t: t[0] + t[1]
    )
    return st.one_of(own, swapped, suffixed, st.text(any_char, min_size=1, max_size=40))


def _escaped(text: Any) -> str:
    return quote_from_bytes(str(text).encode("utf-8", "surrogatepass"), safe="")


def urlencoded(data: Mapping[str, Any]) -> bytes:
    """A form body as a client would send it; list values repeat their field, lone surrogates
    go as their (invalid UTF-8) escaped bytes."""
    pairs = []
    for key, value in data.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend(f"{_escaped(key)}={_escaped(item)}" for item in values)
    return "&".join(pairs).encode("ascii")
