"""The pure core: each security property stated, then tested.

1. Every point received is checked for membership of the group; scalars must be canonical.
2. The product of ciphertexts encrypts the weighted sum (the tally decrypts no ballot).
3. Soundness: no valid proof that a ciphertext of 2 holds 0 or 1; no ballot choosing more
   answers than allowed can be made.
4. Strong Fiat-Shamir: a proof is bound to its election, key and credential.
5. The server cannot cast for anyone: a ballot copied under another credential fails.
6. A ballot for one election fails in another (no replay across elections).
7. Trackers reveal nothing: the same choice gives a different tracker each time.
8. Cast-or-audit: an opening shows what the browser encrypted; a wrong opening is caught.
9. Threshold: any t trustees decrypt, t - 1 cannot; no trustee holds the election secret;
   a share that does not match the published coefficients is detected.
10. Weights multiply in the tally; the last ballot of a credential counts.

Tampering with a published board is tested in ``test_verifier.py`` (Python) and
``test_node_verifier.py`` (both verifiers agree).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, elgamal, tally, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.encoding import parse_point, tag
from asamblea.verifiable.core.proofs import interval_prove, interval_verify


def test_points_outside_the_group_are_refused() -> None:
    """Every received point is checked for group membership (non-canonical, off-curve, short)."""
    for bad in (b"\xff" * 32, (2**255 - 18).to_bytes(32, "little"), b"\x01" * 31, b"\x01" * 33):
        with pytest.raises(G.GroupError):
            G.point(bad)
    with pytest.raises(ValueError):
        parse_point("ff" * 32)
    assert G.point(G.GENERATOR) == G.GENERATOR


def test_scalars_must_be_canonical() -> None:
    with pytest.raises(G.GroupError):
        G.scalar_from_bytes(G.L.to_bytes(32, "little"))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=6), st.integers(1, 5))
def test_the_product_of_ciphertexts_encrypts_the_weighted_sum(bits: list[int], w: int) -> None:
    x = G.random_scalar()
    y = G.base(x)
    total = elgamal.ZERO
    for m in bits:
        ct, _ = elgamal.encrypt(y, m)
        total = elgamal.add(total, elgamal.scale(ct, w))
    g_m = G.sub(total[1], G.mul(x, total[0]))
    assert elgamal.discrete_log(g_m, w * len(bits)) == w * sum(bits)


def test_discrete_log_refuses_a_value_beyond_the_bound() -> None:
    with pytest.raises(ValueError):
        elgamal.discrete_log(G.base(11), 10)
    assert elgamal.discrete_log(G.IDENTITY, 0) == 0


def test_no_proof_that_2_is_0_or_1() -> None:
    """Soundness: a ciphertext of 2 cannot carry a valid proof of being 0 or 1."""
    y = G.base(G.random_scalar())
    (a, b), r = elgamal.encrypt(y, 2)
    ctx = [b"context"]
    proof = interval_prove(y, a, b, r, 1, (0, 1), tag("iproof"), ctx)  # a lie about the value
    assert not interval_verify(proof, y, a, b, (0, 1), tag("iproof"), ctx)


def test_a_proof_is_bound_to_its_context() -> None:
    """Strong Fiat-Shamir: the same proof under another election or credential fails."""
    y = G.base(G.random_scalar())
    (a, b), r = elgamal.encrypt(y, 1)
    proof = interval_prove(y, a, b, r, 1, (0, 1), tag("iproof"), [b"election A"])
    assert interval_verify(proof, y, a, b, (0, 1), tag("iproof"), [b"election A"])
    assert not interval_verify(proof, y, a, b, (0, 1), tag("iproof"), [b"election B"])
    assert not interval_verify(proof, G.base(3), a, b, (0, 1), tag("iproof"), [b"election A"])


def _one_voter() -> tuple[S.Setup, int]:
    s = S.setup([1])
    return s, credentials.secret(s.election_id, s.codes[0])


def test_a_ballot_verifies_and_its_copy_under_another_credential_does_not() -> None:
    """The server cannot cast for anyone: a ballot is signed by a credential only its voter has."""
    s = S.setup([1, 1])
    x0 = credentials.secret(s.election_id, s.codes[0])
    payload, _ = B.encrypt(s.election, x0, [[0, 1, 0]])
    assert B.verify(s.election, payload)
    stolen = dict(
        payload, credential=S.hx(credentials.public(credentials.secret(s.election_id, s.codes[1])))
    )
    assert not B.verify(s.election, stolen)


def test_a_ballot_for_one_election_fails_in_another() -> None:
    s1, x1 = _one_voter()
    s2, _ = _one_voter()
    payload, _ = B.encrypt(s1.election, x1, [[1, 0, 0]])
    assert not B.verify(s2.election, payload)


def test_a_ballot_choosing_two_answers_cannot_be_made() -> None:
    s, x = _one_voter()
    with pytest.raises(ValueError):
        B.encrypt(s.election, x, [[1, 1, 0]])


def test_the_tracker_does_not_depend_on_the_choice_alone() -> None:
    """Two ballots with the same choice have different trackers (fresh randomness)."""
    s, x = _one_voter()
    p1, _ = B.encrypt(s.election, x, [[1, 0, 0]])
    p2, _ = B.encrypt(s.election, x, [[1, 0, 0]])
    assert B.tracker(p1) != B.tracker(p2)


def test_an_audited_ballot_opens_to_its_choice_and_a_wrong_opening_is_caught() -> None:
    """Cast-or-audit: the opening proves what the browser encrypted."""
    s, x = _one_voter()
    payload, opening = B.encrypt(s.election, x, [[0, 0, 1]])
    assert B.check_opening(s.election, payload, opening) == [[0, 0, 1]]
    opening[0][0], opening[0][2] = opening[0][2], opening[0][0]
    with pytest.raises(ValueError):
        B.check_opening(s.election, payload, opening)


def test_credential_codes_normalize_and_bad_codes_are_refused() -> None:
    code = credentials.new_code()
    assert credentials.secret("e", code.upper().replace("-", " ")) == credentials.secret("e", code)
    assert credentials.secret("e", code) != credentials.secret("f", code)
    for bad in ("", "0" * 26, code + "a", code.replace(code[0], "l", 1)):
        with pytest.raises(ValueError):
            credentials.normalize(bad)


def test_any_threshold_of_trustees_decrypts_and_fewer_do_not() -> None:
    """t of n: every set of t trustees gives the same result; t - 1 trustees cannot decrypt."""
    s = S.setup([1, 1, 1], trustee_count=4, threshold=3)
    S.cast(s, 0, [[1, 0, 0]])
    S.cast(s, 1, [[1, 0, 0]])
    S.cast(s, 2, [[0, 1, 0]])
    ballots = [r["payload"] for r in s.board.records if r["kind"] == "ballot"]
    t, _, total = tally.accumulate(ballots, s.weights, [3])
    partial = {j: [[G.mul(s.trustee_keys[j], a) for a, _ in row] for row in t] for j in range(1, 5)}
    for subset in itertools.combinations(range(1, 5), 3):
        assert tally.combine(t, {j: partial[j] for j in subset}, total) == [[2, 1, 0]]
    with pytest.raises(ValueError):
        tally.combine(t, {j: partial[j] for j in (1, 2)}, total)


def test_a_trustee_detects_a_share_that_does_not_match_the_commitments() -> None:
    poly = trustees.new_polynomial(3)
    exps = [G.base(a) for a in poly]
    assert trustees.check_share(exps, 2, trustees.evaluate(poly, 2))
    assert not trustees.check_share(exps, 2, trustees.evaluate(poly, 2) + 1)
    assert not trustees.check_share(exps, 3, trustees.evaluate(poly, 2))


def test_the_election_key_has_no_single_holder() -> None:
    """The secret of y is Σ f_i(0), which no trustee holds: it is the Lagrange sum of t shares."""
    s = S.setup([1], trustee_count=3, threshold=2)
    keys = s.trustee_keys
    lam = {j: trustees.lagrange_at_zero([1, 2], j) for j in (1, 2)}
    assert G.base(sum(lam[j] * keys[j] for j in (1, 2))) == s.election.public_key
    assert all(G.base(k) != s.election.public_key for k in keys.values())


def test_weights_multiply_in_the_tally_and_the_last_ballot_counts() -> None:
    s = S.setup([3, 1])
    S.cast(s, 0, [[0, 1, 0]])
    S.cast(s, 1, [[1, 0, 0]])
    S.cast(s, 0, [[1, 0, 0]])
    assert S.close(s, [1, 2]) == [[4, 0, 0]]


def test_approval_questions_allow_a_range_of_choices() -> None:
    s = S.setup([1, 1], questions=(("Comisión", ("Ana", "Bea", "Ciro"), 0, 2),))
    S.cast(s, 0, [[1, 1, 0]])
    S.cast(s, 1, [[0, 0, 0]])
    assert S.close(s, [1, 2]) == [[1, 1, 0]]
    x = credentials.secret(s.election_id, s.codes[0])
    with pytest.raises(ValueError):
        B.encrypt(s.election, x, [[1, 1, 1]])
