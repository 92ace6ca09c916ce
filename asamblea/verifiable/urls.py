from django.urls import path

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
