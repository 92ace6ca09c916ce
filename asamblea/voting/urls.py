from django.urls import path

from asamblea.voting import views

app_name = "voting"
urlpatterns = [
    path("b/<slug:slug>/m/<int:number>/vote/open/", views.poll_open, name="open"),
    path("b/<slug:slug>/m/<int:number>/vote/call/", views.poll_call, name="call"),
    path("b/<slug:slug>/p/<int:pk>/", views.poll_detail, name="detail"),
    path("b/<slug:slug>/p/<int:pk>/cast/", views.ballot_cast, name="cast"),
    path("b/<slug:slug>/p/<int:pk>/close/", views.poll_close, name="close"),
    path("b/<slug:slug>/p/<int:pk>/receipt/", views.receipt_check, name="receipt"),
    path("b/<slug:slug>/p/<int:pk>/progress/", views.poll_progress, name="progress"),
    path("live/polls/<int:pk>/events/", views.poll_events, name="events"),
]
