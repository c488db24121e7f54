"""Refresh the message catalogs from the source (`make messages`).

English is the source language, so the `en` catalog's translations equal the message ids; this
script fills those. The zh_Hans catalog is translated by people: new entries stay empty until then,
and `okpay/core/tests/test_i18n_catalogs.py` fails while any is empty or fuzzy."""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def _header(catalog: polib.POFile, language: str) -> None:
    catalog.metadata_is_fuzzy = False
    catalog.header = "OKPay Service Center message catalog."
    catalog.metadata.update(
        {
            "Project-Id-Version": "okpay-service-center",
            "Language": language,
            "Language-Team": language,
            "Last-Translator": "OKPay developers",
            "PO-Revision-Date": catalog.metadata.get("POT-Creation-Date", ""),
        }
    )


def main() -> None:
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "en",
            "--no-location",
            "--no-obsolete",
            "--ignore",
            ".venv/*",
            "--ignore",
            "var/*",
            "--ignore",
            "test-artifacts/*",
            "--ignore",
            "bench/*",
        ],
        cwd=ROOT,
        check=True,
    )
    en = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    for entry in en:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    _header(en, "en")
    en.save()
    zh = polib.pofile(str(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"))
    _header(zh, "zh_Hans")
    zh.save()
    missing = [e.msgid for e in zh if not e.translated() or "fuzzy" in e.flags]
    print(f"zh_Hans: {len(zh)} entries, {len(missing)} to translate")


if __name__ == "__main__":
    main()
