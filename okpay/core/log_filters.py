"""Log filters that import nothing from Django, so uvicorn's own logging setup can use them."""

import logging

STARTUP_PROBE = "/healthz?probe=startup"  # okpay serve's readiness probe (serve.announce_when_ready)


class StartupProbeFilter(logging.Filter):
    """Drops the access-log lines of `okpay serve`'s own readiness probe: a newcomer's first start
    would otherwise scroll a 503 line every half second until the product is ready."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(arg, str) and arg == STARTUP_PROBE for arg in args)
