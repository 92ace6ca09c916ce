from django.urls import path

from asamblea.publishing import views

S = "b/<slug:slug>/s/<int:number>/"
R = "b/<slug:slug>/r/<int:pk>/"

app_name = "publishing"
urlpatterns = [
    path("feed/", views.site_feed, name="site_feed"),
    path("feeds/", views.feeds, name="feeds"),
    path("b/<slug:slug>/resolutions/", views.resolutions, name="resolutions"),
    path("b/<slug:slug>/feed/", views.feed, name="feed"),
    path("b/<slug:slug>/ledger/<int:seq>/", views.ledger_entry, name="ledger_entry"),
    path(
        "c/<slug:slug>/resolutions/",
        views.coordination_resolutions,
        name="coordination_resolutions",
    ),
    path("c/<slug:slug>/feed/", views.coordination_feed, name="coordination_feed"),
    path("b/<slug:slug>/statements/", views.statements, name="statements"),
    path("b/<slug:slug>/statements/rule/", views.statement_rule, name="statement_rule"),
    path(S, views.statement_detail, name="statement"),
    path(S + "edit/", views.statement_edit, name="statement_edit"),
    path(S + "adopt/", views.statement_adopt, name="statement_adopt"),
    path(S + "endorse/", views.statement_endorse, name="statement_endorse"),
    path(S + "print/", views.statement_print, name="statement_print"),
    path(S + "leaflet.pdf", views.statement_pdf, name="statement_pdf"),
    path(R + "print/", views.resolution_print, name="resolution_print"),
    path(R + "leaflet.pdf", views.resolution_pdf, name="resolution_pdf"),
    path("b/<slug:slug>/popolo.json", views.popolo_json, name="popolo"),
    path("b/<slug:slug>/popolo/<str:table>.csv", views.popolo_csv, name="popolo_csv"),
]
