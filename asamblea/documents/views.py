"""Document pages: thin views over :mod:`.queries` (reads) and :mod:`.actions` (writes)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.accounts.names import normalise
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import active_membership, is_facilitator
from asamblea.coordination.forms import ConsultationForm, VoteOpenForm
from asamblea.coordination.models import Forward
from asamblea.coordination.queries import active_delegations
from asamblea.documents import actions, pdf, queries
from asamblea.documents import render as html
from asamblea.documents.forms import (
    AmendmentForm,
    BlockForm,
    CommissionForm,
    DocumentForm,
    ProposalForm,
)
from asamblea.documents.models import Amendment, Consent, Document
from asamblea.errors import Refused
from asamblea.markup import render_markdown
from asamblea.voting.forms import PollForm
from asamblea.web import absolute_url, handles_refusal, qr_svg


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        raise Refused(" ".join(errors) or _("Check the form."))
    return dict(form.cleaned_data)


def _context(request: HttpRequest, document: Document, **extra: Any) -> dict[str, Any]:
    return {
        "body": document.body,
        "document": document,
        "is_commission": actions.is_commission(request.user, document),
        "is_facilitator": is_facilitator(request.user, document.body),
    } | extra


@require_http_methods(["GET", "POST"])
@handles_refusal
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    body = queries.viewable_body(request, slug)
    facilitator = is_facilitator(request.user, body)
    form = DocumentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        data = _valid(form)
        document = actions.document_create(request.user, body, **data)
        messages.success(request, _("The document is open for amendments."))
        return redirect("documents:detail", slug=slug, number=document.number)
    documents = Document.objects.filter(body=body).order_by("-number")
    context = {"body": body, "documents": documents, "form": form if facilitator else None}
    return render(request, "documents/list.html", context)


@require_GET
def document_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The text with line numbers and every open amendment inline (no JavaScript needed)."""
    document = queries.document_at(request, slug, number)
    rows, paragraphs = queries.inline_view(document, request.user)
    context = _context(
        request,
        document,
        paragraphs_html=html.inline_paragraphs(document, paragraphs),
        open_count=sum(1 for r in rows if r.amendment.is_open),
        conflict_count=sum(1 for r in rows if r.conflicts and r.amendment.is_open),
    )
    return render(request, "documents/detail.html", context)


@require_GET
def synopsis(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One row per amendment: paragraph, change, backing, conflicts, status."""
    document = queries.document_at(request, slug, number)
    rows = queries.rows_for(document, request.user)
    context = _context(request, document, rows=rows)
    context["rows_html"] = html.synopsis_rows(document, rows, context["is_commission"])
    return render(request, "documents/synopsis.html", context)


@require_GET
def text(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The consolidated text as adopted so far (or the adopted text, once adopted)."""
    document = queries.document_at(request, slug, number)
    version = queries.version_of(document, document.adopted_version)
    numbered = [(index, p.pid, render_markdown(p.text)) for index, p in enumerate(version.text, 1)]
    page_url = absolute_url(request, request.path)
    context = _context(request, document, version=version, numbered=numbered, qr=qr_svg(page_url))
    return render(request, "documents/text.html", context)


@require_GET
def text_pdf(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The text as a printable PDF (A4, or A5 with ``?size=a5``): numbered paragraphs, a QR
    code to the text's page and the fingerprint recorded in the ledger."""
    document = queries.document_at(request, slug, number)
    version = queries.version_of(document, document.adopted_version)
    size = "a5" if request.GET.get("size") == "a5" else "a4"
    url = absolute_url(request, reverse("documents:text", args=[slug, number]))
    data = pdf.render(document, version, url, size=size)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{document.body.slug}-{document.number}-v{version.number}-{size}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_GET
def versions(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    listed = document.versions.select_related("amendment").order_by("-number")
    return render(request, "documents/versions.html", _context(request, document, versions=listed))


@require_GET
def version(request: HttpRequest, slug: str, number: int, version: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    shown, paragraphs = queries.version_diffs(document, version)
    context = _context(request, document, version=shown, paragraphs=paragraphs)
    return render(request, "documents/version.html", context)


def _bodies_to_amend_in(person: Any, document: Document) -> list[tuple[str, str]]:
    """Where the person may put an amendment: the document's own assembly (its members), as a
    delegate in the coordination drafting it, or any member assembly of it they belong to."""
    if not person.is_authenticated:
        return []
    body = document.body
    choices = []
    if body.is_assembly:
        membership = active_membership(person, body)
        if membership is not None and membership.can_vote:
            choices.append((body.slug, body.name))
        return choices
    delegation = active_delegations(person=person, coordination=body).select_related("body")
    for d in delegation[:1]:
        label = _("%(coordination)s, as delegate of %(body)s") % {
            "coordination": body.name,
            "body": d.body.name,
        }
        choices.append((body.slug, label))
    mine = Body.objects.filter(
        memberships__person=person,
        memberships__role__in=Membership.VOTING_ROLES,
        memberships__status=Membership.Status.ACTIVE,
        affiliations__coordination=body,
        affiliations__left_at__isnull=True,
    ).distinct()
    choices += [(b.slug, b.name) for b in mine]
    return choices


def _paragraphs(document: Document) -> list[tuple[int, str, str]]:
    version = queries.version_of(document)
    return [(i, p.pid, p.text) for i, p in enumerate(version.text, 1)]


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def amend(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    bodies = _bodies_to_amend_in(request.user, document)
    if not bodies:
        raise Refused(
            _("Only members of this body or of its member assemblies amend it."), status=403
        )
    paragraphs = _paragraphs(document)
    initial = {"version": document.version, "op": "replace", "start": request.GET.get("p", "")}
    form = AmendmentForm(
        request.POST or None, initial=initial, bodies=bodies, paragraphs=paragraphs
    )
    if request.method == "POST":
        data = _valid(form)
        target = Body.objects.get(slug=data.pop("in_body"))
        amendment = actions.amendment_submit(request.user, document, body=target, **data)
        messages.success(request, _("Amendment %(n)s submitted.") % {"n": amendment.number})
        return redirect("documents:amendment", slug=slug, number=number, amendment=amendment.number)
    context = _context(request, document, form=form, paragraphs=paragraphs)
    return render(request, "documents/amend.html", context)


@require_GET
def amendment(request: HttpRequest, slug: str, number: int, amendment: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    item = queries.amendment_at(document, request.user, amendment)
    motion = item.motion
    membership = active_membership(request.user, item.body)
    forward = None
    if motion is not None and item.body_id != document.body_id:
        forward = (
            Forward.objects.filter(origin=motion, coordination=document.body)
            .prefetch_related("backings__body")
            .first()
        )
    consents = list(item.consents.select_related("amendment", "answered_by"))
    mine = [
        c
        for c in consents
        if c.accepted is None and actions.may_answer_for(request.user, c.amendment)
    ]
    rows = {r.amendment.pk: r for r in queries.rows_for(document, request.user)}
    row = rows.get(item.pk)
    conflicting = [
        (other.amendment, mark_safe(html.diff_html(other.amendment.diff)))  # noqa: S308
        for other in rows.values()
        if row is not None and other.amendment.number in row.conflicts
    ]
    deciding = (
        motion is not None
        and motion.state == "supported"
        and is_facilitator(request.user, item.body)
    )
    context = _context(
        request,
        document,
        amendment=item,
        row=row,
        conflicting=conflicting,
        diff=mark_safe(html.diff_html(item.diff)),  # noqa: S308 -- escaped by diff_html
        motion=motion,
        membership=membership,
        forward=forward,
        consents=consents,
        my_consents=mine,
        replaced=list(Amendment.objects.filter(replaced_by=item).order_by("number")),
        sent_up=list(item.sent_up.select_related("body")),
        poll_form=PollForm(body=item.body) if deciding and item.body.is_assembly else None,
        vote_form=VoteOpenForm() if deciding and not item.body.is_assembly else None,
        consultation_form=(
            ConsultationForm(
                initial={
                    "rule": "head_count",
                    "quorum_percent": item.body.quorum_percent,
                    "majority": item.body.majority,
                }
            )
            if deciding and not item.body.is_assembly
            else None
        ),
        reason_html=render_markdown(item.reason),
    )
    return render(request, "documents/amendment.html", context)


@login_required
@require_POST
@handles_refusal
def send_up(request: HttpRequest, slug: str, number: int, amendment: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    item = queries.amendment_at(document, request.user, amendment)
    result = actions.amendment_send_up(request.user, item)
    if isinstance(result, Forward):
        messages.success(request, _("The amendment was sent up with your assembly's backing."))
    else:
        messages.success(request, _("Your assembly's members vote on sending it up."))
    return redirect("documents:amendment", slug=slug, number=number, amendment=amendment)


@login_required
@require_POST
@handles_refusal
def consent(request: HttpRequest, slug: str, number: int, amendment: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    proposal = queries.amendment_at(document, request.user, amendment)
    try:
        target = int(request.POST.get("for", ""))
    except ValueError as exc:
        raise Refused(_("Say which amendment you answer for.")) from exc
    replaced = Consent.objects.filter(proposal=proposal, amendment__number=target).first()
    if replaced is None:
        raise Refused(_("This proposal does not replace that amendment."))
    accept = request.POST.get("accept") == "yes"
    actions.consent_answer(request.user, proposal, replaced.amendment, accept=accept)
    messages.success(request, _("Your answer was recorded."))
    return redirect("documents:amendment", slug=slug, number=number, amendment=amendment)


def _open_choices(document: Document, states: tuple[str, ...]) -> list[tuple[int, str]]:
    rows = Amendment.objects.filter(document=document, body=document.body, state__in=states)
    return [(a.number, f"{a.number} ({a.where})") for a in rows.order_by("number")]


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def proposal(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    actions.require_commission(request.user, document)
    paragraphs = _paragraphs(document)
    choices = _open_choices(document, ("submitted", "supported"))
    wanted = [int(n) for n in request.GET.getlist("n") if n.isdigit()]
    form = ProposalForm(
        request.POST or None,
        initial={"kind": "compromise", "numbers": wanted, "op": "replace"},
        amendments=choices,
        paragraphs=paragraphs,
    )
    if request.method == "POST":
        data = _valid(form)
        made = actions.proposal_make(request.user, document, **data)
        messages.success(request, _("The proposal waits for the authors' consent."))
        return redirect("documents:amendment", slug=slug, number=number, amendment=made.number)
    return render(request, "documents/proposal.html", _context(request, document, form=form))


@login_required
@require_POST
@handles_refusal
def block(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    actions.require_commission(request.user, document)
    form = BlockForm(request.POST, amendments=_open_choices(document, ("supported",)))
    made = actions.block_create(request.user, document, **_valid(form))
    messages.success(request, _("The block is on the agenda: one vote decides it."))
    return redirect("motions:detail", slug=document.body.slug, number=made.motion.number)


@login_required
@require_POST
@handles_refusal
def final(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    motion = actions.final_vote_open(request.user, document)
    messages.success(request, _("The whole text is on the agenda for its final vote."))
    return redirect("motions:detail", slug=document.body.slug, number=motion.number)


@login_required
@require_POST
@handles_refusal
def commission(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = queries.document_at(request, slug, number)
    data = _valid(CommissionForm(request.POST))
    username = normalise(data["username"])
    person = get_user_model().objects.filter(username=username).first()
    if person is None:
        raise Refused(_("Nobody has that username."))
    actions.commission_add(request.user, document, person)
    messages.success(request, _("Added to the drafting commission."))
    return redirect("documents:synopsis", slug=slug, number=number)


@require_GET
def body_amendments(request: HttpRequest, slug: str) -> HttpResponse:
    """Amendments put in this assembly, to its own documents or its coordinations'."""
    body = queries.viewable_body(request, slug)
    context = {"body": body, "amendments": queries.body_amendments(body)}
    return render(request, "documents/body_amendments.html", context)
