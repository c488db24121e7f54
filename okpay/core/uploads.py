"""Upload checks shared by every app: allow-list by extension AND by sniffed content, size limits,
random stored names (the storage's upload_to), images re-encoded before they are shown inline."""

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileKind:
    name: str
    extensions: tuple[str, ...]
    content_type: str


KINDS = {
    "mp4": FileKind("mp4", (".mp4", ".m4v"), "video/mp4"),
    "webm": FileKind("webm", (".webm",), "video/webm"),
    "jpeg": FileKind("jpeg", (".jpg", ".jpeg"), "image/jpeg"),
    "png": FileKind("png", (".png",), "image/png"),
    "gif": FileKind("gif", (".gif",), "image/gif"),
    "webp": FileKind("webp", (".webp",), "image/webp"),
    "pdf": FileKind("pdf", (".pdf",), "application/pdf"),
    "vtt": FileKind("vtt", (".vtt",), "text/vtt"),
    "txt": FileKind("txt", (".txt",), "text/plain"),
}


def sniff(head: bytes) -> str | None:
    """The kind the first bytes say, whatever the file is called."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"WEBVTT"):
        return "vtt"
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "txt" if b"\x00" not in text else None


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def upload_check(upload, *, allowed: set[str], max_bytes: int) -> str:
    """Raise a translated ValidationError unless the file's extension and content agree on an
    allowed kind within the size limit. Returns the kind."""
    if upload is None:
        raise ValidationError(_("Choose a file."), code="required")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large: the limit is %(limit)s.") % {"limit": _size_text(max_bytes)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = Path(upload.name or "").suffix.lower()
    declared = next((k for k in allowed if extension in KINDS[k].extensions), None)
    allowed_extensions = ", ".join(sorted(e for k in allowed for e in KINDS[k].extensions))
    if declared is None:
        raise ValidationError(
            _("This type of file is not accepted. Allowed: %(types)s.") % {"types": allowed_extensions},
            code="bad_extension",
        )
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    actual = sniff(head)
    if actual != declared:
        raise ValidationError(
            _("The file's content does not match its name (%(extension)s).") % {"extension": extension},
            code="content_mismatch",
        )
    return actual


def image_reencode(upload, *, max_side: int = 1920) -> ContentFile:
    """Decode and re-encode an image as JPEG, dropping anything that is not pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            image.load()
            image = image.convert("RGB")
            image.thumbnail((max_side, max_side))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("The image could not be read."), code="bad_image") from error
    return ContentFile(buffer.getvalue(), name="image.jpg")
