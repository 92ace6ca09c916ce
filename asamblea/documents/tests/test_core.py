"""The pure core: plain tests of each operation and refusal, and properties (applying then
reverting gives the text back, non-conflicting changes commute, ids are stable and unique)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.documents.core import (
    Change,
    ChangeError,
    Op,
    Paragraph,
    apply,
    apply_splice,
    compile_change,
    conflict_groups,
    conflicts,
    consolidate,
    initial_text,
    number_lines,
    revert,
    split_paragraphs,
    text_hash,
    to_markdown,
    word_diff,
)

DRAFT = "Primero.\n\nSegundo párrafo.\n\n\nTercero\ncon dos líneas.\n\nCuarto."


def test_paragraphs_are_split_at_blank_lines_and_numbered_p1_on():
    text = initial_text(DRAFT)
    assert [p.pid for p in text] == ["p1", "p2", "p3", "p4"]
    assert text[2].text == "Tercero\ncon dos líneas."
    assert split_paragraphs("  \r\n\r\n a \r\n\r\n") == ["a"]


def test_lines_are_numbered_through_the_document_and_wrapped_at_80():
    text = initial_text("palabra " * 25 + "\n\nCorto.")
    numbered = number_lines(text)
    first_lines = numbered[0][2]
    assert [n for n, _ in first_lines] == [1, 2, 3]
    assert all(len(line) <= 80 for _, line in first_lines)
    assert numbered[1][0] == 2 and numbered[1][2] == [(4, "Corto.")]


def test_replace_keeps_ids_and_new_paragraphs_get_the_key():
    text = initial_text(DRAFT)
    new, _undo = apply(text, Change(Op.REPLACE, "p2", "p2", "Dos.\n\nDos y medio.", key="a7"))
    assert [(p.pid, p.text) for p in new[1:3]] == [("p2", "Dos."), ("a7-1", "Dos y medio.")]


def test_replacing_a_range_with_fewer_paragraphs_drops_the_rest():
    new, _ = apply(initial_text(DRAFT), Change(Op.REPLACE, "p2", "p3", "Uno solo.", key="a1"))
    assert [p.pid for p in new] == ["p1", "p2", "p4"]


def test_insert_after_and_at_the_start_and_delete():
    text = initial_text(DRAFT)
    new, _ = apply(text, Change(Op.INSERT_AFTER, "p4", markdown="Quinto.", key="a2"))
    assert new[-1] == Paragraph("a2-1", "Quinto.")
    new, _ = apply(text, Change(Op.INSERT_AFTER, "", markdown="Cero.", key="a3"))
    assert new[0] == Paragraph("a3-1", "Cero.")
    new, _ = apply(text, Change(Op.DELETE, "p1", "p3"))
    assert [p.pid for p in new] == ["p4"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (Change(Op.REPLACE, "p9", "p9", "x", key="a"), "unknown_paragraph"),
        (Change(Op.REPLACE, "p3", "p2", "x", key="a"), "range_order"),
        (Change(Op.REPLACE, "p1", "p1", "  ", key="a"), "empty_text"),
        (Change(Op.DELETE, "p1", "p1", "x"), "text_with_delete"),
        (Change(Op.INSERT_AFTER, "p7", markdown="x", key="a"), "unknown_paragraph"),
        (Change(Op.INSERT_AFTER, "p1", markdown="x", key=""), "no_key"),
    ],
)
def test_bad_changes_are_refused_with_a_reason(change, code):
    with pytest.raises(ChangeError) as refused:
        compile_change(initial_text(DRAFT), change)
    assert refused.value.code == code


def test_a_splice_on_changed_text_is_refused():
    text = initial_text(DRAFT)
    splice = compile_change(text, Change(Op.REPLACE, "p2", "p2", "Dos.", key="a1"))
    other, _ = apply(text, Change(Op.REPLACE, "p2", "p2", "Otro.", key="a2"))
    with pytest.raises(ChangeError) as refused:
        apply_splice(other, splice)
    assert refused.value.code == "changed"
    gone, _ = apply(text, Change(Op.DELETE, "p2", "p2"))
    with pytest.raises(ChangeError) as refused:
        apply_splice(gone, splice)
    assert refused.value.code == "unknown_paragraph"


def test_conflicts_and_groups():
    text = initial_text(DRAFT)
    a = compile_change(text, Change(Op.REPLACE, "p2", "p3", "x", key="a1"))
    b = compile_change(text, Change(Op.DELETE, "p3", "p3"))
    c = compile_change(text, Change(Op.INSERT_AFTER, "p3", markdown="y", key="a3"))
    d = compile_change(text, Change(Op.INSERT_AFTER, "p1", markdown="z", key="a4"))
    e = compile_change(text, Change(Op.INSERT_AFTER, "p1", markdown="w", key="a5"))
    assert conflicts(a, b) and conflicts(b, c) and conflicts(a, c) and conflicts(d, e)
    assert not conflicts(a, d)
    groups = conflict_groups([(1, a), (2, b), (3, c), (4, d), (5, e)])
    assert groups == {1: [2, 3], 2: [1, 3], 3: [1, 2], 4: [5], 5: [4]}


def test_consolidate_leaves_out_what_can_no_longer_apply():
    text = initial_text(DRAFT)
    a = compile_change(text, Change(Op.DELETE, "p2", "p2"))
    b = compile_change(text, Change(Op.REPLACE, "p2", "p2", "x", key="a2"))
    c = compile_change(text, Change(Op.REPLACE, "p4", "p4", "Cuatro.", key="a3"))
    result = consolidate(text, [(1, a), (2, b), (3, c)])
    assert result.applied == (1, 3) and result.refused == ((2, "unknown_paragraph"),)
    assert to_markdown(result.text) == "Primero.\n\nTercero\ncon dos líneas.\n\nCuatro."


def test_word_diff_marks_insertions_and_deletions():
    parts = word_diff("El agua es un derecho", "El agua potable es un derecho humano")
    assert ("+", "potable ") in parts or ("+", " potable") in parts
    assert "".join(t for op, t in parts if op != "+") == "El agua es un derecho"
    assert "".join(t for op, t in parts if op != "-") == "El agua potable es un derecho humano"


def test_hash_depends_on_ids_text_and_title():
    text = initial_text(DRAFT)
    assert text_hash("T", text) == text_hash("T", initial_text(DRAFT))
    assert text_hash("T", text) != text_hash("U", text)
    assert text_hash("T", text) != text_hash("T", text[:-1])


# --- properties -------------------------------------------------------------------------------

words = st.text(alphabet="abcdeñáé ", min_size=1, max_size=12).map(str.strip).filter(bool)
texts = st.lists(words, min_size=1, max_size=8).map(
    lambda parts: tuple(Paragraph(f"p{i}", t) for i, t in enumerate(parts, 1))
)


@st.composite
def text_and_changes(draw, count=1):
    text = draw(texts)
    changes = []
    for n in range(count):
        op = draw(st.sampled_from(list(Op)))
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i, len(text) - 1))
        body = "\n\n".join(draw(st.lists(words, min_size=1, max_size=3)))
        key = f"a{n}"
        if op == Op.INSERT_AFTER:
            start = draw(st.sampled_from(["", *[p.pid for p in text]]))
            changes.append(Change(op, start, markdown=body, key=key))
        elif op == Op.DELETE:
            changes.append(Change(op, text[i].pid, text[j].pid))
        else:
            changes.append(Change(op, text[i].pid, text[j].pid, body, key=key))
    return text, changes


@given(text_and_changes())
def test_applying_then_reverting_gives_the_text_back(case):
    text, (change,) = case
    new, undo = apply(text, change)
    assert revert(new, undo) == text


@given(text_and_changes(count=2))
def test_changes_that_do_not_conflict_commute(case):
    text, (first, second) = case
    a, b = compile_change(text, first), compile_change(text, second)
    if conflicts(a, b):
        return
    one = apply_splice(apply_splice(text, a)[0], b)[0]
    other = apply_splice(apply_splice(text, b)[0], a)[0]
    assert one == other


@given(text_and_changes(count=3))
def test_ids_are_stable_and_unique(case):
    text, changes = case
    current = text
    seen = {p.pid for p in text}
    for change in changes:
        try:
            splice = compile_change(current, change)
            new, _undo = apply_splice(current, splice)
        except ChangeError:
            continue
        removed = {p.pid for p in splice.removed}
        kept = [p for p in current if p.pid not in removed]
        assert [p for p in new if p.pid not in {q.pid for q in splice.inserted}] == kept
        assert len({p.pid for p in new}) == len(new)
        fresh = {p.pid for p in splice.inserted} - removed
        assert not fresh & seen  # an id is never given twice
        seen |= fresh
        current = new
