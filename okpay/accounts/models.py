import zoneinfo
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import roles
from .choices import Language, Role, TokenScope


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a valid time zone."), code="invalid_time_zone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **fields):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("role", roles.SIGNUP_ROLE)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields["role"] = Role.ADMIN
        fields.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address. The role decides what they can reach."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    verification_level = models.PositiveSmallIntegerField(
        _("verification level"),
        default=0,
        choices=[(0, "L0"), (1, "L1"), (2, "L2")],
        help_text=_("L0 email + phone, L1 ID document, L2 ID + address + source of funds"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
        ]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        # Django admin access follows the role; nobody else is a superuser.
        self.is_superuser = roles.is_admin(self)
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        """Django's flag for its admin: administrators only (okpay.accounts.roles.is_admin)."""
        return roles.is_admin(self)

    @property
    def is_staff_role(self) -> bool:
        """Agents, supervisors and administrators (okpay.accounts.roles.is_staff)."""
        return roles.is_staff(self)

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class UserSession(models.Model):
    """A signed-in browser. The session row itself lives in Django's session store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}"


class LoginFailure(models.Model):
    """A failed password attempt for an email address (whether or not an account has it). Counted per
    address (the lock), per network (`network`: the IPv4 address or the IPv6 /64) and site-wide
    (the failure budgets)."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    network = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["network", "created_at"], name="accounts_loginfail_net_time")]

    def __str__(self) -> str:
        return self.email


class AccountLock(models.Model):
    """Lockout state per email address; `lock_count` drives the doubling lock time."""

    email = models.CharField(max_length=254, unique=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_count = models.PositiveIntegerField(default=0)
    last_locked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; it is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
