"""HTTP range requests for stored files (video seeking): 206 Partial Content, 416 when unsatisfiable."""

import re

from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _chunks(handle, start: int, length: int):
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def ranged_file_response(request, field_file, content_type: str, *, attachment: bool = False):
    size = field_file.size
    header = request.headers.get("Range", "").strip()
    match = RANGE_RE.match(header) if header else None
    if header and not match:
        match = None  # unsupported forms (several ranges): answer with the whole file
    response: HttpResponseBase
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        length = end - start + 1
        response = StreamingHttpResponse(
            _chunks(field_file.open("rb"), start, length), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    else:
        response = FileResponse(field_file.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    if attachment:
        response["Content-Disposition"] = "attachment"
    return response
