from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fieldops.accounts.selectors import api_tokens_for_user
from fieldops.accounts.services import api_token_create, api_token_revoke
from fieldops.errors import DomainError


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.membership is None:
        return redirect("no-organization")
    context = {"tokens": api_tokens_for_user(request.user), "new_secret": None, "name": ""}
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            issued = api_token_create(membership=request.membership, name=name)
        except DomainError as exc:
            context.update(error=exc.details.get("name") or exc.message, name=name)
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
