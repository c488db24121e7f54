"""Security probe (issue 10), finding 14: a Chinese UTF-8 text file was refused as "content does not
match" whenever the sniffed prefix ended inside a character."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from okpay.core.uploads import SNIFF_BYTES, sniff, upload_check

TEXT_KINDS = {"txt", "png", "jpeg", "pdf"}


def _check(name: str, data: bytes) -> str:
    return upload_check(SimpleUploadedFile(name, data), allowed=TEXT_KINDS, max_bytes=5 * 1024 * 1024)


# 21 characters (63 bytes) never split; 22, 23 and 100 split the old 64-byte prefix; 1366 and 2000
# split the current prefix (4096 bytes is not a multiple of 3)
@pytest.mark.parametrize("count", [21, 22, 23, 100, 1366, 2000])
def test_finding_14_chinese_txt_is_text_whatever_the_prefix_splits(count):
    data = ("中" * count).encode()
    assert _check("说明.txt", data) == "txt"
    assert _check("说明.txt", b"\xef\xbb\xbf" + data) == "txt"  # with a byte-order mark
    assert _check("notes.txt", ("转账记录：" + "款" * count + "\n").encode()) == "txt"


def test_finding_14_the_prefix_split_is_tolerated_only_at_its_end():
    assert SNIFF_BYTES % 3 != 0  # the parametrized counts above do split it
    head = ("中" * 22).encode()[:64]
    assert sniff(head) == "txt"  # a prefix may end inside a character
    assert sniff(head, complete=True) is None  # a whole file may not


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.txt", bytes(range(256)) * 8),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        ("nul.txt", ("中" * 30).encode() + b"\x00" + b"a" * 100),
        ("bad-byte.txt", ("中" * 21).encode() + b"\xff" + ("中" * 30).encode()),  # invalid at byte 64
        ("cut.txt", ("中" * 5).encode()[:-1]),  # the whole file ends inside a character
    ],
)
def test_finding_14_binary_named_txt_is_still_refused(name, data):
    with pytest.raises(ValidationError) as refused:
        _check(name, data)
    assert refused.value.code == "content_mismatch"
