"""The shipped text of the chat contact channel promised live chat with agents, which does not exist
yet: replace it where it is still the shipped text (an edited text is the operator's and is kept)."""

from django.db import migrations

OLD_HOURS = {"zh-hans": "智能助手 7×24 小时；人工客服每天 08:00–22:00（北京时间）",
             "en": "Answer bot 24/7; human agents 08:00–22:00 China time, every day"}
NEW_HOURS = {"zh-hans": "智能助手 7×24 小时，页面右下角“问问 OKPay”", "en": "Answer bot 24/7: “Ask OKPay” in the corner of every page"}
NEW_RESPONSE = {"zh-hans": "智能助手即时回复；转人工的对话会作为问题交给客服，24 小时内回复（账户安全问题 2 小时内）",
                "en": "The bot answers at once; conversations it hands over reach an agent as a question, answered "
                      "within 24 hours (account security within 2 hours)"}


def forwards(apps, schema_editor):
    ContactChannel = apps.get_model("helpcenter", "ContactChannel")
    for channel in ContactChannel.objects.filter(kind="chat"):
        if channel.hours == OLD_HOURS:
            channel.hours, channel.response_time = NEW_HOURS, NEW_RESPONSE
            channel.save(update_fields=["hours", "response_time"])


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
