"""The production static storage rewrites ES module imports to the hashed file names."""

import re
from pathlib import Path

from django.core.files.storage import FileSystemStorage

from okpay.core.staticfiles import StaticFilesStorage

STATIC = Path(__file__).resolve().parents[3] / "static"


def test_the_widget_imports_the_hashed_transport(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    source = FileSystemStorage(location=STATIC)
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    paths = {}
    for name in ("js/chat/widget.js", "js/chat/transport.js"):
        with source.open(name) as handle:
            storage.save(name, handle)
        paths[name] = (storage, name)
    for _original, _processed, error in storage.post_process(paths):
        assert not isinstance(error, Exception), error
    transport = Path(storage.stored_name("js/chat/transport.js")).name
    assert re.fullmatch(r"transport\.[0-9a-f]{12}\.js", transport)
    widget = (tmp_path / storage.stored_name("js/chat/widget.js")).read_text()
    assert f'from "./{transport}"' in widget
    assert 'from "./transport.js"' not in widget


def test_production_settings_use_it():
    from config.settings import base

    assert base.STORAGES["staticfiles"]["BACKEND"] == "okpay.core.staticfiles.StaticFilesStorage"
