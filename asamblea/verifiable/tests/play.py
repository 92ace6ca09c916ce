"""Test helper: the browsers' side of a verifiable vote, played with the Python core against the
server's JSON endpoints (the real browsers run vbrowser's scripts; the steps are the same).

Each trustee's secrets come from its code and the ceremony's fingerprint
(``core.trustees.derive``), as in ``ceremony.js``; shares travel encrypted and signed
(``core.channel``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse

from asamblea.coordination.models import Consultation
from asamblea.elections.models import Election
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import channel, credentials, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx, parse_point
from asamblea.voting.models import Poll


def url(poll: Poll | Election | Consultation, name: str) -> str:
    """A verifiable page or endpoint of a poll, of an election (``e_`` names), or of a
    consultation's own vote (``consultation_`` names: its trustees)."""
    if isinstance(poll, Consultation):
        return reverse(f"verifiable:consultation_{name}", args=[poll.coordination.slug, poll.pk])
    prefix = "e_" if isinstance(poll, Election) else ""
    return reverse(f"verifiable:{prefix}{name}", args=[poll.body.slug, poll.pk])


def post(client: Client, poll: Poll | Election | Consultation, name: str, data: Any) -> Any:
    return client.post(url(poll, name), json.dumps(data), content_type="application/json")


def state(client: Client, poll: Poll | Election | Consultation) -> dict[str, Any]:
    response = client.get(url(poll, "state"))
    assert response.status_code == 200, response.content
    return response.json()


@dataclass
class TrusteeBrowser:
    client: Client
    poll: Poll | Election | Consultation
    code: str = field(default_factory=credentials.new_code)
    x: int = 0
    cheat: bool = False  # sends a wrong share to every other trustee

    def secrets(self) -> tuple[bytes, int, int, list[int]]:
        s = state(self.client, self.poll)
        c, poly = trustees.derive(s["fingerprint"], self.code, s["threshold"])
        return bytes.fromhex(s["fingerprint"]), s["me"]["trustee"], c, poly

    def index(self) -> int:
        return int(state(self.client, self.poll)["me"]["trustee"])

    def channel(self) -> Any:
        fingerprint, i, c, _poly = self.secrets()
        payload = channel.channel_key_payload(fingerprint, i, c)
        body = {"channel_key": payload["channel_key"], "proof": payload["proof"]}
        return post(self.client, self.poll, "trustee_channel", body)

    def commit(self) -> Any:
        s = state(self.client, self.poll)
        fingerprint, i, c, poly = self.secrets()
        commitment = trustees.commitment_payload(fingerprint, i, poly)
        shares = {}
        for t in s["trustees"]:
            j = t["index"]
            if j == i:
                continue
            value = trustees.evaluate(poly, j) + (1 if self.cheat else 0)
            key = parse_point(t["channel_key"])
            shares[str(j)] = channel.encrypt_share(fingerprint, i, c, j, key, value)
        body = {"commitment": commitment, "shares": shares}
        return post(self.client, self.poll, "trustee_commit", body)

    def received(self) -> dict[int, int | None]:
        s = state(self.client, self.poll)
        fingerprint, _i, c, _poly = self.secrets()
        return {
            int(k): channel.decrypt_share(fingerprint, c, v) for k, v in s["me"]["shares"].items()
        }

    def key(self) -> Any:
        s = state(self.client, self.poll)
        fingerprint, j, _c, poly = self.secrets()
        received = self.received()
        received[j] = trustees.evaluate(poly, j)
        for i, share in received.items():
            coefficients = [parse_point(a) for a in s["commitments"][str(i)]]
            assert share is not None and trustees.check_share(coefficients, j, share)
        self.x = sum(v for v in received.values() if v is not None) % G.L
        payload = trustees.key_payload(fingerprint, j, self.x)
        return post(self.client, self.poll, "trustee_key", {"key": payload})

    def complain(self, against: int) -> Any:
        s = state(self.client, self.poll)
        fingerprint, _j, c, _poly = self.secrets()
        message = s["me"]["shares"][str(against)]
        complaint = channel.complaint_payload(fingerprint, c, message)
        body = {"against": against, "reason": "share does not match", "complaint": complaint}
        return post(self.client, self.poll, "trustee_complaint", body)

    def decrypt(self) -> Any:
        s = state(self.client, self.poll)
        j = s["me"]["trustee"]
        tally = [[(parse_point(a), parse_point(b)) for a, b in row] for row in s["tally"]]
        payload = trustees.partial_decryption(bytes.fromhex(s["fingerprint"]), j, self.x, tally)
        return post(self.client, self.poll, "trustee_decrypt", {"partial": payload})


@dataclass
class VoterBrowser:
    client: Client
    poll: Poll | Election
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

    def encrypt_marks(self, marks: list[int]) -> tuple[dict[str, Any], list[list[str]]]:
        """An election's ballot: one entry per candidate, 1 where marked (no check of the
        manifest's bounds here: the server's)."""
        return B.encrypt(self.election(), self.secret(), [marks])

    def cast_marks(self, marks: list[int]) -> Any:
        ballot, _opening = self.encrypt_marks(marks)
        return post(self.client, self.poll, "cast", {"ballot": ballot})


def run_ceremony(
    client_for: Callable[[Any], Client],
    facilitator: Any,
    subject: Poll | Election,
    people: Sequence[Any],
    threshold: int,
    *,
    plain: bool = False,
) -> list[TrusteeBrowser]:
    """The facilitator chooses ``people`` as trustees (``threshold`` of them needed, ordinary
    ballots allowed if ``plain``); each trustee's browser then takes the ceremony's steps."""
    data: dict[str, Any] = {"trustees": [p.pk for p in people], "threshold": threshold}
    if plain:
        data["plain_fallback"] = "on"
    response = client_for(facilitator).post(url(subject, "setup"), data)
    assert response.status_code == 302, response.content
    browsers = [TrusteeBrowser(client_for(p), subject) for p in people]
    for step in ("channel", "commit", "key"):
        for b in browsers:
            response = getattr(b, step)()
            assert response.status_code == 200, response.content
    return browsers


def register_and_open(
    client_for: Callable[[Any], Client],
    facilitator: Any,
    subject: Poll | Election,
    voters: Sequence[Any],
) -> dict[Any, VoterBrowser]:
    """Each voter's browser registers a credential; then the facilitator opens voting."""
    browsers = {p: VoterBrowser(client_for(p), subject) for p in voters}
    for b in browsers.values():
        response = b.register()
        assert response.status_code == 200, response.content
    assert client_for(facilitator).post(url(subject, "open_voting")).status_code == 302
    return browsers
