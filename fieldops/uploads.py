"""Checking uploaded files by what they contain, not by what the client says they are."""

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile

from fieldops.errors import ValidationFailed

# Magic numbers of the types FieldOps accepts, and the type each one really is.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heic"),
    (b"%PDF-", 0, "application/pdf"),
]
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    sha256: str
    name: str

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def sniff(head: bytes) -> str | None:
    for magic, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    return None


def check_upload(
    upload: UploadedFile | None, *, field: str, images_only: bool = False
) -> CheckedUpload:
    """The file's bytes and real type, or VALIDATION_ERROR (too big, empty, wrong type)."""
    if upload is None:
        raise ValidationFailed(details={field: "Choose a file."})
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(details={field: f"Larger than {limit // (1024 * 1024)} MB."})
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationFailed(details={field: f"Larger than {limit // (1024 * 1024)} MB."})
    if not content:
        raise ValidationFailed(details={field: "The file is empty."})
    content_type = sniff(content[:32])
    allowed = IMAGE_TYPES if images_only else IMAGE_TYPES | {"application/pdf"}
    if content_type not in allowed:
        kinds = "a photo (JPEG, PNG, WebP, HEIC, GIF)" + ("" if images_only else " or a PDF")
        raise ValidationFailed(details={field: f"Must be {kinds}."})
    name = (upload.name or "upload").rsplit("/", 1)[-1][:200]
    return CheckedUpload(
        content=content,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        name=name,
    )


# --- Keeping a checked upload across a refused form ----------------------------------------------
# A form refused for another field must not make a person on a phone take the photo again: the
# checked bytes wait in the cache (shared by every process, expiring by itself) and the page
# carries a signed reference to them. Signed, so nobody can point a form at another's upload.
STASH_SALT = "fieldops.upload-stash"
STASH_SECONDS = 3600


def upload_stash(upload: CheckedUpload) -> str:
    """A signed token that ``upload_unstash`` turns back into ``upload`` within the hour."""
    key = f"upload-stash:{secrets.token_urlsafe(16)}"
    cache.set(key, upload.content, timeout=STASH_SECONDS)
    return signing.dumps(
        {"k": key, "n": upload.name, "t": upload.content_type, "h": upload.sha256},
        salt=STASH_SALT,
    )


def upload_unstash(token: str) -> CheckedUpload | None:
    """The upload a token of ``upload_stash`` refers to; None if forged, expired or gone."""
    try:
        ref = signing.loads(token, salt=STASH_SALT, max_age=STASH_SECONDS)
        key, name, content_type, sha256 = ref["k"], ref["n"], ref["t"], ref["h"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    content = cache.get(key)
    if not isinstance(content, bytes) or hashlib.sha256(content).hexdigest() != sha256:
        return None
    return CheckedUpload(content=content, content_type=content_type, sha256=sha256, name=name)
