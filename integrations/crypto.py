"""Connection credentials encrypted at rest (Fernet).

The key comes from ``FIELDOPS_CREDENTIALS_KEY`` (a Fernet key; several, comma-separated, rotate:
the first encrypts, all decrypt). Only when it is unset — the embedded/dev default — is a key
derived from SECRET_KEY, so a first run needs no setup.
"""

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def fernet() -> MultiFernet:
    configured = os.environ.get("FIELDOPS_CREDENTIALS_KEY", "").strip()
    if configured:
        try:
            keys = [Fernet(key.strip()) for key in configured.split(",") if key.strip()]
        except ValueError:
            raise ImproperlyConfigured(
                "FIELDOPS_CREDENTIALS_KEY must be Fernet keys (Fernet.generate_key())."
            ) from None
        return MultiFernet(keys)
    derived = hashlib.sha256(f"fieldops-credentials:{settings.SECRET_KEY}".encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def encrypt_credentials(credentials: dict[str, Any]) -> str:
    if not credentials:
        return ""
    return fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        # Wrong or rotated-away key: behave as if no credentials were stored.
        return {}


def mask_credentials(credentials: dict[str, Any]) -> dict[str, str]:
    """What the API may show of the credentials: which fields are set and, for long values, their
    last two characters (enough to tell two keys apart, not enough to use one)."""
    masked: dict[str, str] = {}
    for name, value in credentials.items():
        text = str(value)
        masked[name] = "••••" + (text[-2:] if len(text) >= 12 else "")
    return masked
