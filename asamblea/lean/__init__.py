"""The lean endpoint: ``/cast/<poll>/``, ``/cast/e/<election>/``, the open vote page and the
open election ballot page beside Django, for bursts of voters.

A plain Django view handles a few hundred ballots a second; this raw ASGI app handles thousands
because it does per ballot only what a ballot needs, and writes the ballots that arrived within
a few milliseconds in one transaction (group commit). It applies the same rules as the form view
through the same code: the plans of :mod:`asamblea.voting.casting` (generators that yield SQL
and receive rows), which the form path runs on Django's connection and this endpoint runs

* on PostgreSQL, on the event loop itself, over asynchronous psycopg connections (two writer
  tasks per worker process): no thread, so no hand-over of the interpreter lock per query;
* on SQLite, on one writer thread with Django's connection (SQLite's driver blocks).

One idea per module:

* :mod:`~asamblea.lean.session`: who is asking, from Django's session cookie (the checks of
  ``django.contrib.auth.get_user``, for a whole batch of ballots at once);
* :mod:`~asamblea.lean.csrf`: the host, ``Origin`` and CSRF double-submit checks of Django's
  ``CsrfViewMiddleware``;
* :mod:`~asamblea.lean.casts`: what a batch of ballots does (authenticate, rate-limit, cast,
  hide polls the asker may not see), on Django's connection or on an asynchronous one;
* :mod:`~asamblea.lean.commit`: the committers, group commit on writer threads (SQLite) or
  writer tasks (PostgreSQL);
* :mod:`~asamblea.lean.answers`: reading the request and building the answer (JSON for the
  page's script, ``303`` back to the page for a form sent without JavaScript);
* :mod:`~asamblea.lean.pages`: the open vote page, Django's template rendered once per poll
  row, language and variant, the voter's own bits filled in per request;
* :mod:`~asamblea.lean.election_page`: the same for an election's ballot page while voting is
  open (the election's row, its candidates, language and variant);
* :mod:`~asamblea.lean.app`: :class:`~asamblea.lean.app.LeanApp`, the ASGI app
  :mod:`asamblea.asgi` hands ``/cast/``, the vote pages and the ballot pages to;
* :mod:`~asamblea.lean.views`: the same routine when Django serves ``/cast/`` (WSGI, the test
  server, and election ballots sent without JavaScript).

It sits above the apps whose ballots it takes (voting, elections): they link to its addresses
by URL name and never import it. Tests that compare its session and CSRF decisions with
Django's own are in ``asamblea/lean/tests/test_same_as_django.py``.
"""
