"""Group arithmetic in ristretto255 through libsodium (pysodium): the only code the verifiers share.

ristretto255 (RFC 9496) is a prime-order group of order ``L`` built on Curve25519; its canonical
32-byte encoding is also the membership test: libsodium's
``crypto_core_ristretto255_is_valid_point`` accepts exactly the canonical encodings of group
elements, so every point received from outside goes through :func:`point` before it is used.
Belenios' specification, section 5 "Groups", requires such a ``check`` of every group element
(its 3.3.0 release fixed a place where it was missing).

Scalars are Python integers in ``[0, L)``; points are their 32-byte encodings. libsodium refuses to
produce the identity (its encoding is 32 zero bytes), which an exponential ElGamal tally meets
legitimately (``g^0`` for an answer nobody chose): the functions here return :data:`IDENTITY`
instead of failing.
"""

from __future__ import annotations

import ctypes
import secrets
from typing import Any

import pysodium

# pysodium's wrappers check the library version on every call; these are the same libsodium
# functions through the handle pysodium loaded, for the hot paths (a ballot needs about 60 calls).
_lib = pysodium.sodium
_scalarmult = _lib.crypto_scalarmult_ristretto255
_scalarmult_base = _lib.crypto_scalarmult_ristretto255_base
_add = _lib.crypto_core_ristretto255_add
_sub = _lib.crypto_core_ristretto255_sub
_is_valid = _lib.crypto_core_ristretto255_is_valid_point

L = 2**252 + 27742317777372353535851937790883648493
"""The order of the group (and of the scalar field)."""

IDENTITY = bytes(32)
"""The encoding of the neutral element."""


class GroupError(ValueError):
    """An encoding that is not a canonical group element or scalar."""


def scalar_bytes(k: int) -> bytes:
    return (k % L).to_bytes(32, "little")


def scalar_from_bytes(b: bytes) -> int:
    """Decode a canonical scalar (little-endian, below ``L``)."""
    if len(b) != 32:
        raise GroupError("a scalar is 32 bytes")
    k = int.from_bytes(b, "little")
    if k >= L:
        raise GroupError("a scalar must be below the group order")
    return k


def point(b: bytes) -> bytes:
    """Return ``b`` if it is the canonical encoding of a group element, else raise GroupError."""
    if len(b) != 32:
        raise GroupError("a point is 32 bytes")
    if b != IDENTITY and _is_valid(b) != 1:
        raise GroupError("not a ristretto255 group element")
    return b


def base(k: int) -> bytes:
    """``g^k`` for the standard generator ``g``."""
    k %= L
    if k == 0:
        return IDENTITY
    out = ctypes.create_string_buffer(32)
    if _scalarmult_base(out, scalar_bytes(k)) != 0:
        return IDENTITY  # unreachable for 0 < k < L: the generator has prime order
    return out.raw


_SMALL: dict[int, bytes] = {}


def small(m: int) -> bytes:
    """``g^m`` for a public small ``m`` (the allowed values of an interval proof: 0, 1, a
    question's ``min..max``), computed once per process; not for secrets (it is not
    constant-time)."""
    found = _SMALL.get(m)
    if found is None:
        found = base(m)
        if 0 <= m < 1024:
            _SMALL[m] = found
    return found


def mul(k: int, p: bytes) -> bytes:
    """``p^k`` (written multiplicatively, as in the specifications)."""
    k %= L
    if k == 0 or p == IDENTITY:
        return IDENTITY
    if k == 1:
        return p
    if len(p) != 32:
        raise GroupError("a point is 32 bytes")
    out = ctypes.create_string_buffer(32)
    if _scalarmult(out, scalar_bytes(k), p) != 0:
        # libsodium refuses an invalid point or an identity result; callers pass checked points.
        if _is_valid(p) != 1:
            raise GroupError("not a ristretto255 group element")
        return IDENTITY
    return out.raw


def add(p: bytes, q: bytes) -> bytes:
    """The group operation ``p·q``."""
    if p == IDENTITY:
        return q
    if q == IDENTITY:
        return p
    return _binary(_add, p, q)


def sub(p: bytes, q: bytes) -> bytes:
    """``p / q``."""
    if q == IDENTITY:
        return p
    return _binary(_sub, p, q)


def _binary(fn: Any, p: bytes, q: bytes) -> bytes:
    if len(p) != 32 or len(q) != 32:
        raise GroupError("a point is 32 bytes")
    out = ctypes.create_string_buffer(32)
    if fn(out, p, q) != 0:
        raise GroupError("not a ristretto255 group element")
    return out.raw


def random_scalar() -> int:
    """A uniformly random non-zero scalar from the operating system's generator."""
    return secrets.randbelow(L - 1) + 1


GENERATOR = base(1)
