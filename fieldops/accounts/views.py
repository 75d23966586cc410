from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fieldops.accounts.schemas import ApiTokenIn
from fieldops.accounts.selectors import api_tokens_for_user
from fieldops.accounts.services import api_token_create, api_token_revoke
from fieldops.errors import DomainError
from fieldops.inputs import field_problems, page_input, typed_text
from fieldops.throttling import failure_record, failures_blocked, failures_forget


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.membership is None:
        return redirect("no-organization")
    context = {"tokens": api_tokens_for_user(request.user), "new_secret": None, "name": ""}
    if request.method == "POST":
        name = typed_text(request, "name")
        try:
            asked = page_input(request, ApiTokenIn)
            issued = api_token_create(
                membership=request.membership, name=asked.name, expires_at=asked.expires_at
            )
        except DomainError as exc:
            problems = field_problems(exc.details)
            said = problems.get("name") or problems.get("expires_at") or exc.message
            context.update(error=said, name=name)
            return render(request, "accounts/tokens.html", context, status=422)
        context["new_secret"] = issued.secret
        context["new_name"] = issued.token.name
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    if request.membership is None:
        return redirect("no-organization")
    token = api_token_revoke(membership=request.membership, token_public_id=token_id)
    messages.success(request, f"Token “{token.name}” revoked. Programs using it are refused now.")
    return redirect("account-tokens")


class ThrottledLoginView(LoginView):
    """Sign-in that slows guessing: after repeated failures for one name from one address (or
    many from one address) further attempts are refused for a while, with a clear message."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        address = request.META.get("REMOTE_ADDR", "")
        username = (request.POST.get("username") or "").strip().lower()[:150]
        keys = [
            (f"login:{address}:{username}", settings.LOGIN_FAILURES_PER_USER),
            (f"login:{address}", settings.LOGIN_FAILURES_PER_ADDRESS),
        ]
        if any(failures_blocked(key, limit=limit) for key, limit in keys):
            minutes = settings.LOGIN_LOCKOUT_SECONDS // 60
            response = render(
                request,
                self.template_name,
                {
                    "form": self.get_form(),
                    "locked_out": True,
                    "minutes": minutes,
                },
                status=429,
            )
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: wrong name or password
            for key, _ in keys:
                failure_record(key, period_seconds=settings.LOGIN_LOCKOUT_SECONDS)
        else:
            failures_forget(keys[0][0])
        return response
