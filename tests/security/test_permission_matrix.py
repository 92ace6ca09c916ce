"""The permission matrix: every route of the URL configuration x every role, with the answer
expected. A route added to the URL configuration without a row here fails the test, so nobody can
add a page without deciding who may use it.

Cells: an HTTP status, or ``login`` for a redirect to the login page (and ``302`` for a redirect
anywhere else: the action was done). Every refused answer (4xx or ``login``) must leave the
database exactly as it was.

The world: North is a members-only assembly (alice facilitates; bob, the member, authored the
motion; olivia observes; dave is a member and North's delegate), South is public and facilitated
by frank, oscar belongs nowhere. The target of every route is in North.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from tests.security.world import ROUTES, build, fingerprint, route_names

ROLES = (
    "anonymous",
    "outsider",
    "observer",
    "member",
    "facilitator",
    "other_facilitator",
    "delegate",
)

# fmt: off
#                                 anonymous outsider observer member facilitator other_fac delegate
MATRIX: dict[tuple[str, str], tuple[object, ...]] = {
    ("set_language", "GET"):             (302,    302,     302,     302,     302,     302,     302),
    ("set_language", "POST"):            (302,    302,     302,     302,     302,     302,     302),
    ("accounts:login", "GET"):           (200,    200,     200,     200,     200,     200,     200),
    ("accounts:login", "POST"):          (302,    302,     302,     302,     302,     302,     302),
    ("accounts:logout", "POST"):         (302,    302,     302,     302,     302,     302,     302),
    ("accounts:profile", "GET"):         ("login", 200,    200,     200,     200,     200,     200),
    ("accounts:profile", "POST"):        ("login", 302,    302,     302,     302,     302,     302),
    ("accounts:passphrase", "GET"):      ("login", 200,    200,     200,     200,     200,     200),
    ("accounts:passphrase", "POST"):     ("login", 302,    302,     302,     302,     302,     302),
    ("accounts:recovery_codes", "GET"):  ("login", 200,    200,     200,     200,     200,     200),
    ("accounts:recovery_codes", "POST"): ("login", 302,    302,     302,     302,     302,     302),
    ("accounts:recovery_codes_saved", "POST"): ("login", 302, 302, 302, 302,    302,     302),
    # Whoever holds carol's recovery code or reset link may set her passphrase: that is the point.
    ("accounts:recover", "GET"):         (200,    200,     200,     200,     200,     200,     200),
    ("accounts:recover", "POST"):        (302,    302,     302,     302,     302,     302,     302),
    ("accounts:reset", "GET"):           (200,    200,     200,     200,     200,     200,     200),
    ("accounts:reset", "POST"):          (302,    302,     302,     302,     302,     302,     302),
    # Only North's facilitator issues a reset link for carol (shown on the page, 200).
    ("bodies:member_reset", "POST"):     ("login", 404,    403,     403,     200,     404,     403),
    ("bodies:home", "GET"):              (200,    200,     200,     200,     200,     200,     200),
    # Anyone may redeem a valid invitation; people already in North are told so.
    ("bodies:join", "GET"):              (200,    200,     200,     200,     200,     200,     200),
    ("bodies:join", "POST"):             (302,    302,     409,     409,     409,     302,     409),
    ("bodies:create", "GET"):            ("login", 200,    200,     200,     200,     200,     200),
    ("bodies:create", "POST"):           ("login", 302,    302,     302,     302,     302,     302),
    # A members-only body does not exist for those outside it (404, not 403).
    ("bodies:detail", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    ("bodies:members", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("bodies:member_action", "POST"):    ("login", 404,    403,     403,     302,     404,     403),
    ("bodies:invitations", "GET"):       ("login", 404,    403,     403,     200,     404,     403),
    ("bodies:invitations", "POST"):      ("login", 404,    403,     403,     200,     404,     403),
    ("bodies:invitation_revoke", "POST"):("login", 404,    403,     403,     302,     404,     403),
    # The link again, or a new one: North's facilitators only (the link lets anyone in).
    ("bodies:invitation_show", "GET"):   ("login", 404,    403,     403,     200,     404,     403),
    ("bodies:invitation_reissue", "POST"): ("login", 404,  403,     403,     302,     404,     403),
    ("bodies:ledger", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    ("bodies:ledger_heads", "GET"):      (404,    404,     200,     200,     200,     404,     200),
    ("motions:create", "GET"):           ("login", 404,    403,     200,     200,     404,     200),
    ("motions:create", "POST"):          ("login", 404,    403,     302,     302,     404,     302),
    ("motions:detail", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    # Only the author (bob, the member) edits; authors cannot support their own motion.
    ("motions:edit", "GET"):             ("login", 404,    403,     200,     403,     404,     403),
    ("motions:edit", "POST"):            ("login", 404,    403,     302,     403,     404,     403),
    ("motions:versions", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("motions:support", "POST"):         ("login", 404,    403,     400,     302,     404,     302),
    ("motions:withdraw", "POST"):        ("login", 404,    403,     302,     302,     404,     403),
    ("motions:comment", "POST"):         ("login", 404,    403,     302,     302,     404,     302),
    # Any voting member may call the vote, but only 72 hours after the motion got its support
    # without anyone opening it: bob's motion is newer than that (409 for every voting member).
    ("voting:call", "POST"):             ("login", 404,    403,     409,     409,     404,     409),
    ("voting:open", "POST"):             ("login", 404,    403,     403,     302,     404,     403),
    ("voting:detail", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    # After a cast the voter is sent back to the vote page (303), the receipt shown there once.
    ("voting:cast", "POST"):             ("login", 404,    403,     303,     303,     404,     303),
    # The lean endpoint (the vote page's form): a poll one may not see does not exist (404).
    ("lean:poll", "POST"):               (404,    404,     403,     200,     200,     404,     200),
    ("voting:close", "POST"):            ("login", 404,    403,     403,     302,     404,     403),
    # Without a code the receipt check is bad input for those who may see the vote.
    ("voting:receipt", "POST"):          (404,    404,     400,     400,     400,     404,     400),
    ("voting:progress", "GET"):          (404,    404,     200,     200,     200,     404,     200),
    ("voting:events", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    # A verifiable vote of North in its key ceremony (trustees: alice and bob). Pages for those
    # who may read North; facilitator steps (opening voting is out of order: 409); the JSON
    # endpoints check the electorate (olivia observes) or the trustees (dave is not one) before
    # reading the body, which the matrix posts as a form (400: not JSON).
    ("verifiable:vote", "GET"):          (404,    404,     200,     200,     200,     404,     200),
    ("verifiable:setup", "GET"):         ("login", 404,    403,     403,     200,     404,     403),
    ("verifiable:setup", "POST"):        ("login", 404,    403,     403,     409,     404,     403),
    ("verifiable:state", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("verifiable:register", "POST"):     (404,    404,     403,     400,     400,     404,     400),
    ("verifiable:cast", "POST"):         (404,    404,     403,     400,     400,     404,     400),
    ("verifiable:audit", "POST"):        (404,    404,     403,     400,     400,     404,     400),
    ("verifiable:board", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("verifiable:board_json", "GET"):    (404,    404,     200,     200,     200,     404,     200),
    ("verifiable:trustee", "GET"):       ("login", 404,    403,     200,     200,     404,     403),
    ("verifiable:trustee_channel", "POST"): (404, 404,     403,     400,     400,     404,     403),
    ("verifiable:trustee_commit", "POST"): (404,  404,     403,     400,     400,     404,     403),
    ("verifiable:trustee_key", "POST"):  (404,    404,     403,     400,     400,     404,     403),
    ("verifiable:trustee_complaint", "POST"): (404, 404,   403,     400,     400,     404,     403),
    ("verifiable:trustee_decrypt", "POST"): (404, 404,     403,     400,     400,     404,     403),
    ("verifiable:open_voting", "POST"):  ("login", 404,    403,     403,     409,     404,     403),
    ("verifiable:close_voting", "POST"): ("login", 404,    403,     403,     409,     404,     403),
    ("verifiable:cancel", "POST"):       ("login", 404,    403,     403,     302,     404,     403),
    # The public Federation's verifiable consultation in its key ceremony (trustees: dave, North's
    # delegate, and frank, South's). Its pages are public; choosing the trustees is the
    # coordination's facilitators' (cora, no role here: 403); the trustees' page and endpoints
    # are for dave and frank only (the endpoints answer them "not valid JSON": the matrix posts
    # a form).
    ("verifiable:consultation", "GET"):  (200,    200,     200,     200,     200,     200,     200),
    ("verifiable:consultation_setup", "GET"): ("login", 403, 403,   403,     403,     403,     403),
    ("verifiable:consultation_setup", "POST"): ("login", 403, 403,  403,     403,     403,     403),
    ("verifiable:consultation_state", "GET"): (200, 200,   200,     200,     200,     200,     200),
    ("verifiable:consultation_board", "GET"): (200, 200,   200,     200,     200,     200,     200),
    ("verifiable:consultation_board_json", "GET"): (200, 200, 200,  200,     200,     200,     200),
    ("verifiable:consultation_trustee", "GET"): ("login", 403, 403, 403,     403,     200,     200),
    ("verifiable:consultation_trustee_channel", "POST"): (403, 403, 403, 403, 403,   400,     400),
    ("verifiable:consultation_trustee_commit", "POST"): (403, 403, 403, 403, 403,    400,     400),
    ("verifiable:consultation_trustee_key", "POST"): (403, 403, 403, 403,   403,     400,     400),
    ("verifiable:consultation_trustee_complaint", "POST"): (403, 403, 403, 403, 403, 400,     400),
    ("verifiable:consultation_trustee_decrypt", "POST"): (403, 403, 403, 403, 403,   400,     400),
    # The same for a verifiable approval election of North in its key ceremony (trustees: alice
    # and bob): the same answers, from the same views.
    ("verifiable:e_vote", "GET"):          (404,    404,     200,     200,     200,     404,   200),
    ("verifiable:e_setup", "GET"):         ("login", 404,    403,     403,     200,     404,   403),
    ("verifiable:e_setup", "POST"):        ("login", 404,    403,     403,     409,     404,   403),
    ("verifiable:e_state", "GET"):         (404,    404,     200,     200,     200,     404,   200),
    ("verifiable:e_register", "POST"):     (404,    404,     403,     400,     400,     404,   400),
    ("verifiable:e_cast", "POST"):         (404,    404,     403,     400,     400,     404,   400),
    ("verifiable:e_audit", "POST"):        (404,    404,     403,     400,     400,     404,   400),
    ("verifiable:e_board", "GET"):         (404,    404,     200,     200,     200,     404,   200),
    ("verifiable:e_board_json", "GET"):    (404,    404,     200,     200,     200,     404,   200),
    ("verifiable:e_trustee", "GET"):       ("login", 404,    403,     200,     200,     404,   403),
    ("verifiable:e_trustee_channel", "POST"): (404, 404,     403,     400,     400,     404,   403),
    ("verifiable:e_trustee_commit", "POST"): (404,  404,     403,     400,     400,     404,   403),
    ("verifiable:e_trustee_key", "POST"):  (404,    404,     403,     400,     400,     404,   403),
    ("verifiable:e_trustee_complaint", "POST"): (404, 404,   403,     400,     400,     404,   403),
    ("verifiable:e_trustee_decrypt", "POST"): (404, 404,     403,     400,     400,     404,   403),
    ("verifiable:e_open_voting", "POST"):  ("login", 404,    403,     403,     409,     404,   403),
    ("verifiable:e_close_voting", "POST"): ("login", 404,    403,     403,     409,     404,   403),
    ("verifiable:e_cancel", "POST"):       ("login", 404,    403,     403,     302,     404,   403),
    # Elections: facilitators run them; members stand, nominate, consent and vote (bob already
    # has carol's nomination, so his own is a conflict; only he may answer it).
    ("elections:create", "GET"):         ("login", 404,    403,     403,     200,     404,     403),
    ("elections:create", "POST"):        ("login", 404,    403,     403,     302,     404,     403),
    ("elections:detail", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("elections:nominate", "POST"):      ("login", 404,    403,     409,     302,     404,     302),
    ("elections:option_add", "POST"):    ("login", 404,    403,     403,     302,     404,     403),
    ("elections:answer", "POST"):        ("login", 404,    403,     302,     403,     404,     403),
    ("elections:open", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("elections:cast", "POST"):          ("login", 404,    403,     303,     303,     404,     303),
    ("lean:election", "POST"):           (404,    404,     403,     200,     200,     404,     200),
    ("elections:close", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    ("elections:receipt", "POST"):       (404,    404,     400,     400,     400,     404,     400),
    ("elections:result", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("elections:result_json", "GET"):    (404,    404,     200,     200,     200,     404,     200),
    ("elections:ballots_json", "GET"):   (404,    404,     200,     200,     200,     404,     200),
    ("elections:ballots_blt", "GET"):    (404,    404,     200,     200,     200,     404,     200),
    # Meetings (issue 4). Facilitator actions: F; pages for those who may read North: R.
    ("meetings:list", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    ("meetings:list", "POST"):           (404,    404,     403,     403,     302,     404,     403),
    ("meetings:speaking", "GET"):        ("login", 404,    200,     200,     200,     404,     200),
    ("meetings:speaking", "POST"):       ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:events", "GET"):          (404,    404,     200,     200,     200,     404,     200),
    ("meetings:detail", "GET"):          (404,    404,     200,     200,     200,     404,     200),
    ("meetings:live", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    ("meetings:projector", "GET"):       (404,    404,     200,     200,     200,     404,     200),
    ("meetings:projector_live", "GET"):  (404,    404,     200,     200,     200,     404,     200),
    ("meetings:open", "POST"):           ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:close", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    # Members propose items, facilitators add them; observers do neither.
    ("meetings:item_add", "POST"):       ("login", 404,    403,     302,     302,     404,     302),
    ("meetings:item_decide", "POST"):    ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:item_start", "POST"):     ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:debate", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    # Anyone who belongs checks in; those already present are told so (409).
    ("meetings:checkin", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("meetings:checkin", "POST"):        (404,    404,     302,     409,     409,     404,     409),
    ("meetings:checkout", "POST"):       ("login", 404,    409,     302,     302,     404,     302),
    ("meetings:speak", "POST"):          ("login", 404,    403,     302,     302,     404,     302),
    ("meetings:next", "POST"):           ("login", 404,    403,     403,     302,     404,     403),
    # carol's request: only she or a facilitator withdraws it.
    ("meetings:withdraw", "POST"):       ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:timer", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:finish", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:move", "POST"):           ("login", 404,    403,     403,     302,     404,     403),
    ("voting:meeting_vote_open", "POST"): ("login", 404, 403, 403, 302, 404, 403),
    ("voting:meeting_hands", "POST"): ("login", 404, 403, 403, 302, 404, 403),
    # No hand count was recorded yet: out of order even for a facilitator, and for the members
    # present, who may attest a hand count too (so one facilitator alone can count hands).
    ("voting:meeting_hands_attest", "POST"): ("login", 404, 403, 409, 409, 404, 409),
    ("voting:meeting_vote_close", "POST"): ("login", 404, 403, 403, 302, 404, 403),
    # Without a hand count the vote can be counted: closing it "without a valid count" is refused.
    ("voting:meeting_vote_close_void", "POST"): ("login", 404, 403, 403, 409, 404, 403),
    # Draft minutes: facilitators only, until published.
    ("meetings:minutes", "GET"):         (404,    404,     404,     404,     200,     404,     404),
    ("meetings:minutes_pdf", "GET"):     (404,    404,     404,     404,     200,     404,     404),
    ("meetings:notes", "GET"):           ("login", 404,    403,     403,     200,     404,     403),
    ("meetings:notes", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("meetings:publish", "POST"):        ("login", 404,    403,     403,     302,     404,     403),
    # Coordination. The Federation is public; only its own facilitator (cora, no role here)
    # acts for it: facilitating a member assembly (alice) gives no power in it.
    ("coordination:create", "GET"):      ("login", 200,    200,     200,     200,     200,     200),
    ("coordination:create", "POST"):     ("login", 302,    302,     302,     302,     302,     302),
    ("coordination:detail", "GET"):      (200,    200,     200,     200,     200,     200,     200),
    ("coordination:statute", "POST"):    ("login", 403,    403,     403,     403,     403,     403),
    ("coordination:request_decide", "POST"): ("login", 403, 403,    403,     403,     403,     403),
    ("coordination:vote_open", "POST"):  ("login", 403,    403,     403,     403,     403,     403),
    ("coordination:consult", "POST"):    ("login", 403,    403,     403,     403,     403,     403),
    ("coordination:vote", "GET"):        (200,    200,     200,     200,     200,     200,     200),
    # Only North's delegate (dave) votes for North; a body one may not see is "no such body".
    ("coordination:vote_cast", "POST"):  ("login", 400,    403,     403,     403,     400,     302),
    ("coordination:vote_close", "POST"): ("login", 403,    403,     403,     403,     403,     403),
    ("coordination:consultation", "GET"): (200,   200,     200,     200,     200,     200,     200),
    ("coordination:consultation_progress", "GET"): (200, 200, 200,  200,     200,     200,     200),
    ("coordination:consultation_events", "GET"): (200, 200, 200,    200,     200,     200,     200),
    ("coordination:consultation_close", "POST"): ("login", 403, 403, 403,    403,     403,     403),
    # Forwarding and backing are North's decision (the statute's default): any voting member of
    # North puts them to North's vote.
    ("coordination:back", "POST"):       ("login", 400,    403,     302,     302,     400,     302),
    ("coordination:body", "GET"):        (404,    404,     200,     200,     200,     404,     200),
    ("coordination:propose", "POST"):    ("login", 404,    403,     302,     302,     404,     302),
    ("coordination:election_open", "POST"): ("login", 404, 403,     403,     302,     404,     403),
    ("coordination:recall", "POST"):     ("login", 404,    403,     302,     302,     404,     302),
    ("coordination:mandate", "POST"):    ("login", 404,    403,     403,     302,     404,     403),
    ("coordination:consultation_decide", "POST"): ("login", 404, 403, 403,   302,     404,     403),
    ("coordination:solidarity_answer", "POST"): ("login", 404, 403, 403,     302,     404,     403),
    ("coordination:forward", "POST"):    ("login", 404,    403,     302,     302,     404,     302),
    ("coordination:solidarity", "POST"): ("login", 404,    403,     403,     302,     404,     403),
    ("coordination:provenance", "GET"):  (404,    404,     200,     200,     200,     404,     200),
    # Publishing: what North publishes is read by those who read North; the Federation is
    # public; the site-wide feed and the list of feeds hold public bodies only.
    ("publishing:site_feed", "GET"):     (200,    200,     200,     200,     200,     200,     200),
    ("publishing:feeds", "GET"):         (200,    200,     200,     200,     200,     200,     200),
    ("publishing:resolutions", "GET"):   (404,    404,     200,     200,     200,     404,     200),
    ("publishing:feed", "GET"):          (404,    404,     200,     200,     200,     404,     200),
    ("publishing:ledger_entry", "GET"):  (404,    404,     302,     302,     302,     404,     302),
    ("publishing:coordination_resolutions", "GET"): (200, 200, 200, 200,    200,     200,     200),
    ("publishing:coordination_feed", "GET"): (200, 200,    200,     200,     200,     200,     200),
    # Statements of North: its voting members draft (dave is one), its facilitator sets the
    # statute's rule and adopts (the statute lets facilitators); bob or a facilitator edits
    # bob's draft. Endorsing the Federation's statement is for a facilitator of a member
    # assembly (alice, for North: by North's rule, at once); a body one may not see is "no
    # such body" (400).
    ("publishing:statements", "GET"):    (404,    404,     200,     200,     200,     404,     200),
    ("publishing:statements", "POST"):   (404,    404,     403,     302,     302,     404,     302),
    ("publishing:statement_rule", "POST"): ("login", 404,  403,     403,     302,     404,     403),
    ("publishing:statement", "GET"):     (404,    404,     200,     200,     200,     404,     200),
    ("publishing:statement_edit", "GET"): ("login", 404,   403,     200,     200,     404,     403),
    ("publishing:statement_edit", "POST"): ("login", 404,  403,     302,     302,     404,     403),
    ("publishing:statement_adopt", "POST"): ("login", 404, 403,     403,     302,     404,     403),
    ("publishing:statement_endorse", "POST"): ("login", 400, 403,   403,     302,     400,     403),
    ("publishing:statement_print", "GET"): (404,  404,     200,     200,     200,     404,     200),
    ("publishing:statement_pdf", "GET"): (404,    404,     200,     200,     200,     404,     200),
    ("publishing:resolution_print", "GET"): (404, 404,     200,     200,     200,     404,     200),
    ("publishing:resolution_pdf", "GET"): (404,   404,     200,     200,     200,     404,     200),
    ("publishing:popolo", "GET"):        (404,    404,     200,     200,     200,     404,     200),
    ("publishing:popolo_csv", "GET"):    (404,    404,     200,     200,     200,     404,     200),
    # Logistics (issue 18). The Federation's board is for its people: the voting members of
    # its assemblies, its own facilitators and observers, its delegates; the public Federation
    # answers 403 to others. Facilitators of an assembly post, propose and accept for it
    # (frank, South's, may not post for North: 400, North is not among his choices). A match
    # and its details are for the two matched assemblies' facilitators only (404 to others).
    ("logistics:board", "GET"):          ("login", 403,    403,     200,     200,     200,     200),
    ("logistics:post", "POST"):          ("login", 403,    403,     403,     302,     400,     403),
    ("logistics:withdraw", "POST"):      ("login", 403,    403,     403,     302,     403,     403),
    ("logistics:propose", "POST"):       ("login", 403,    403,     403,     302,     302,     403),
    ("logistics:match", "GET"):          ("login", 403,    403,     404,     200,     200,     404),
    # South proposed, so only North accepts; either side may cancel or decline.
    ("logistics:accept", "POST"):        ("login", 403,    403,     404,     302,     409,     404),
    ("logistics:decline", "POST"):       ("login", 403,    403,     404,     302,     302,     404),
    # alice writes for North's side; frank facilitates the other side only.
    ("logistics:details", "POST"):       ("login", 403,    403,     404,     302,     403,     404),
    # Trips: North's facilitators only; North is members-only (404 to those outside it).
    ("logistics:trips", "GET"):          ("login", 404,    403,     403,     200,     404,     403),
    ("logistics:trips", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    ("logistics:trip", "GET"):           ("login", 404,    403,     403,     200,     404,     403),
    ("logistics:trip", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("logistics:trip_ask", "POST"):      ("login", 404,    403,     403,     302,     404,     403),
    ("logistics:trip_sheet", "GET"):     ("login", 404,    403,     403,     200,     404,     403),
    ("logistics:trip_sheet_pdf", "GET"): ("login", 404,    403,     403,     200,     404,     403),
    # Pledges (North's, opened by alice; dave committed). Who committed is never shown: the
    # pages read the same for everyone who may read North. Voting members commit (observers
    # are not concerned); only dave has something to withdraw. The pledge has not triggered:
    # its follow-through question cannot be asked or answered yet.
    ("pledges:list", "GET"):             (404,    404,     200,     200,     200,     404,     200),
    ("pledges:create", "GET"):           ("login", 404,    403,     403,     200,     404,     403),
    ("pledges:create", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("pledges:detail", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("pledges:live", "GET"):             (404,    404,     200,     200,     200,     404,     200),
    ("pledges:events", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("pledges:commit", "POST"):          ("login", 404,    403,     302,     302,     404,     409),
    ("pledges:withdraw", "POST"):        ("login", 404,    409,     409,     409,     404,     302),
    ("pledges:vote", "POST"):            ("login", 404,    403,     403,     302,     404,     403),
    ("pledges:followup", "POST"):        ("login", 404,    403,     403,     409,     404,     403),
    ("pledges:answer", "POST"):          ("login", 404,    409,     409,     409,     404,     409),
    # Documents (issue 16). North's statement: read by those who read North; amended by its
    # voting members; the drafting commission (alice) proposes merges, compromises and blocks;
    # only bob answers for his own amendment; facilitators open documents and the final vote.
    ("documents:list", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("documents:list", "POST"):          (404,    404,     403,     403,     302,     404,     403),
    ("documents:body_amendments", "GET"): (404,   404,     200,     200,     200,     404,     200),
    ("documents:detail", "GET"):         (404,    404,     200,     200,     200,     404,     200),
    ("documents:synopsis", "GET"):       (404,    404,     200,     200,     200,     404,     200),
    ("documents:text", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("documents:pdf", "GET"):            (404,    404,     200,     200,     200,     404,     200),
    ("documents:versions", "GET"):       (404,    404,     200,     200,     200,     404,     200),
    ("documents:version", "GET"):        (404,    404,     200,     200,     200,     404,     200),
    ("documents:amend", "GET"):          ("login", 404,    403,     200,     200,     404,     200),
    ("documents:amend", "POST"):         ("login", 404,    403,     302,     302,     404,     302),
    ("documents:proposal", "GET"):       ("login", 404,    403,     403,     200,     404,     403),
    ("documents:proposal", "POST"):      ("login", 404,    403,     403,     302,     404,     403),
    ("documents:block", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    ("documents:final", "POST"):         ("login", 404,    403,     403,     302,     404,     403),
    ("documents:commission", "POST"):    ("login", 404,    403,     403,     302,     404,     403),
    ("documents:amendment", "GET"):      (404,    404,     200,     200,     200,     404,     200),
    ("documents:consent", "POST"):       ("login", 404,    403,     302,     403,     404,     403),
    # bob's amendment to the public Federation's program, adopted by North: sending it up is
    # North's decision (put to its members' vote); outsiders cannot see North's amendment.
    ("documents:send_up", "POST"):       ("login", 404,    403,     302,     302,     404,     302),
    # Surveys (North's; dave already answered the open one). Voting members answer once;
    # observers were not sent it. Results and their CSV only once closed.
    ("surveys:list", "GET"):             (404,    404,     200,     200,     200,     404,     200),
    ("surveys:create", "GET"):           ("login", 404,    403,     403,     200,     404,     403),
    ("surveys:create", "POST"):          ("login", 404,    403,     403,     302,     404,     403),
    ("surveys:detail", "GET"):           (404,    404,     200,     200,     200,     404,     200),
    ("surveys:answer", "POST"):          ("login", 404,    403,     302,     302,     404,     409),
    ("surveys:close", "POST"):           ("login", 404,    403,     403,     302,     404,     403),
    ("surveys:csv", "GET"):              (404,    404,     200,     200,     200,     404,     200),
    # Access tokens (the API's account page): one's own only; bob's token is "not found" to
    # everyone else. Making one shows it on the page (200).
    ("tokens:list", "GET"):              ("login", 200,    200,     200,     200,     200,     200),
    ("tokens:list", "POST"):             ("login", 200,    200,     200,     200,     200,     200),
    ("tokens:revoke", "POST"):           ("login", 404,    404,     302,     404,     404,     404),
}
# fmt: on

# A method a route does not take: logged-in people get 405, anonymous people are first sent to
# log in when the route needs a login.
NEEDS_LOGIN = {name for (name, _m), row in MATRIX.items() if row[0] == "login"}


def expected(name: str, method: str) -> tuple[object, ...]:
    if (name, method) in MATRIX:
        return MATRIX[(name, method)]
    first = "login" if name in NEEDS_LOGIN else 405
    return (first,) + (405,) * (len(ROLES) - 1)


def answer(response) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL)):
        return "login"
    return response.status_code


def test_every_route_is_in_the_matrix():
    listed = {name for name, _method in MATRIX}
    assert route_names() == set(ROUTES), "tests/security/world.py ROUTES must list every route"
    assert route_names() <= listed, f"routes without a row: {sorted(route_names() - listed)}"
    gone = sorted(listed - route_names())
    assert not gone, f"rows for routes that are gone: {gone}"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.django_db
def test_route_answers_every_role_as_the_matrix_says(name, method):
    route = ROUTES[name]
    world = build()
    # Arguments and data first, outside the per-role savepoints: a route's objects may be built
    # lazily on first use (the meetings), and must outlive each role's rollback.
    url = reverse(name, kwargs=route.kwargs(world))
    data = route.post(world) if route.post else {}
    got = []
    for role in ROLES:
        savepoint = transaction.savepoint()
        client = world.cast.client(world.roles[role])
        before = fingerprint()
        response = client.get(url) if method == "GET" else client.post(url, data)
        result = answer(response)
        got.append(result)
        if result == "login" or (isinstance(result, int) and result >= 400):
            assert fingerprint() == before, f"{role} {method} {name} was refused but changed data"
        transaction.savepoint_rollback(savepoint)
    assert tuple(got) == expected(name, method), (
        f"{method} {name}: {dict(zip(ROLES, got, strict=True))}"
    )
