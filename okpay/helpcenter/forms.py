from django import forms
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n
from okpay.core.forms import Form

from .choices import LANGUAGES, ArticleKind, FeedbackReason
from .models import Article, Category


class SearchForm(Form):
    q = forms.CharField(label=_("Search the help center"), required=False, strip=True)

    def clean_q(self):
        # long pastes are searched by their beginning rather than refused
        return " ".join(self.cleaned_data["q"].split())[:200]


class FeedbackReasonForm(Form):
    reason = forms.ChoiceField(
        label=_("What was wrong?"), choices=FeedbackReason.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything else? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


LANGUAGE_NAMES = {i18n.ZH: _("Chinese"), i18n.EN: _("English")}


class ArticleForm(Form):
    key = forms.SlugField(label=_("Key (English slug)"), max_length=100)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    kind = forms.ChoiceField(label=_("Kind"), choices=ArticleKind.choices)
    tags = forms.CharField(label=_("Tags (comma-separated, both languages)"), max_length=500, required=False)
    popular_rank = forms.IntegerField(
        label=_("Most-asked rank (empty = not listed)"), min_value=1, max_value=100, required=False
    )
    related = forms.CharField(
        label=_("Related article keys (comma-separated)"), max_length=500, required=False
    )

    def __init__(self, *args, article: Article | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        for language in LANGUAGES:
            name = LANGUAGE_NAMES[language]
            self.fields[f"title_{language}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name}, max_length=200, required=False
            )
            self.fields[f"slug_{language}"] = forms.SlugField(
                label=_("URL slug (%(language)s)") % {"language": name},
                max_length=120,
                required=False,
                allow_unicode=True,
            )
            self.fields[f"summary_{language}"] = forms.CharField(
                label=_("Summary (%(language)s)") % {"language": name}, max_length=400, required=False
            )
            self.fields[f"body_{language}"] = forms.CharField(
                label=_("Text in Markdown (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea(
                    attrs={"rows": 14, "class": "markdown-input", "data-language": language}
                ),
            )

    def clean_key(self):
        key = self.cleaned_data["key"]
        clash = Article.objects.filter(key=key)
        if self.article is not None:
            clash = clash.exclude(pk=self.article.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another article already uses this key."))
        return key

    def clean_related(self):
        keys = [k.strip() for k in self.cleaned_data["related"].split(",") if k.strip()]
        unknown = sorted(set(keys) - set(Article.objects.filter(key__in=keys).values_list("key", flat=True)))
        if unknown:
            raise forms.ValidationError(_("Unknown article keys: %(keys)s") % {"keys": ", ".join(unknown)})
        return keys

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data["tags"].replace("，", ",").split(",") if t.strip()][:20]

    def clean(self):
        cleaned = super().clean()
        from .models import ArticleTranslation

        if not any(cleaned.get(f"title_{language}") for language in LANGUAGES):
            raise forms.ValidationError(_("Write a title in at least one language."))
        for language in LANGUAGES:
            slug = cleaned.get(f"slug_{language}") or cleaned.get("key")
            if cleaned.get(f"title_{language}") and slug:
                clash = ArticleTranslation.objects.filter(language=language, slug=slug)
                if self.article is not None:
                    clash = clash.exclude(article=self.article)
                if clash.exists():
                    self.add_error(f"slug_{language}", _("Another article already uses this address."))
        return cleaned

    def translations(self) -> dict:
        return {
            language: {
                "title": self.cleaned_data.get(f"title_{language}", ""),
                "slug": self.cleaned_data.get(f"slug_{language}") or self.cleaned_data["key"],
                "summary": self.cleaned_data.get(f"summary_{language}", ""),
                "body": self.cleaned_data.get(f"body_{language}", ""),
            }
            for language in LANGUAGES
        }


class VideoUploadForm(Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=[(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES]
    )
    part = forms.ChoiceField(
        label=_("File"),
        choices=[
            ("mp4", _("Video (MP4)")),
            ("webm", _("Video (WebM)")),
            ("poster", _("Poster image")),
            ("captions", _("Captions (WebVTT)")),
        ],
    )
    file = forms.FileField(label=_("Choose a file"))
