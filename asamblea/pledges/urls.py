from django.urls import path

from asamblea.pledges import views

app_name = "pledges"
urlpatterns = [
    path("b/<slug:slug>/pledges/", views.pledge_list, name="list"),
    path("b/<slug:slug>/pledges/new/", views.pledge_create, name="create"),
    path("b/<slug:slug>/pledges/<int:pk>/", views.pledge_detail, name="detail"),
    path("b/<slug:slug>/pledges/<int:pk>/live/", views.pledge_live, name="live"),
    path("b/<slug:slug>/pledges/<int:pk>/commit/", views.commit, name="commit"),
    path("b/<slug:slug>/pledges/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("b/<slug:slug>/pledges/<int:pk>/vote/", views.vote_open, name="vote"),
    path("b/<slug:slug>/pledges/<int:pk>/followup/", views.followup_open, name="followup"),
    path("b/<slug:slug>/pledges/<int:pk>/answer/", views.followup_answer, name="answer"),
    path("live/pledges/<int:pk>/events/", views.pledge_events, name="events"),
]
