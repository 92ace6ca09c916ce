from django.urls import path

from asamblea.publishing import views

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
]
