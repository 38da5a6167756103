"""Security around every page: headers, the access token, CSRF tokens.

- Every response carries a Content-Security-Policy that allows no script at all (the
  pages have none), styles and images from the page's own origin only, forms posting
  only to it, and no framing; plus ``nosniff``, ``no-referrer`` and ``no-store``.
- With ``service.web.token`` set, a request needs ``Authorization: Bearer <token>`` or
  the HttpOnly cookie the login form (``/login``) sets; others get 401 (or, for a page
  asked for by a browser, a redirect to the login form).
- Every form carries a CSRF token equal to a random SameSite=Strict cookie
  (double submit); a POST without the pair is refused with 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
TOKEN_COOKIE = "stmon_token"
CSRF_COOKIE = "stmon_csrf"
CSRF_FIELD = "csrf"
OPEN_PATHS = ("/login", "/static/")  # reachable without the token


def token_digest(token: str) -> str:
    """What the login cookie holds: a digest of the token, never the token itself."""
    return hashlib.sha256(b"stmon-web:" + token.encode("utf-8")).hexdigest()


class Guard:
    """ASGI middleware: security headers on every response; the token when one is set."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        request = Request(scope)
        if self.token is not None and not self.allowed(request):
            await self.refuse(request)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def allowed(self, request: Request) -> bool:
        assert self.token is not None
        if request.url.path.startswith(OPEN_PATHS):
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), self.token.encode()):
            return True
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        return hmac.compare_digest(cookie.encode(), token_digest(self.token).encode())

    @staticmethod
    def refuse(request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/login", status_code=303)
        return PlainTextResponse(
            "401: a token is needed (Authorization: Bearer, or sign in at /login)\n",
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (its cookie), or a new one to set with ``keep_csrf``."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def keep_csrf(response: Response, token: str) -> Response:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def csrf_ok(request: Request, sent: object) -> bool:
    """True when the form's token equals the browser's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (
        isinstance(sent, str)
        and bool(cookie)
        and hmac.compare_digest(sent.encode("utf-8"), cookie.encode("utf-8"))
    )
