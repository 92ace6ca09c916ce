"""Exponential ElGamal over ristretto255 (Belenios specification section 4.13 "Encrypted answers").

A value ``m`` is encrypted under the election key ``y`` as ``(α, β) = (g^r, y^r·g^m)``; the product
of two ciphertexts encrypts the sum, and a ciphertext raised to ``w`` encrypts ``w·m`` — so a tally
is computed without decrypting a single ballot. Decryption yields ``g^m``; ``m`` is then a small
discrete logarithm, bounded by the total weight of the ballots (:func:`discrete_log`).
"""

from __future__ import annotations

from math import isqrt

from asamblea.verifiable.core import group as G

Ciphertext = tuple[bytes, bytes]
ZERO: Ciphertext = (G.IDENTITY, G.IDENTITY)


def encrypt(public_key: bytes, m: int, r: int | None = None) -> tuple[Ciphertext, int]:
    k = G.random_scalar() if r is None else r
    return (G.base(k), G.add(G.mul(k, public_key), G.base(m))), k


def add(a: Ciphertext, b: Ciphertext) -> Ciphertext:
    return G.add(a[0], b[0]), G.add(a[1], b[1])


def scale(a: Ciphertext, w: int) -> Ciphertext:
    return G.mul(w, a[0]), G.mul(w, a[1])


def discrete_log(target: bytes, bound: int) -> int:
    """The ``m`` in ``[0, bound]`` with ``g^m = target`` (baby-step giant-step).

    Raises ValueError if there is none.
    """
    step = isqrt(bound) + 1
    baby: dict[bytes, int] = {}
    current = G.IDENTITY
    for j in range(step):
        baby.setdefault(current, j)
        current = G.add(current, G.GENERATOR)
    giant = G.sub(G.IDENTITY, G.base(step))
    current = target
    for i in range(step + 1):
        found = baby.get(current)
        if found is not None and i * step + found <= bound:
            return i * step + found
        current = G.add(current, giant)
    raise ValueError("the decrypted value is out of range")
