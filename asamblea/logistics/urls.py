from django.urls import path

from asamblea.logistics import views

app_name = "logistics"
C = "c/<slug:slug>/logistics/"
T = "b/<slug:slug>/trips/"
urlpatterns = [
    path(C, views.board, name="board"),
    path(C + "post/", views.post, name="post"),
    path(C + "p/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path(C + "match/", views.propose, name="propose"),
    path(C + "m/<int:pk>/", views.match, name="match"),
    path(C + "m/<int:pk>/accept/", views.accept, name="accept"),
    path(C + "m/<int:pk>/decline/", views.decline, name="decline"),
    path(C + "m/<int:pk>/details/", views.details, name="details"),
    path(T, views.trips, name="trips"),
    path(T + "<int:pk>/", views.trip, name="trip"),
    path(T + "<int:pk>/ask/", views.trip_ask, name="trip_ask"),
    path(T + "<int:pk>/sheet/", views.trip_sheet, name="trip_sheet"),
    path(T + "<int:pk>/sheet.pdf", views.trip_sheet_pdf, name="trip_sheet_pdf"),
]
