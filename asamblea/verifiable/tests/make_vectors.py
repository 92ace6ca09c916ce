"""Write ``vectors.json``: test vectors that the Python and the JavaScript sides both check.

    .venv/bin/python -m asamblea.verifiable.tests.make_vectors

Run it again only when the format changes ("asamblea-verifiable/1" would then become /2): the
committed file is the reference both sides are held to.
"""

from __future__ import annotations

import json
from pathlib import Path

from asamblea.verifiable.core import credentials, elgamal
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.encoding import canonical, hash_to_scalar, hx, sx, tag

PATH = Path(__file__).with_name("vectors.json")


def main() -> None:
    hashes = []
    for name, parts in (
        ("iproof", [b"", b"\x00" * 32, b"abc"]),
        ("signature", [bytes(range(64))]),
        ("credential", ["elección-1".encode(), b"abcdefghijkmnpqrstuvwxyz23"]),
    ):
        hashes.append(
            {
                "name": name,
                "parts": [p.hex() for p in parts],
                "scalar": sx(hash_to_scalar(tag(name), *parts)),
            }
        )
    texts = [
        {"a": 1, "B": [True, None, "x"]},
        '¿Aprobamos la huelga? — sí/no \u2028 \x7f \x01 "q" \\ \n',
        {"z": {"y": [], "x": {}}, "emoji": "\U0001f5f3", "n": -12345678901},
    ]
    canon = [{"value": v, "text": canonical(v).decode()} for v in texts]
    election = "7f1b2a4c-0000-4000-8000-000000000015"
    creds = []
    for code in ("abcde-fghij-kmnpq-rstuv-wxyz2-3", "22222-22222-22222-22222-22222-2"):
        creds.append(
            {
                "election": election,
                "code": code,
                "public": hx(credentials.public(credentials.secret(election, code))),
            }
        )
    y = G.base(123456789)
    enc = []
    for m, r in ((0, 7), (1, 2**200 + 3), (2, G.L - 1)):
        (a, b), _ = elgamal.encrypt(y, m, r)
        enc.append({"public_key": hx(y), "m": m, "r": sx(r), "alpha": hx(a), "beta": hx(b)})

    s = S.setup(
        [1, 2, 1],
        trustee_count=3,
        threshold=2,
        election_id=election,
        questions=(
            ("¿Huelga?", S.YES_NO_ABSTAIN, 1, 1),
            ("Comisión", ("Ana", "Bea", "Ciro"), 0, 2),
        ),
    )
    S.cast(s, 0, [[1, 0, 0], [1, 1, 0]])
    S.cast(s, 1, [[0, 1, 0], [0, 0, 1]])
    S.cast(s, 0, [[0, 0, 1], [1, 0, 0]])
    result = S.close(s, [2, 3])
    board = s.board.to_json()
    first_ballot = next(i for i, r in enumerate(board["records"]) if r["kind"] == "ballot")
    tally = next(i for i, r in enumerate(board["records"]) if r["kind"] == "tally")
    partial = tally + 1
    res = len(board["records"]) - 1
    # Each tampering: set a value at a path (or delete a record), re-chain or not, expected index.
    tamper = [
        {
            "name": "ballot ciphertext",
            "path": [first_ballot, "payload", "answers", 1, "choices", 2, 1],
            "value": hx(G.base(5)),
            "rechain": True,
            "index": first_ballot,
        },
        {
            "name": "ballot proof",
            "path": [first_ballot + 1, "payload", "answers", 0, "proofs", 0, "responses", 1],
            "value": sx(1),
            "rechain": True,
            "index": first_ballot + 1,
        },
        {
            "name": "credential signature",
            "path": [first_ballot + 2, "payload", "signature", "response"],
            "value": sx(2),
            "rechain": True,
            "index": first_ballot + 2,
        },
        {
            "name": "tally",
            "path": [tally, "payload", "ciphertexts", 0, 0, 0],
            "value": hx(G.base(9)),
            "rechain": True,
            "index": tally,
        },
        {
            "name": "partial decryption",
            "path": [partial, "payload", "factors", 1, 2, "factor"],
            "value": hx(G.base(11)),
            "rechain": True,
            "index": partial,
        },
        {
            "name": "result",
            "path": [res, "payload", "counts", 0],
            "value": [1, 2, 0],
            "rechain": True,
            "index": res,
        },
        {
            "name": "chain link",
            "path": [first_ballot + 1, "payload", "credential"],
            "value": board["records"][first_ballot]["payload"]["credential"],
            "rechain": False,
            "index": first_ballot + 1,
        },
        {
            "name": "counted ballot deleted",
            "delete": first_ballot + 1,
            "rechain": True,
            "index": tally - 1,
        },
    ]
    data = {
        "comment": "Shared test vectors of asamblea-verifiable/1; made by make_vectors.py.",
        "hash_to_scalar": hashes,
        "canonical": canon,
        "credentials": creds,
        "encryption": enc,
        "board": {"board": board, "codes": s.codes, "result": result},
        "tamper": tamper,
    }
    PATH.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
