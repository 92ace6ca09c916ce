"""The lean endpoint's addresses. Under ASGI :mod:`asamblea.asgi` hands ``/cast/`` to
:class:`asamblea.lean.app.LeanApp` before Django sees it; these views answer it otherwise."""

from django.urls import path

from asamblea.lean import views

app_name = "lean"
urlpatterns = [
    path("cast/<int:pk>/", views.poll_cast, name="poll"),
    path("cast/e/<int:pk>/", views.election_cast, name="election"),
]
