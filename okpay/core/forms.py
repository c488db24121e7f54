from django import forms


class Form(forms.Form):
    """Project base form: labels without a trailing colon (they sit above their fields)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
