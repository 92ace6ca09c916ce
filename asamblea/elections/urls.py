from django.urls import path

from asamblea.elections import views as views

app_name = "elections"
urlpatterns = [
    path("b/<slug:slug>/elections/new/", views.election_create, name="create"),
    path("b/<slug:slug>/e/<int:pk>/", views.election_detail, name="detail"),
    path("b/<slug:slug>/e/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("b/<slug:slug>/e/<int:pk>/options/", views.option_add, name="option_add"),
    path(
        "b/<slug:slug>/e/<int:pk>/candidates/<int:candidate>/answer/",
        views.nomination_answer,
        name="answer",
    ),
    path("b/<slug:slug>/e/<int:pk>/open/", views.voting_open, name="open"),
    path("b/<slug:slug>/e/<int:pk>/cast/", views.ballot_cast, name="cast"),
    path("b/<slug:slug>/e/<int:pk>/close/", views.election_close, name="close"),
    path("b/<slug:slug>/e/<int:pk>/receipt/", views.receipt_check, name="receipt"),
    path("b/<slug:slug>/e/<int:pk>/result/", views.election_result, name="result"),
    path("b/<slug:slug>/e/<int:pk>/result.json", views.result_json, name="result_json"),
    path("b/<slug:slug>/e/<int:pk>/ballots.json", views.ballots_json, name="ballots_json"),
    path("b/<slug:slug>/e/<int:pk>/ballots.blt", views.ballots_blt, name="ballots_blt"),
]
