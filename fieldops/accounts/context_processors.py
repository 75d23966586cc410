from django.http import HttpRequest


def membership(request: HttpRequest) -> dict:
    return {"membership": getattr(request, "membership", None)}
