from django.urls import include, path
from django.views.i18n import set_language

handler500 = "asamblea.web.server_error"

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/tokens/", include("asamblea.api.token_urls")),
    path("accounts/", include("asamblea.accounts.urls")),
    path("api/", include("asamblea.api.urls")),
    path("", include("asamblea.motions.urls")),
    path("", include("asamblea.verifiable.urls")),
    path("", include("asamblea.voting.urls")),
    path("", include("asamblea.elections.urls")),
    path("", include("asamblea.meetings.urls")),
    path("", include("asamblea.logistics.urls")),
    path("", include("asamblea.coordination.urls")),
    path("", include("asamblea.publishing.urls")),
    path("", include("asamblea.pledges.urls")),
    path("", include("asamblea.documents.urls")),
    path("", include("asamblea.surveys.urls")),
    path("", include("asamblea.bodies.urls")),
    path("", include("asamblea.lean.urls")),
]
