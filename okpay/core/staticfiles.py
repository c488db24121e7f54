"""Static files storage: hashed names and compressed copies (WhiteNoise), with the import statements of
ES modules rewritten to the hashed names too (`static/js/chat/widget.js` imports `./transport.js`), so
a browser never pairs a new widget with a cached old transport after a deploy."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
