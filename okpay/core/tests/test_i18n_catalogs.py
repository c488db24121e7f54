"""Every UI string is translated in both catalogs, none is fuzzy, and the catalogs are current with
the source (an extracted string missing from the .po fails here)."""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = {
    "zh_Hans": ROOT / "locale/zh_Hans/LC_MESSAGES/django.po",
    "en": ROOT / "locale/en/LC_MESSAGES/django.po",
}


@pytest.mark.smoke
@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_no_untranslated_or_fuzzy_entries(language):
    catalog = polib.pofile(str(CATALOGS[language]))
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert untranslated == [], f"untranslated in {language}: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy in {language}: {fuzzy[:10]}"
    assert len(catalog) > 100


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (xgettext)")
def test_catalogs_contain_every_string_in_the_source(tmp_path, settings, monkeypatch):
    for language, path in CATALOGS.items():
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(path, target / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    monkeypatch.chdir(ROOT)
    call_command(
        "makemessages",
        locale=["zh_Hans", "en"],
        no_location=True,
        verbosity=0,
        ignore_patterns=[".venv/*", "var/*", "test-artifacts/*", "bench/*"],
    )
    for language, path in CATALOGS.items():
        fresh = {
            e.msgid
            for e in polib.pofile(str(tmp_path / language / "LC_MESSAGES" / "django.po"))
            if not e.obsolete
        }
        committed = {e.msgid for e in polib.pofile(str(path))}
        missing = sorted(fresh - committed)
        assert missing == [], f"run `make messages` and translate: {missing[:10]}"
