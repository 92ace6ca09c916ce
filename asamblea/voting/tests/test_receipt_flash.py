"""The receipt's flash cookie (shown once after a cast without JavaScript): what verifies, what
does not, and for how long."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from asamblea.voting import receipt_flash

RECEIPT = "0123456789abcdef" * 2


def test_a_value_reads_back_as_written() -> None:
    raw = receipt_flash.value("poll", 42, RECEIPT)
    assert receipt_flash.read(raw) == {"kind": "poll", "pk": 42, "receipt": RECEIPT}
    assert receipt_flash.read(receipt_flash.value("election", 7, None)) == {
        "kind": "election",
        "pk": 7,
        "receipt": None,
    }


def test_the_value_holds_no_choice_and_no_person() -> None:
    raw = receipt_flash.value("poll", 42, RECEIPT)
    kind, pk, receipt, issued, mac = raw.split(".")
    assert (kind, pk, receipt) == ("poll", "42", RECEIPT)
    assert issued.isdigit() and len(mac) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.replace("poll.42.", "poll.43."),  # another poll
        lambda raw: raw.replace("poll.", "election.", 1),  # another kind
        lambda raw: raw[:-1] + ("0" if raw[-1] != "0" else "1"),  # the MAC
        lambda raw: raw.replace(RECEIPT, "f" * 32),  # another receipt
        lambda raw: raw + ".",  # shape
        lambda raw: "",
        lambda raw: "forged:value",
        lambda raw: raw.upper(),
    ],
)
def test_a_changed_value_does_not_verify(change) -> None:  # type: ignore[no-untyped-def]
    assert receipt_flash.read(change(receipt_flash.value("poll", 42, RECEIPT))) is None


def test_a_flash_expires_after_max_age() -> None:
    raw = receipt_flash.value("poll", 42, RECEIPT)
    now = time.time()
    assert receipt_flash.read(raw, now=now + receipt_flash.MAX_AGE - 2) is not None
    assert receipt_flash.read(raw, now=now + receipt_flash.MAX_AGE + 2) is None
    assert receipt_flash.read(raw, now=now - 60) is None  # issued in the future


def test_secret_key_rotation() -> None:
    with override_settings(SECRET_KEY="old-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        raw = receipt_flash.value("poll", 42, RECEIPT)
    with override_settings(SECRET_KEY="new-" + "k" * 50, SECRET_KEY_FALLBACKS=["old-" + "k" * 50]):
        assert receipt_flash.read(raw) is not None  # made just before the rotation
    with override_settings(SECRET_KEY="new-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        assert receipt_flash.read(raw) is None  # the old key retired


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        receipt_flash.value("meeting", 1, RECEIPT)
