from django.urls import path

from asamblea.motions import views

app_name = "motions"
urlpatterns = [
    path("b/<slug:slug>/motions/new/", views.motion_create, name="create"),
    path("b/<slug:slug>/m/<int:number>/", views.motion_detail, name="detail"),
    path("b/<slug:slug>/m/<int:number>/edit/", views.motion_edit, name="edit"),
    path("b/<slug:slug>/m/<int:number>/versions/", views.motion_versions, name="versions"),
    path("b/<slug:slug>/m/<int:number>/support/", views.motion_support, name="support"),
    path("b/<slug:slug>/m/<int:number>/withdraw/", views.motion_withdraw, name="withdraw"),
    path("b/<slug:slug>/m/<int:number>/comment/", views.comment_add, name="comment"),
]
