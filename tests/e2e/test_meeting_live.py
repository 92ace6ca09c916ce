"""Browser test of a live meeting: two Chromium contexts (the facilitator and a participant)
and the projector, against a real server (uvicorn, the project's ASGI app, SQLite).

The facilitator gives the floor and opens a vote; the participant's page changes without a
reload; the result appears on both pages and on the projector the moment the vote closes.
Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]

SEED = r"""
import json, django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from asamblea.testing import make_cast
from asamblea.meetings import actions

cast = make_cast()
meeting = actions.meeting_schedule(
    cast.alice, cast.north, title="Asamblea de junio", starts_at=timezone.now(), place="Local"
)
item = actions.item_add(cast.alice, meeting, title="Agua potable")
actions.meeting_open(cast.alice, meeting)
for person in (cast.alice, cast.bob, cast.carol):
    actions.check_in(person, meeting)
actions.item_start(cast.alice, item)
meeting.refresh_from_db()
actions.speech_request(cast.bob, meeting.current_list)

def session(person):
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    return store.session_key

print(json.dumps({
    "slug": cast.north.slug,
    "meeting": meeting.pk,
    "alice": session(cast.alice),
    "bob": session(cast.bob),
    "carol": session(cast.carol),
    "cookie": settings.SESSION_COOKIE_NAME,
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI=true")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _start(data: Path, extra_env: dict[str, str]):
    """Migrate, seed and start a server on a spare loopback port; yields the world."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME"}
    }
    env |= {
        "ASAMBLEA_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "asamblea.settings",
        "RATE_LIMITS_ENABLED": "false",
    } | extra_env
    python = sys.executable
    subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [python, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [python, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    world = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [
            python,
            "-m",
            "asamblea.serving",
            "asamblea.asgi:application",
            "--port",
            str(port),
            "--timeout-graceful-shutdown",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    world["base"] = f"http://127.0.0.1:{port}"
    try:
        yield world
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from _start(tmp_path_factory.mktemp("e2e-meet"), {})


@pytest.fixture(scope="module")
def server_without_redis(tmp_path_factory):
    """A server configured for Redis whose Redis is down (nothing listens on the port)."""
    redis_url = f"redis://127.0.0.1:{_free_port()}/3"
    yield from _start(tmp_path_factory.mktemp("e2e-meet-noredis"), {"REDIS_URL": redis_url})


def _context(chromium, server, who):
    context = chromium.new_context(locale="en-GB")
    context.add_cookies([{"name": server["cookie"], "value": server[who], "url": server["base"]}])
    return context


def test_facilitator_drives_the_meeting_and_every_screen_follows(chromium, server):
    base = f"{server['base']}/b/{server['slug']}/meetings/{server['meeting']}/"
    errors: list[str] = []
    facilitator = _context(chromium, server, "alice").new_page()
    projector = _context(chromium, server, "alice").new_page()
    participant = _context(chromium, server, "bob").new_page()
    for page in (facilitator, projector, participant):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    participant.goto(base)
    projector.goto(base + "projector/")
    facilitator.goto(base)
    for page in (participant, projector):
        page.wait_for_selector("#live[data-mode=connected]", timeout=10_000)
        page.evaluate("window.notReloaded = true")
    assert participant.inner_text("#current-speaker").strip() == "—"

    # The facilitator gives the floor: bob's page and the projector show it without a reload.
    facilitator.click("#next-speaker")
    expect(participant.locator("#current-speaker")).to_contain_text("Bob", timeout=5_000)
    expect(projector.locator("#current-speaker")).to_contain_text("Bob", timeout=5_000)
    assert participant.evaluate("window.notReloaded") is True
    assert projector.evaluate("window.notReloaded") is True

    # The facilitator opens a vote: the ballot appears on bob's page without a reload.
    facilitator.fill("#id_title", "¿Marchamos el sábado?")
    facilitator.click("#open-vote")
    participant.wait_for_selector("#cast", timeout=5_000)
    assert participant.evaluate("window.notReloaded") is True
    projector.wait_for_selector("#vote-progress", timeout=5_000)

    participant.check("input[name=choice][value=yes]")
    participant.click("#cast")
    participant.wait_for_load_state()
    participant.goto(base)
    participant.wait_for_selector("#live[data-mode=connected]", timeout=10_000)
    participant.evaluate("window.notReloaded = true")
    expect(projector.locator("#vote-progress")).to_contain_text("1", timeout=5_000)

    # The facilitator closes the vote: the result is on all three screens.
    facilitator.click("#close-vote")
    facilitator.wait_for_selector("#vote-result", timeout=5_000)
    participant.wait_for_selector("#vote-result", timeout=5_000)
    projector.wait_for_selector("#vote-result", timeout=5_000)
    # One ballot of three does not meet the 50% quorum: every screen says so, in bob's language
    # or alice's (both Spanish by default).
    outcome = facilitator.inner_text("#vote-result")
    assert "1" in outcome
    assert participant.inner_text("#vote-result") == outcome
    assert projector.inner_text("#vote-result").split()[0] == outcome.split()[0]
    assert participant.evaluate("window.notReloaded") is True
    assert projector.evaluate("window.notReloaded") is True
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_live_updates_keep_a_half_made_choice_and_a_half_typed_hand_count(chromium, server):
    """Bob picks a choice but has not sent it; carol votes and asks to speak; alice half-types
    a hand count. Every live update lands, and nobody loses what they were doing."""
    base = f"{server['base']}/b/{server['slug']}/meetings/{server['meeting']}/"
    facilitator = _context(chromium, server, "alice").new_page()
    bob = _context(chromium, server, "bob").new_page()
    carol = _context(chromium, server, "carol").new_page()
    facilitator.goto(base)
    facilitator.fill("#id_title", "¿Pintamos el local?")
    facilitator.click("#open-vote")
    facilitator.wait_for_selector("#close-vote")
    for page in (bob, carol):
        page.goto(base)
        page.wait_for_selector("#live[data-mode=connected]", timeout=10_000)
    facilitator.wait_for_selector("#live[data-mode=connected]", timeout=10_000)
    bob.evaluate("window.notReloaded = true")
    facilitator.evaluate("window.notReloaded = true")

    # Half-made work: bob's choice, alice's open hand-count form with a number typed in.
    bob.check("input[name=choice][value=no]")
    facilitator.click("#hand-count summary")
    facilitator.fill("#hands-yes", "1")
    facilitator.fill("#hands-no", "1")
    before = int(bob.get_attribute("#live", "data-refreshed") or 0)

    # Carol votes and asks to speak: two live events reach both pages.
    carol.check("input[name=choice][value=yes]")
    carol.click("#cast")
    carol.wait_for_load_state()
    carol.goto(base)
    carol.click("#ask-to-speak")
    expect(bob.locator("#queue")).to_contain_text("Carol", timeout=5_000)
    expect(bob.locator("#vote-progress")).to_contain_text("1", timeout=5_000)
    expect(facilitator.locator("#queue")).to_contain_text("Carol", timeout=5_000)
    assert int(bob.get_attribute("#live", "data-refreshed") or 0) > before

    # Alicia starts moving carol's turn (the form open, a reason typed); carol then raises a
    # point of order, which goes first in the queue: the open form stays with carol's turn.
    turn = facilitator.locator("#queue li.turn", has_text="Carol")
    turn.locator("details summary").click()
    turn.locator("input[name=reason]").fill("Lleva rato esperando")
    carol.click("button[value=point_of_order]")
    expect(facilitator.locator("#queue li").first).to_have_class("point_of_order", timeout=5_000)
    assert turn.locator("details").get_attribute("open") is not None
    assert turn.locator("input[name=reason]").input_value() == "Lleva rato esperando"

    assert bob.is_checked("input[name=choice][value=no]")
    assert not bob.is_checked("input[name=choice][value=yes]")
    assert facilitator.locator("#hand-count").get_attribute("open") is not None
    assert facilitator.input_value("#hands-yes") == "1"
    assert facilitator.input_value("#hands-no") == "1"
    assert bob.evaluate("window.notReloaded") is True
    assert facilitator.evaluate("window.notReloaded") is True

    # Bob's submit casts the choice he made before the updates.
    bob.click("#cast")
    bob.wait_for_load_state()
    assert bob.locator(".receipt").count() == 1
    expect(facilitator.locator("#vote-progress")).to_contain_text("2", timeout=5_000)
    assert facilitator.input_value("#hands-yes") == "1"
    facilitator.click("#close-vote")
    facilitator.wait_for_selector("#vote-result", timeout=5_000)
    for page in (facilitator, bob, carol):
        page.context.close()


def test_a_vote_page_follows_its_vote_live_and_shows_the_result_when_it_closes(chromium, server):
    """The vote's own page (reached from "Happening now" on the assembly page) streams too:
    progress while open, the result the moment it closes, bob's unsent choice kept."""
    base = f"{server['base']}/b/{server['slug']}/meetings/{server['meeting']}/"
    facilitator = _context(chromium, server, "alice").new_page()
    bob = _context(chromium, server, "bob").new_page()
    carol = _context(chromium, server, "carol").new_page()
    facilitator.goto(base)
    facilitator.fill("#id_title", "¿Hacemos una olla común?")
    facilitator.click("#open-vote")
    facilitator.wait_for_selector("#close-vote")
    bob.goto(f"{server['base']}/b/{server['slug']}/")
    bob.click("#now .now-vote h3 a")
    bob.wait_for_selector("#live[data-mode=connected]", timeout=10_000)
    bob.evaluate("window.notReloaded = true")
    bob.check("input[name=choice][value=abstain]")
    progress = bob.inner_text("#progress")

    carol.goto(base)
    carol.check("input[name=choice][value=yes]")
    carol.click("#cast")
    carol.wait_for_load_state()
    expect(bob.locator("#progress")).not_to_have_text(progress, timeout=5_000)
    assert bob.is_checked("input[name=choice][value=abstain]")

    facilitator.goto(base)
    facilitator.click("#close-vote")
    expect(bob.locator("#poll-outcome")).to_be_visible(timeout=5_000)
    expect(bob.locator("#count-yes")).to_have_text("1")
    assert bob.locator("input[name=choice]").count() == 0  # the form went with the open vote
    assert bob.evaluate("window.notReloaded") is True
    for page in (facilitator, bob, carol):
        page.context.close()


def test_meeting_page_works_without_javascript(chromium, server):
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    context.add_cookies([{"name": server["cookie"], "value": server["bob"], "url": server["base"]}])
    page = context.new_page()
    page.goto(f"{server['base']}/b/{server['slug']}/meetings/{server['meeting']}/")
    assert page.locator("#live").count() == 1
    assert page.locator("form[action$='/checkout/'] button").count() == 1
    context.close()


def test_with_redis_down_pages_poll_and_the_meeting_goes_on(chromium, server_without_redis):
    server = server_without_redis
    base = f"{server['base']}/b/{server['slug']}/meetings/{server['meeting']}/"
    participant = _context(chromium, server, "bob").new_page()
    facilitator = _context(chromium, server, "alice").new_page()
    participant.goto(base)
    participant.wait_for_selector("#live[data-mode=polling]", timeout=10_000)
    participant.evaluate("window.notReloaded = true")
    facilitator.goto(base)
    facilitator.click("#next-speaker")
    expect(participant.locator("#current-speaker")).to_contain_text("Bob", timeout=10_000)
    facilitator.fill("#id_title", "¿Seguimos?")
    facilitator.click("#open-vote")
    participant.wait_for_selector("#cast", timeout=10_000)
    participant.check("input[name=choice][value=no]")
    participant.click("#cast")
    participant.wait_for_load_state()
    assert participant.locator(".receipt").count() == 1  # the vote was taken
