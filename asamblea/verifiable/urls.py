from django.urls import path

from asamblea.verifiable import views

app_name = "verifiable"
V = "b/<slug:slug>/p/<int:pk>/verifiable/"
urlpatterns = [
    path(V, views.vote_page, name="vote"),
    path(V + "setup/", views.setup, name="setup"),
    path(V + "state.json", views.state_json, name="state"),
    path(V + "register/", views.register, name="register"),
    path(V + "cast/", views.cast, name="cast"),
    path(V + "audit/", views.audit, name="audit"),
    path(V + "board/", views.board_page, name="board"),
    path(V + "board.json", views.board_json, name="board_json"),
    path(V + "trustee/", views.trustee_page, name="trustee"),
    path(V + "trustee/channel/", views.trustee_channel, name="trustee_channel"),
    path(V + "trustee/commit/", views.trustee_commit, name="trustee_commit"),
    path(V + "trustee/key/", views.trustee_key, name="trustee_key"),
    path(V + "trustee/complaint/", views.trustee_complaint, name="trustee_complaint"),
    path(V + "trustee/decrypt/", views.trustee_decrypt, name="trustee_decrypt"),
    path(V + "open/", views.open_voting, name="open_voting"),
    path(V + "close/", views.close_voting, name="close_voting"),
    path(V + "cancel/", views.cancel, name="cancel"),
]
