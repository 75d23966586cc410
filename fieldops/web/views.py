from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fieldops.accounts.selectors import home_url_name
from fieldops.web.health import run_checks


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    mode = "embedded" if settings.EMBEDDED else "production"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "mode": mode, "checks": checks},
        status=200 if healthy else 503,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(home_url_name(request.membership))


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    return render(request, "web/no_organization.html", status=403)


def _placeholder(title: str, lead: str):
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        if request.membership is None:
            return redirect("no-organization")
        return render(request, "web/placeholder.html", {"title": title, "lead": lead})

    return view


dashboard = _placeholder("Dashboard", "Backlog, SLA and maintenance figures will appear here.")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "FieldOps",
            "short_name": "FieldOps",
            "description": "Field service and maintenance work orders",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5cad",
            "icons": [
                {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
                {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
                {
                    "src": "/static/icons/icon-maskable-512.png",
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
            "shortcuts": [{"name": "My work", "url": "/my-work/"}],
        },
        content_type="application/manifest+json",
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "web/sw.js",
        {"version": settings.STATIC_VERSION},
        content_type="application/javascript",
    )
    # Served from the root so its scope is the whole app; never cached, so updates are seen.
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "web/offline.html")
