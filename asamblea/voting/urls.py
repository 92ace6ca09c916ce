from django.urls import path

from asamblea.voting import meeting_views, views

app_name = "voting"
M = "b/<slug:slug>/meetings/<int:pk>/"
urlpatterns = [
    path("b/<slug:slug>/m/<int:number>/vote/open/", views.poll_open, name="open"),
    path("b/<slug:slug>/m/<int:number>/vote/call/", views.poll_call, name="call"),
    path("b/<slug:slug>/p/<int:pk>/", views.poll_detail, name="detail"),
    path("b/<slug:slug>/p/<int:pk>/cast/", views.ballot_cast, name="cast"),
    path("b/<slug:slug>/p/<int:pk>/close/", views.poll_close, name="close"),
    path("b/<slug:slug>/p/<int:pk>/receipt/", views.receipt_check, name="receipt"),
    path("b/<slug:slug>/p/<int:pk>/progress/", views.poll_progress, name="progress"),
    path("live/polls/<int:pk>/events/", views.poll_events, name="events"),
    # Votes in a meeting, under the meeting's address.
    path(M + "votes/", meeting_views.vote_open, name="meeting_vote_open"),
    path(M + "votes/<int:poll>/hands/", meeting_views.hands_record, name="meeting_hands"),
    path(
        M + "votes/<int:poll>/hands/attest/",
        meeting_views.hands_attest,
        name="meeting_hands_attest",
    ),
    path(M + "votes/<int:poll>/close/", meeting_views.vote_close, name="meeting_vote_close"),
    path(
        M + "votes/<int:poll>/close-void/",
        meeting_views.vote_close_void,
        name="meeting_vote_close_void",
    ),
]
