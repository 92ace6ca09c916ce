"""Verifiable secret ballots (issue 15): the browser encrypts, anyone recounts from a public board.

``core`` is the pure cryptographic core (no Django): exponential ElGamal over ristretto255, zero-
knowledge proofs, credentials, threshold trustees, the homomorphic tally and the hash-chained
bulletin board. ``verifier`` re-checks a board from the board alone and shares nothing with
``core`` but the group arithmetic (``core.group``). See ``docs/verifiable-ballots.md``.
"""
