"""Upload checks shared by every app: allow-list by extension AND by sniffed content, size limits,
random stored names (the storage's upload_to), images re-encoded before they are shown inline; and an
upload handler that stops receiving a file as soon as it passes a form's limit."""

import asyncio
import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
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


SNIFF_BYTES = 4096  # how much of a file `sniff` looks at


def _is_text(data: bytes, *, complete: bool) -> bool:
    """UTF-8 without NUL bytes. A prefix may end inside a character (a CJK character is 3 bytes): an
    incomplete final sequence is accepted unless `data` is the whole file."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def sniff(head: bytes, *, complete: bool = False) -> str | None:
    """The kind the first bytes say, whatever the file is called. `complete`: `head` is the whole
    file (then text must not end inside a character)."""
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
    return "txt" if _is_text(text, complete=complete) else None


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def upload_check(upload, *, allowed: set[str], max_bytes: int) -> str:
    """Raise a translated ValidationError unless the file's extension and content agree on an
    allowed kind within the size limit. Returns the kind."""
    if upload is None:
        raise ValidationError(_("Choose a file."), code="required")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large: the limit is %(limit)s.") % {"limit": size_text(max_bytes)},
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
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    actual = sniff(head, complete=len(head) >= upload.size)
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
        with Image.open(upload) as source:
            source.load()
            image = source.convert("RGB")
            image.thumbnail((max_side, max_side))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("The image could not be read."), code="bad_image") from error
    return ContentFile(buffer.getvalue(), name="image.jpg")


class UploadLimitHandler(FileUploadHandler):
    """First in `request.upload_handlers`: lets each file's bytes through to the storing handlers
    until the file passes `max_bytes` (or is one file more than `max_files`), then drops the file
    at once (SkipFile: nothing more of it is kept) and notes why in `refused` ("too_large" /
    "too_many"), for the view to tell the user."""

    chunk_size = 64 * 1024

    def __init__(self, *, max_bytes: int, max_files: int, request=None):
        super().__init__(request)
        self.max_bytes, self.max_files = max_bytes, max_files
        self.files_seen = 0
        self.received = 0
        self.refused: set[str] = set()

    def new_file(self, *args, **kwargs):
        # Never raise SkipFile here: the parser would then close the *previous* file of the handlers
        # after this one. The first chunk decides.
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        if self.files_seen > self.max_files:
            self.refused.add("too_many")
            raise SkipFile
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.refused.add("too_large")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the storing handlers after this one return the file


def request_content_length(request) -> int:
    """The body size the client declared (0 when missing or malformed: Django then reads nothing)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _view_body_limit(path: str) -> int | None:
    """The body limit of the view at `path` (a `hooks.BODY_LIMITS` pattern, or a view marked with
    `okpay_body_limit`, a callable returning bytes), or None."""
    from django.urls import Resolver404, resolve

    from . import hooks

    for item in hooks.items(hooks.BODY_LIMITS):
        if re.fullmatch(item.pattern, path):
            return item.limit()
    try:
        limit = getattr(resolve(path).func, "okpay_body_limit", None)
    except Resolver404:
        return None
    return limit() if limit is not None else None


class RequestBodyLimit:
    """ASGI wrapper around Django. Django's ASGI handler receives the whole body (spooling it to
    disk) before any view runs, so a view cannot refuse a large upload in time by itself. For a view
    with a body limit, a body declared larger than the limit is not received at all: Django gets an
    empty body with the declared Content-Length, and the view answers 413 without reading. A body
    without a Content-Length (chunked) is counted as it arrives and cut off the same way once it
    passes the limit."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        limit = _view_body_limit(path or "/")
        if limit is None:
            return await self.app(scope, receive, send)
        declared = None
        for name, value in scope.get("headers", ()):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        state = {"received": 0, "cut": declared is not None and declared > limit, "stopped": False}

        async def limited_receive():
            if state["stopped"]:
                # Django waits here for a disconnect while the view runs; the rest of the body is never
                # read from the client. The wait is cancelled once the response is sent.
                await asyncio.Event().wait()
            if state["cut"]:
                state["stopped"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:  # no Content-Length (chunked): stop here
                    scope["headers"] = [
                        (n, v) for n, v in scope.get("headers", ()) if n.lower() != b"content-length"
                    ] + [(b"content-length", str(state["received"]).encode())]
                    state["stopped"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        return await self.app(scope, limited_receive, send)
