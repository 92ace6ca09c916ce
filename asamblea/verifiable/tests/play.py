"""Test helper: the browsers' side of a verifiable vote, played with the Python core against the
server's JSON endpoints (the real browsers run vbrowser's scripts; the steps are the same).

The share "ciphertexts" here are NOT encrypted (``{"test_plain": hex}``): the server treats a
share as opaque, and these tests are about the server. The browser encrypts each share for the
receiving trustee's channel key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx, parse_point
from asamblea.voting.models import Poll


def url(poll: Poll, name: str) -> str:
    return reverse(f"verifiable:{name}", args=[poll.body.slug, poll.pk])


def post(client: Client, poll: Poll, name: str, data: Any) -> Any:
    return client.post(url(poll, name), json.dumps(data), content_type="application/json")


def state(client: Client, poll: Poll) -> dict[str, Any]:
    response = client.get(url(poll, "state"))
    assert response.status_code == 200, response.content
    return response.json()


@dataclass
class TrusteeBrowser:
    client: Client
    poll: Poll
    polynomial: list[int] = field(default_factory=list)
    x: int = 0

    def index(self) -> int:
        return int(state(self.client, self.poll)["me"]["trustee"])

    def channel(self) -> Any:
        return post(self.client, self.poll, "trustee_channel", {"channel_key": hx(G.base(7))})

    def commit(self) -> Any:
        s = state(self.client, self.poll)
        i, t = s["me"]["trustee"], s["threshold"]
        self.polynomial = trustees.new_polynomial(t)
        fingerprint = bytes.fromhex(s["fingerprint"])
        commitment = trustees.commitment_payload(fingerprint, i, self.polynomial)
        shares = {
            str(j["index"]): {
                "test_plain": G.scalar_bytes(trustees.evaluate(self.polynomial, j["index"])).hex()
            }
            for j in s["trustees"]
            if j["index"] != i
        }
        return post(
            self.client, self.poll, "trustee_commit", {"commitment": commitment, "shares": shares}
        )

    def key(self) -> Any:
        s = state(self.client, self.poll)
        j = s["me"]["trustee"]
        received = {
            int(k): G.scalar_from_bytes(bytes.fromhex(v["test_plain"]))
            for k, v in s["me"]["shares"].items()
        }
        received[j] = trustees.evaluate(self.polynomial, j)
        for i, share in received.items():
            coefficients = [parse_point(a) for a in s["commitments"][str(i)]]
            assert trustees.check_share(coefficients, j, share)
        self.x = sum(received.values()) % G.L
        payload = trustees.key_payload(bytes.fromhex(s["fingerprint"]), j, self.x)
        return post(self.client, self.poll, "trustee_key", {"key": payload})

    def decrypt(self) -> Any:
        s = state(self.client, self.poll)
        j = s["me"]["trustee"]
        tally = [[(parse_point(a), parse_point(b)) for a, b in row] for row in s["tally"]]
        payload = trustees.partial_decryption(bytes.fromhex(s["fingerprint"]), j, self.x, tally)
        return post(self.client, self.poll, "trustee_decrypt", {"partial": payload})


@dataclass
class VoterBrowser:
    client: Client
    poll: Poll
    code: str = field(default_factory=credentials.new_code)

    def secret(self) -> int:
        return credentials.secret(state(self.client, self.poll)["election_id"], self.code)

    def register(self) -> Any:
        return post(
            self.client,
            self.poll,
            "register",
            {"credential": hx(credentials.public(self.secret()))},
        )

    def election(self) -> B.Election:
        s = state(self.client, self.poll)
        questions = tuple(
            B.Question(len(q["answers"]), q["min"], q["max"]) for q in s["manifest"]["questions"]
        )
        return B.Election(bytes.fromhex(s["fingerprint"]), parse_point(s["public_key"]), questions)

    def encrypt(self, choice: str) -> tuple[dict[str, Any], list[list[str]]]:
        picked = [[int(choice == a) for a in ("yes", "no", "abstain")]]
        return B.encrypt(self.election(), self.secret(), picked)

    def cast(self, choice: str) -> Any:
        ballot, _opening = self.encrypt(choice)
        return post(self.client, self.poll, "cast", {"ballot": ballot})
