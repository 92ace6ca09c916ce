"""The private channel of the trustees' key ceremony, and complaints (the server's checks).

Belenios' specification, section 4.8.3 "Channels": each share ``f_i(j)`` goes from trustee ``i``
to trustee ``j`` encrypted for ``j`` and signed by ``i``, so that the server that carries it can
neither read it nor forge one in ``i``'s name. Here (the same construction runs in the trustees'
browsers, ``asamblea/static/asamblea/verifiable/ceremony.js``):

* each trustee publishes a **channel key** ``P = g^c`` with a Schnorr proof of knowledge
  (``H("channel-key", φ, u32(i), P, commitment)``); ``c`` is derived from the trustee's code;
* a **message** is hashed ElGamal: ``R = g^r``, ``K = P_j^r``, the share's 32 bytes XOR the first
  32 bytes of SHA-512 over the length-prefixed ``tag("channel-pad"), φ, u32(i), u32(j), R, K``,
  signed with ``i``'s channel key (``H("channel-signature", φ, u32(i), u32(j), P_i, R, ct,
  commitment)``);
* a **complaint** by ``j`` against ``i`` reveals ``K`` with a Chaum-Pedersen proof that
  ``K = R^{c_j}`` (``H("complaint", φ, u32(j), u32(i), P_j, R, K, A, B)``): anyone can then open
  the message and check the share against ``i``'s coefficients. :func:`judge` names who is at
  fault: the sender of a bad share, or the accuser of a good one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx, parse_point, tag, u32
from asamblea.verifiable.core.proofs import (
    decryption_prove,
    decryption_verify,
    schnorr_prove,
    schnorr_verify,
)
from asamblea.verifiable.core.trustees import check_share

Payload = dict[str, Any]


def _pad(fingerprint: bytes, sender: int, receiver: int, r: bytes, k: bytes) -> bytes:
    h = hashlib.sha512()
    for part in (tag("channel-pad"), fingerprint, u32(sender), u32(receiver), r, k):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.digest()[:32]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _context(fingerprint: bytes, message: Payload, sender_key: bytes) -> list[bytes]:
    ct = _ciphertext(message)
    return [
        fingerprint,
        u32(message["sender"]),
        u32(message["receiver"]),
        sender_key,
        parse_point(message["ephemeral"]),
        ct,
    ]


def _ciphertext(message: Payload) -> bytes:
    text = message["ciphertext"]
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise ValueError("a ciphertext is 64 lowercase hex digits")
    return bytes.fromhex(text)


def channel_key_payload(fingerprint: bytes, index: int, secret: int) -> Payload:
    key = G.base(secret)
    proof = schnorr_prove(secret, tag("channel-key"), [fingerprint, u32(index), key])
    return {"trustee": index, "channel_key": hx(key), "proof": proof}


def key_fingerprint(channel_key: str) -> str:
    """A short, human-comparable form of a channel key (hex), for trustees to compare out of
    band before sending shares (the server relays the keys, so only people can tell that the
    key shown for a trustee is really theirs): SHA-256 over the length-prefixed
    ``tag("channel-fingerprint")`` and the key's 32 bytes, its first 16 bytes written as 8
    groups of 4 hex digits. ``ceremony.js``'s ``channelKeyFingerprint`` computes the same."""
    h = hashlib.sha256()
    for part in (tag("channel-fingerprint"), parse_point(channel_key)):
        h.update(u32(len(part)))
        h.update(part)
    digits = h.digest()[:16].hex()
    return " ".join(digits[k : k + 4] for k in range(0, 32, 4))


def check_channel_key(fingerprint: bytes, index: int, payload: Payload) -> bool:
    """The channel key is a group element and its proof holds (False for any malformed input)."""
    try:
        key = parse_point(payload["channel_key"])
        return payload["trustee"] == index and schnorr_verify(
            payload["proof"], key, tag("channel-key"), [fingerprint, u32(index), key]
        )
    except (KeyError, TypeError, ValueError):
        return False


def encrypt_share(
    fingerprint: bytes,
    sender: int,
    sender_secret: int,
    receiver: int,
    receiver_key: bytes,
    share: int,
) -> Payload:
    r = G.random_scalar()
    big_r, k = G.base(r), G.mul(r, receiver_key)
    ct = _xor(G.scalar_bytes(share), _pad(fingerprint, sender, receiver, big_r, k))
    message: Payload = {
        "sender": sender,
        "receiver": receiver,
        "ephemeral": hx(big_r),
        "ciphertext": hx(ct),
    }
    context = _context(fingerprint, message, G.base(sender_secret))
    message["signature"] = schnorr_prove(sender_secret, tag("channel-signature"), context)
    return message


def check_message(fingerprint: bytes, message: Payload, sender_key: bytes) -> bool:
    """The sender signed this message (False for any malformed input)."""
    try:
        context = _context(fingerprint, message, sender_key)
        return schnorr_verify(message["signature"], sender_key, tag("channel-signature"), context)
    except (KeyError, TypeError, ValueError):
        return False


def _open(fingerprint: bytes, message: Payload, k: bytes) -> int | None:
    big_r = parse_point(message["ephemeral"])
    raw = _xor(
        _ciphertext(message), _pad(fingerprint, message["sender"], message["receiver"], big_r, k)
    )
    value = int.from_bytes(raw, "little")
    return value if value < G.L else None


def decrypt_share(fingerprint: bytes, receiver_secret: int, message: Payload) -> int | None:
    """The share a message carries, or None if what it carries is not a scalar."""
    return _open(fingerprint, message, G.mul(receiver_secret, parse_point(message["ephemeral"])))


def complaint_payload(fingerprint: bytes, receiver_secret: int, message: Payload) -> Payload:
    big_r = parse_point(message["ephemeral"])
    k = G.mul(receiver_secret, big_r)
    context = [
        fingerprint,
        u32(message["receiver"]),
        u32(message["sender"]),
        G.base(receiver_secret),
    ]
    return {
        "accuser": message["receiver"],
        "accused": message["sender"],
        "shared": hx(k),
        "proof": decryption_prove(receiver_secret, big_r, k, tag("complaint"), context),
    }


def judge(
    fingerprint: bytes,
    complaint: Payload,
    message: Payload,
    *,
    accuser_key: bytes,
    accused_key: bytes,
    accused_coefficients: Sequence[bytes],
) -> int:
    """The index of the trustee at fault: the accused if the share it sent does not match its
    coefficients (or is not a scalar), else the accuser (a complaint that does not hold)."""
    accuser = complaint["accuser"]
    try:
        if (accuser, complaint["accused"]) != (message["receiver"], message["sender"]):
            return int(accuser)
        if not check_message(fingerprint, message, accused_key):
            return int(accuser)
        big_r, k = parse_point(message["ephemeral"]), parse_point(complaint["shared"])
        context = [fingerprint, u32(message["receiver"]), u32(message["sender"]), accuser_key]
        if not decryption_verify(
            complaint["proof"], accuser_key, big_r, k, tag("complaint"), context
        ):
            return int(accuser)
        share = _open(fingerprint, message, k)
    except (KeyError, TypeError, ValueError):
        return int(accuser)
    if share is not None and check_share(accused_coefficients, message["receiver"], share):
        return int(accuser)
    return int(message["sender"])
