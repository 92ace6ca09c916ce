from django.urls import path

from asamblea.documents import views

app_name = "documents"
D = "b/<slug:slug>/d/<int:number>/"
A = D + "a/<int:amendment>/"
urlpatterns = [
    path("b/<slug:slug>/documents/", views.document_list, name="list"),
    path("b/<slug:slug>/amendments/", views.body_amendments, name="body_amendments"),
    path(D, views.document_detail, name="detail"),
    path(D + "synopsis/", views.synopsis, name="synopsis"),
    path(D + "text/", views.text, name="text"),
    path(D + "text.pdf", views.text_pdf, name="pdf"),
    path(D + "versions/", views.versions, name="versions"),
    path(D + "v/<int:version>/", views.version, name="version"),
    path(D + "amend/", views.amend, name="amend"),
    path(D + "proposal/", views.proposal, name="proposal"),
    path(D + "block/", views.block, name="block"),
    path(D + "final/", views.final, name="final"),
    path(D + "commission/", views.commission, name="commission"),
    path(A, views.amendment, name="amendment"),
    path(A + "send-up/", views.send_up, name="send_up"),
    path(A + "consent/", views.consent, name="consent"),
]
