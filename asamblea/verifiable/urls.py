from django.urls import path

from asamblea.verifiable import consultation_views as cv
from asamblea.verifiable import views

app_name = "verifiable"

# The same pages and endpoints for a verifiable poll (``p/<id>/``) and a verifiable election
# (``e/<id>/``, names prefixed ``e_``); the views take the kind.
PAGES = [
    ("", views.vote_page, "vote"),
    ("setup/", views.setup, "setup"),
    ("state.json", views.state_json, "state"),
    ("register/", views.register, "register"),
    ("cast/", views.cast, "cast"),
    ("audit/", views.audit, "audit"),
    ("board/", views.board_page, "board"),
    ("board.json", views.board_json, "board_json"),
    ("trustee/", views.trustee_page, "trustee"),
    ("trustee/channel/", views.trustee_channel, "trustee_channel"),
    ("trustee/commit/", views.trustee_commit, "trustee_commit"),
    ("trustee/key/", views.trustee_key, "trustee_key"),
    ("trustee/complaint/", views.trustee_complaint, "trustee_complaint"),
    ("trustee/decrypt/", views.trustee_decrypt, "trustee_decrypt"),
    ("open/", views.open_voting, "open_voting"),
    ("close/", views.close_voting, "close_voting"),
    ("cancel/", views.cancel, "cancel"),
]
V = "b/<slug:slug>/p/<int:pk>/verifiable/"
E = "b/<slug:slug>/e/<int:pk>/verifiable/"
urlpatterns = [path(V + tail, view, name=name) for tail, view, name in PAGES] + [
    path(E + tail, view, {"kind": "election"}, name="e_" + name) for tail, view, name in PAGES
]
# A verifiable consultation's own vote (its trustees among the coordination's delegates).
K = "c/<slug:slug>/k/<int:pk>/verifiable/"
urlpatterns += [
    path(K, cv.page, name="consultation"),
    path(K + "setup/", cv.setup, name="consultation_setup"),
    path(K + "state.json", cv.state_json, name="consultation_state"),
    path(K + "board/", cv.board_page, name="consultation_board"),
    path(K + "board.json", cv.board_json, name="consultation_board_json"),
    path(K + "trustee/", cv.trustee_page, name="consultation_trustee"),
    path(K + "trustee/channel/", cv.trustee_channel, name="consultation_trustee_channel"),
    path(K + "trustee/commit/", cv.trustee_commit, name="consultation_trustee_commit"),
    path(K + "trustee/key/", cv.trustee_key, name="consultation_trustee_key"),
    path(K + "trustee/complaint/", cv.trustee_complaint, name="consultation_trustee_complaint"),
    path(K + "trustee/decrypt/", cv.trustee_decrypt, name="consultation_trustee_decrypt"),
]
