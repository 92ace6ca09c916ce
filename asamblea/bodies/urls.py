from django.urls import path

from asamblea.bodies import views

app_name = "bodies"
urlpatterns = [
    path("", views.home, name="home"),
    path("join/<str:token>/", views.join, name="join"),
    path("new/", views.body_create, name="create"),
    path("b/<slug:slug>/", views.body_detail, name="detail"),
    path("b/<slug:slug>/members/", views.members, name="members"),
    path("b/<slug:slug>/members/<int:pk>/", views.member_action, name="member_action"),
    path("b/<slug:slug>/members/<int:pk>/reset/", views.member_reset, name="member_reset"),
    path("b/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("b/<slug:slug>/invitations/<int:pk>/", views.invitation_show, name="invitation_show"),
    path(
        "b/<slug:slug>/invitations/<int:pk>/reissue/",
        views.invitation_reissue,
        name="invitation_reissue",
    ),
    path(
        "b/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("b/<slug:slug>/ledger/", views.ledger, name="ledger"),
    path("b/<slug:slug>/ledger/heads.json", views.ledger_heads, name="ledger_heads"),
]
