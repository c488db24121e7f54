from django.utils import timezone

from okpay.helpcenter.actions import search_index_invalidate, translation_save
from okpay.helpcenter.models import Article, Category


def category_create(slug="account-security", **fields) -> Category:
    return Category.objects.get_or_create(
        slug=slug, defaults={"name": {"zh-hans": "账户与安全", "en": "Account & security"}, **fields}
    )[0]


def article_create(
    key, *, zh=None, en=None, status="published", category=None, kind="faq", tags=(), popular=None
) -> Article:
    """zh / en: (title, summary, body) or None for no translation in that language."""
    article = Article.objects.create(
        key=key,
        category=category or category_create(),
        kind=kind,
        status=status,
        tags=list(tags),
        popular_rank=popular,
        published_at=timezone.now() if status == "published" else None,
    )
    for language, text in (("zh-hans", zh), ("en", en)):
        if text:
            title, summary, body = text
            translation_save(
                article=article, language=language, title=title, summary=summary, body=body, slug=key
            )
    search_index_invalidate()
    return article


CORPUS = [
    (
        "reset-password",
        (
            "如何重置密码？",
            "忘记密码时在登录页点击忘记密码",
            "在登录页点击“忘记密码?”，输入邮箱，20 分钟内打开邮件里的链接，输入两次新密码。",
        ),
        (
            "How do I reset my password?",
            "Use Forgot password on the sign-in page",
            "On the sign-in page choose Forgot password, enter your email and open the link within 20 "
            "minutes.",
        ),
        ["password", "密码", "忘记密码"],
    ),
    (
        "withdraw-funds",
        (
            "如何提现到银行卡？",
            "资金转出到银行账户",
            "登录 → 我的账户 → 资金转出，填写金额，选择银行卡，确认手续费和到账时间后提交。",
        ),
        (
            "How do I withdraw money to my bank?",
            "Withdraw to a bank account",
            "Sign in, open My Account, choose Withdraw, enter the amount and bank account, confirm the fee "
            "and arrival time.",
        ),
        ["withdraw", "提现", "资金转出"],
    ),
    (
        "open-dispute",
        (
            "如何处理交易纠纷？",
            "先联系商户，再发起纠纷",
            "先联系商户协商；商户拒绝或 3 天未回复时，可在 180 天内发起交易纠纷并上传截图、聊天记录等证据。",
        ),
        (
            "How do I handle a transaction dispute?",
            "Contact the merchant first, then open a dispute",
            "Talk to the merchant first. If they refuse or do not answer within 3 days, open a dispute "
            "with evidence such as screenshots and chat records.",
        ),
        ["dispute", "纠纷", "争议"],
    ),
    (
        "international-transfers",
        (
            "如何向境外汇款？",
            "按实时汇率换算，手续费提前展示",
            "国际交易按欧洲央行参考汇率加 0.5% 换算，确认前显示手续费和对方实收金额。",
        ),
        (
            "How do I send money abroad?",
            "Converted at the current rate, fees shown first",
            "International transfers convert at the ECB reference rate plus 0.5%; every fee and the amount "
            "received are shown before you confirm.",
        ),
        ["international", "国际", "汇率", "exchange rate"],
    ),
]


def corpus_create() -> dict[str, Article]:
    return {key: article_create(key, zh=zh, en=en, tags=tags) for key, zh, en, tags in CORPUS}
