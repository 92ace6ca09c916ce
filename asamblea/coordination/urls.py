from django.urls import path

from asamblea.coordination import views

app_name = "coordination"
urlpatterns = [
    path("coordinations/new/", views.create, name="create"),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/statute/", views.statute, name="statute"),
    path("c/<slug:slug>/requests/<int:pk>/", views.request_decide, name="request_decide"),
    path("c/<slug:slug>/m/<int:number>/vote/", views.vote_open, name="vote_open"),
    path("c/<slug:slug>/m/<int:number>/consult/", views.consultation_open, name="consult"),
    path("c/<slug:slug>/v/<int:pk>/", views.vote_detail, name="vote"),
    path("c/<slug:slug>/v/<int:pk>/cast/", views.vote_cast, name="vote_cast"),
    path("c/<slug:slug>/v/<int:pk>/close/", views.vote_close, name="vote_close"),
    path("c/<slug:slug>/k/<int:pk>/", views.consultation_detail, name="consultation"),
    path(
        "c/<slug:slug>/k/<int:pk>/progress/",
        views.consultation_progress,
        name="consultation_progress",
    ),
    path(
        "live/consultations/<int:pk>/events/",
        views.consultation_events,
        name="consultation_events",
    ),
    path("c/<slug:slug>/k/<int:pk>/close/", views.consultation_close, name="consultation_close"),
    path("c/<slug:slug>/f/<int:pk>/back/", views.back, name="back"),
    path("b/<slug:slug>/coordination/", views.body_page, name="body"),
    path("b/<slug:slug>/coordination/propose/", views.propose, name="propose"),
    path("b/<slug:slug>/coordination/elections/", views.election_open, name="election_open"),
    path(
        "b/<slug:slug>/coordination/delegates/<int:pk>/recall/",
        views.recall_open,
        name="recall",
    ),
    path("b/<slug:slug>/coordination/mandates/", views.mandate, name="mandate"),
    path(
        "b/<slug:slug>/coordination/k/<int:pk>/",
        views.consultation_decide,
        name="consultation_decide",
    ),
    path(
        "b/<slug:slug>/coordination/solidarity/<int:pk>/",
        views.solidarity_answer,
        name="solidarity_answer",
    ),
    path("b/<slug:slug>/m/<int:number>/forward/", views.forward, name="forward"),
    path("b/<slug:slug>/m/<int:number>/solidarity/", views.solidarity_send, name="solidarity"),
    path("b/<slug:slug>/m/<int:number>/provenance/", views.provenance, name="provenance"),
]
