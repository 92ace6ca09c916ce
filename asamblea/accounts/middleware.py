from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PersonLanguageMiddleware:
    """A logged-in person's chosen language wins over the browser's, unless the session or the
    language cookie says otherwise (set by the language switcher)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        from django.conf import settings

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not chosen:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
