"""Payout destinations: their kinds and the e-wallet providers (the Chinese banks are data:
data/cn_banks.json)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DestinationKind(models.TextChoices):
    IBAN = "iban", _("Bank account (IBAN)")
    CN_BANK_CARD = "cn_bank_card", _("Chinese bank card (bank transfer)")
    DEBIT_CARD = "debit_card", _("Debit card")
    EWALLET = "ewallet", _("E-wallet account")


class EWalletProvider(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    PAYPAL = "paypal", _("PayPal")


class CardBrand(models.TextChoices):
    UNIONPAY = "unionpay", _("UnionPay")
    VISA = "visa", _("Visa")
    MASTERCARD = "mastercard", _("Mastercard")
    OTHER = "other", _("Card")
