from django.utils.translation import gettext_lazy as _


class WalletError(Exception):
    """A refused money operation: a stable code and a translated message. Nothing has moved."""

    status = 400

    def __init__(self, code: str, message, **params):
        super().__init__(code)
        self.code = code
        self._message = message
        self.params = params

    @property
    def message(self) -> str:
        return str(self._message) % self.params if self.params else str(self._message)


def insufficient_funds():
    return WalletError("insufficient_funds", _("Your available balance is not enough for this payment."))
