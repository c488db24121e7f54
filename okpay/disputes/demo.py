"""Demo data: disputes in every state between the demo customers and merchants, with evidence files
(PNG screenshots drawn here — captions in Latin letters, Pillow's default font has no CJK glyphs —
and a text chat record). Idempotent: nothing is added when the demo customer already has disputes.
The duplicate pair the answer bot finds is left alone."""

import io
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from okpay.wallet.models import Payment

from . import actions
from .models import Dispute, DisputeEvent, DisputeMessage, Evidence


def _png(text: str, name: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 200), (245, 247, 252))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 350, 190), outline=(11, 95, 255), width=3)
    draw.text((24, 24), text, fill=(26, 26, 46))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _txt(text: str, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def _backdate(dispute: Dispute, days: float) -> None:
    """Shift a dispute's own rows into the past (its deadlines are left as they were set)."""
    delta = timedelta(days=days)
    for model in (DisputeEvent, DisputeMessage):
        for row in model.objects.filter(dispute=dispute):
            model.objects.filter(pk=row.pk).update(created_at=row.created_at - delta)
    Dispute.objects.filter(pk=dispute.pk).update(
        created_at=dispute.created_at - delta, updated_at=dispute.updated_at - delta
    )


@transaction.atomic
def disputes_demo_load() -> str | None:
    User = get_user_model()
    customer = User.objects.get(email="customer@example.com")
    if Dispute.objects.filter(customer=customer).exists():
        return None
    english = User.objects.get(email="customer.en@example.com")
    agent = User.objects.get(email="agent@example.com")
    supervisor = User.objects.get(email="supervisor@example.com")
    # the customer's earlier payments (not the recent duplicate pair nor the refunded ones)
    pool = list(
        Payment.objects.filter(
            customer=customer, refunded_minor=0, created_at__lt=timezone.now() - timedelta(days=2)
        ).order_by("created_at")
    )
    if len(pool) < 9:
        return None
    take = iter(reversed(pool))

    def contact(payment, body, *files):
        return actions.dispute_contact_start(
            customer=customer, payment_id=payment.pk, body=body, files=list(files)
        )

    def opened(payment, reason, amount, description, body, refusal, *files):
        dispute = contact(payment, body, _png("Order screenshot", "order.png"))
        actions.dispute_merchant_refuse(merchant=payment.merchant, dispute_id=dispute.pk, body=refusal)
        return actions.dispute_open(
            customer=customer,
            payment_id=payment.pk,
            reason=reason,
            amount_minor=amount,
            description=description,
            files=list(files),
        )

    # 1. talking to the merchant, not answered yet
    contact(next(take), "咖啡豆还没送到，订单显示已发货三天了，请帮忙查一下物流。")
    # 2. the merchant declined: the customer may open the dispute now
    p = next(take)
    d = contact(p, "收到的书封面破损，希望换一本新的。", _png("Damaged cover", "cover.png"))
    actions.dispute_merchant_refuse(
        merchant=p.merchant, dispute_id=d.pk, body="特价书不退不换，下单页面已注明。"
    )
    # 3. open: waiting for the merchant's response (with evidence)
    p = next(take)
    opened(
        p,
        "not_as_described",
        p.amount_minor,
        "商品和描述不符：描述是精装版，收到的是平装版。",
        "收到的是平装版，请退款。",
        "描述没有问题。",
        _png("Hardcover", "listing.png"),
        _txt("店铺客服：亲，是精装的哦\n我：收到的是平装", "chat.txt"),
    )
    # 4. merchant contested: in the review queue
    p = next(take)
    d = opened(p, "not_received", p.amount_minor, "一直没有收到货。", "没收到货。", "已经发货。")
    actions.dispute_merchant_contest(
        merchant=p.merchant,
        dispute_id=d.pk,
        statement="快递显示已签收。",
        files=[_png("Signed for", "pod.png")],
    )
    # 5. under review by the agent
    p = next(take)
    d = opened(p, "duplicate", p.amount_minor, "同一笔订单被扣了两次。", "扣了两次款。", "系统只有一笔订单。")
    actions.dispute_merchant_contest(merchant=p.merchant, dispute_id=d.pk, statement="只收到一笔款项。")
    actions.dispute_review_start(reviewer=agent, dispute_id=d.pk)
    # 6. decided: partial refund by the agent, appealable
    p = next(take)
    d = opened(p, "not_as_described", p.amount_minor, "少发了一件商品。", "少了一件。", "都发齐了。")
    actions.dispute_merchant_contest(merchant=p.merchant, dispute_id=d.pk, statement="仓库记录完整。")
    actions.dispute_review_start(reviewer=agent, dispute_id=d.pk)
    actions.dispute_decide(
        reviewer=agent,
        dispute_id=d.pk,
        outcome="refund_partial",
        amount_minor=p.amount_minor // 2,
        note_customer="根据双方证据，退还缺少商品的金额。",
        note_merchant="装箱单上没有缺少的那件商品。",
    )
    # 7. appealed by the merchant after a partial refund: waits for a second reviewer (not the agent)
    p = next(take)
    d = opened(p, "not_received", p.amount_minor, "没有收到。", "没有收到。", "已经送达。")
    actions.dispute_merchant_contest(merchant=p.merchant, dispute_id=d.pk, statement="有送达照片。")
    actions.dispute_review_start(reviewer=agent, dispute_id=d.pk)
    actions.dispute_decide(
        reviewer=agent,
        dispute_id=d.pk,
        outcome="refund_partial",
        amount_minor=p.amount_minor // 2,
        note_customer="部分退款。",
        note_merchant="部分退款：照片上看不到门牌号。",
    )
    actions.dispute_appeal(
        user=p.merchant,
        dispute_id=d.pk,
        reason="补充门牌号照片。",
        files=[_png("Door number", "door.png")],
    )
    # 8. final after the appeal (the supervisor decided)
    p = next(take)
    d = opened(p, "refund_not_received", p.amount_minor, "商家答应退款但没有退。", "请退款。", "已经退过了。")
    actions.dispute_merchant_contest(merchant=p.merchant, dispute_id=d.pk, statement="已退款。")
    actions.dispute_review_start(reviewer=agent, dispute_id=d.pk)
    actions.dispute_decide(
        reviewer=agent,
        dispute_id=d.pk,
        outcome="rejected",
        note_customer="商家提供了退款凭证。",
        note_merchant="退款凭证有效。",
    )
    actions.dispute_appeal(
        user=customer,
        dispute_id=d.pk,
        reason="那张凭证是另一笔订单的。",
        files=[_png("Another order", "other-order.png")],
    )
    actions.dispute_decide(
        reviewer=supervisor,
        dispute_id=d.pk,
        outcome="refund_full",
        note_customer="复审确认凭证属于另一笔订单，全额退款。",
        note_merchant="复审：该退款凭证属于另一笔订单。",
    )
    # 9. the merchant accepted (full refund)
    p = next(take)
    d = opened(
        p,
        "subscription_canceled",
        p.amount_minor,
        "取消会员后仍被扣费。",
        "我已经取消了会员。",
        "系统显示未取消。",
    )
    actions.dispute_merchant_accept(
        merchant=p.merchant, dispute_id=d.pk, statement="核实后确认已取消，全额退款。"
    )
    # 10. withdrawn by the customer
    p = next(take)
    d = contact(p, "订单一直显示处理中。")
    actions.dispute_withdraw(customer=customer, dispute_id=d.pk, reason="已经收到了，谢谢。")
    # 11. an unauthorised payment of the English customer: urgent, open at once
    latest = Payment.objects.filter(customer=english).order_by("-created_at").first()
    if latest is not None:
        actions.dispute_open(
            customer=english,
            payment_id=latest.pk,
            reason="unauthorized",
            amount_minor=latest.amount_minor,
            description="I did not make this payment: I was travelling and my phone was with me.",
        )
    for days, dispute in enumerate(Dispute.objects.filter(customer=customer).order_by("pk")):
        _backdate(dispute, 0.1 * days)
    count = Dispute.objects.count()
    files = Evidence.objects.count()
    return (
        f"disputes: {count} in every state between the demo customers and merchants ({files} evidence files)"
    )
