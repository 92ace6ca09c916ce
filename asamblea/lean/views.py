"""The lean endpoint's addresses when Django serves them: under WSGI, on the test server, and
under ASGI for election ballots sent without JavaScript (:class:`asamblea.lean.app.LeanApp`
hands those to Django). The same reading, routine, rate limit and answers as the ASGI app: a
poll's ballot is a batch of one on Django's connection, in one transaction. Django's CSRF
middleware has made the same double-submit and ``Origin`` checks as :mod:`asamblea.lean.csrf`.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from asamblea.elections import views as election_views
from asamblea.elections.actions import ElectionReceipt
from asamblea.elections.models import Election
from asamblea.errors import Refused
from asamblea.lean import answers, casts, session
from asamblea.voting import casting


@require_POST
def poll_cast(request: HttpRequest, pk: int) -> HttpResponse:
    """``/cast/<poll>/``, the address the vote page's form posts to."""
    headers = _request_headers(request)
    fields: dict[str, str] = {}
    result: casting.CastReceipt | Refused
    try:
        if len(request.body) > answers.MAX_BODY:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if request.content_type in answers.FORM_TYPES:  # Django has read the form (multipart too)
            fields = {k: v[0] for k, v in request.POST.lists() if len(v) == 1}
        else:
            fields = answers.fields(headers["content-type"], request.body)
        item = casts.cast_item(pk, request.COOKIES, fields)
        result = casts.outcome_result(casts.process_casts([item])[0])
    except Refused as exc:
        result = exc
    except DatabaseError:  # rolled back whole; Django drops a broken connection at the end
        result = casts.unavailable()
    page = None
    if answers.wants_html(headers) and answers.page_may_show(result):
        page = answers.vote_page(pk)
    return _answer(request, result, headers, fields, page)


@require_POST
def election_cast(request: HttpRequest, pk: int) -> HttpResponse:
    """``/cast/e/<election>/``, where the ballot form posts: a ballot refused for its content
    comes back, to a form sent without JavaScript, as the ballot page with the person's marks
    and what to fix."""
    headers = _request_headers(request)
    form: dict[str, list[str]] = {}
    result: ElectionReceipt | Refused
    try:
        if len(request.body) > answers.ELECTION_MAX_BODY:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if request.content_type in answers.FORM_TYPES:
            form = dict(request.POST.lists())
        else:
            form = answers.form_lists(headers["content-type"], request.body)
        result = casts.election_cast(pk, session.session_key(request.COOKIES), form)
    except Refused as exc:
        result = exc
    except DatabaseError:
        result = casts.unavailable()
    html = answers.wants_html(headers)
    if isinstance(result, Refused) and result.code.startswith("ballot_") and html:
        election = get_object_or_404(Election.objects.select_related("body"), pk=pk)
        submitted = {k: v for k, v in form.items() if k != "csrfmiddlewaretoken"}
        return election_views.ballot_again(request, election, submitted, result)
    page = None
    if html and answers.page_may_show(result):
        page = answers.election_page(pk)
    fields = {k: v[0] for k, v in form.items() if len(v) == 1}
    return _answer(request, result, headers, fields, page)


def _answer(
    request: HttpRequest,
    result: answers.Result,
    headers: dict[str, str],
    fields: dict[str, str],
    page: str | None,
) -> HttpResponse:
    # The language Django's middleware chose (the person's own choice first).
    reply = answers.build_reply(
        result, headers, fields, page, request.path, translation.get_language()
    )
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        if name == "set-cookie":
            response.cookies.load(value)
        else:
            response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _request_headers(request: HttpRequest) -> dict[str, str]:
    return {
        "content-type": request.META.get("CONTENT_TYPE", ""),
        "accept": request.META.get("HTTP_ACCEPT", ""),
        "cookie": request.META.get("HTTP_COOKIE", ""),
        "accept-language": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    }
