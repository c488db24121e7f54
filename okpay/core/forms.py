from django import forms
from django.utils.translation import gettext_lazy as _

# Django 6.1's blank choice label, which its own catalog does not translate into Chinese yet: listed
# here so that our catalog (searched first) carries the translation for every select in the project.
BLANK_CHOICE_LABEL = _("- Select an option -")


class Form(forms.Form):
    """Project base form: labels without a trailing colon (they sit above their fields)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
