"""The hash chain on its own (pure Python, no database)."""

import hashlib
from dataclasses import replace

import pytest

from asamblea.ledger.chain import (
    GENESIS,
    CanonicalJSONError,
    Entry,
    canonical_json,
    entry_hash,
    verify,
)


def build(events):
    entries, prev = [], GENESIS
    for seq, (kind, payload) in enumerate(events, start=1):
        at = f"2026-03-0{seq}T10:00:00+00:00"
        digest = entry_hash(seq, kind, at, payload, prev)
        entries.append(Entry(seq, kind, at, payload, prev, digest))
        prev = digest
    return entries


EVENTS = [
    ("body.created", {"body": 1, "name": "Norte"}),
    ("member.joined", {"person": 2, "role": "member"}),
    ("motion.submitted", {"motion": 1, "title": "Agua potable", "author": 2}),
    ("poll.closed", {"poll": 1, "result": {"yes": "2", "no": "1", "adopted": True}}),
]


def test_canonical_json_sorts_keys_and_drops_white_space():
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == '{"a":[true,null,"x"],"b":1}'


def test_canonical_json_keeps_unicode_as_utf8():
    assert canonical_json({"t": "Año ñ"}) == '{"t":"Año ñ"}'


def test_canonical_json_refuses_floats_anywhere():
    with pytest.raises(CanonicalJSONError):
        canonical_json({"turnout": 0.5})
    with pytest.raises(CanonicalJSONError):
        canonical_json({"nested": [{"x": 1.0}]})


def test_canonical_json_refuses_non_string_keys_and_odd_types():
    with pytest.raises(CanonicalJSONError):
        canonical_json({1: "x"})
    with pytest.raises(CanonicalJSONError):
        canonical_json({"when": object()})


def test_entry_hash_is_sha256_of_the_canonical_entry():
    payload = {"body": 1}
    expected = hashlib.sha256(
        canonical_json(
            {"seq": 1, "kind": "body.created", "at": "t", "payload": payload, "prev": GENESIS}
        ).encode("utf-8")
    ).hexdigest()
    assert entry_hash(1, "body.created", "t", payload, GENESIS) == expected


def test_entry_hash_does_not_depend_on_key_order():
    assert entry_hash(1, "k", "t", {"a": 1, "b": 2}, GENESIS) == entry_hash(
        1, "k", "t", {"b": 2, "a": 1}, GENESIS
    )


def test_entry_hash_changes_with_every_field():
    base = entry_hash(1, "k", "t", {"a": 1}, GENESIS)
    assert entry_hash(2, "k", "t", {"a": 1}, GENESIS) != base
    assert entry_hash(1, "k2", "t", {"a": 1}, GENESIS) != base
    assert entry_hash(1, "k", "t2", {"a": 1}, GENESIS) != base
    assert entry_hash(1, "k", "t", {"a": 2}, GENESIS) != base
    assert entry_hash(1, "k", "t", {"a": 1}, "1" * 64) != base


def test_an_intact_chain_verifies_and_reports_its_head():
    entries = build(EVENTS)
    result = verify(entries)
    assert result.ok
    assert result.count == 4
    assert result.head == entries[-1].hash
    assert result.broken_at is None


def test_an_empty_chain_verifies_with_the_genesis_head():
    result = verify([])
    assert result.ok and result.count == 0 and result.head == GENESIS


def test_a_changed_payload_names_that_entry():
    entries = build(EVENTS)
    entries[2] = replace(entries[2], payload={"motion": 1, "title": "Otra cosa", "author": 2})
    result = verify(entries)
    assert not result.ok
    assert result.broken_at == 3
    assert "does not match" in result.reason


def test_a_recomputed_hash_breaks_the_next_link():
    entries = build(EVENTS)
    forged_payload = {"body": 1, "name": "Sur"}
    forged = entry_hash(1, "body.created", entries[0].at, forged_payload, GENESIS)
    entries[0] = replace(entries[0], payload=forged_payload, hash=forged)
    result = verify(entries)
    assert not result.ok
    assert result.broken_at == 2
    assert "link" in result.reason


def test_a_missing_entry_is_detected():
    entries = build(EVENTS)
    del entries[1]
    result = verify(entries)
    assert not result.ok
    assert result.broken_at == 3
    assert "seq" in result.reason


def test_a_float_smuggled_into_a_stored_payload_is_reported():
    entries = build(EVENTS)
    entries[3] = replace(entries[3], payload={"poll": 1, "turnout": 0.5})
    result = verify(entries)
    assert not result.ok
    assert result.broken_at == 4
    assert "float" in result.reason


def test_the_first_of_several_broken_entries_is_named():
    entries = build(EVENTS)
    entries[1] = replace(entries[1], kind="member.removed")
    entries[3] = replace(entries[3], kind="poll.opened")
    assert verify(entries).broken_at == 2


def test_a_saved_head_holds_while_the_chain_only_grows():
    from asamblea.ledger.chain import Head, head_problem

    entries = build(EVENTS)
    saved = Head("body:1", 2, entries[1].hash)
    assert head_problem(saved, len(entries), entries[1].hash) == ""
    assert head_problem(Head("body:1", 0, GENESIS), 0, None) == ""


def test_a_saved_head_reveals_a_rewrite_and_a_truncation():
    from asamblea.ledger.chain import Head, head_problem

    entries = build(EVENTS)
    saved = Head("body:1", len(entries), entries[-1].hash)
    rewritten = build([EVENTS[0], ("member.joined", {"person": 9, "role": "facilitator"})])
    assert "rewritten at or before entry" in head_problem(saved, len(entries), rewritten[-1].hash)
    assert "entries were deleted" in head_problem(saved, len(entries) - 1, None)


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"format": "asamblea-ledger-heads/1"}',
        '{"format": "asamblea-ledger-heads/1", "heads": [{"chain": "b", "length": -1}]}',
        '{"format": "asamblea-ledger-heads/1", "heads": [{"chain": "b", "length": 1, '
        '"hash": "x"}]}',
        '{"format": "asamblea-ledger-heads/1", "heads": [{"chain": "", "length": 1}]}',
    ],
)
def test_a_malformed_heads_file_is_refused(text):
    from asamblea.ledger.chain import HeadsFileError, parse_heads

    with pytest.raises(HeadsFileError):
        parse_heads(text)
