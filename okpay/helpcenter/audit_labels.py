"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "helpcenter.article_created": _("Help article created"),
    "helpcenter.article_edited": _("Help article edited"),
    "helpcenter.article_published": _("Help article published"),
    "helpcenter.article_unpublished": _("Help article unpublished"),
    "helpcenter.article_archived": _("Help article archived"),
    "helpcenter.article_video_mp4_uploaded": _("Video (MP4) uploaded"),
    "helpcenter.article_video_webm_uploaded": _("Video (WebM) uploaded"),
    "helpcenter.article_video_poster_uploaded": _("Video poster uploaded"),
    "helpcenter.article_captions_uploaded": _("Video captions uploaded"),
    "helpcenter.categories_reordered": _("Help categories reordered"),
}
