from django.urls import path

from asamblea.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile_view, name="profile"),
    path("passphrase/", views.passphrase_change, name="passphrase"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("recovery-codes/saved/", views.recovery_codes_saved, name="recovery_codes_saved"),
    path("recover/", views.recover, name="recover"),
    path("reset/<str:token>/", views.reset, name="reset"),
]
