"""Record the help center's video tutorials from a running demo instance (maintainers only).

Needs:
- a running OKPay demo instance (demo mode, demo accounts loaded, the task worker delivering
  emails to /demo/outbox/), e.g. a private one on port 8130:

      OKPAY_VAR_DIR=/tmp/vidvar OKPAY_SITE_URL=http://127.0.0.1:8130 .venv/bin/okpay serve --port 8130

  (after `manage.py migrate`, `okpay demo` and `manage.py collectstatic` with the same environment);
- ffmpeg (Debian: `apt-get install ffmpeg`) with libx264 and libvpx;
- Chromium (`/usr/bin/chromium`) and Playwright for Python (the dev dependency group);
- fonts-noto-cjk, so that Chinese text renders.

Usage:

    .venv/bin/python scripts/make_videos.py --base-url http://127.0.0.1:8130
    .venv/bin/python scripts/make_videos.py --only video-two-factor --lang en

For every tutorial and language it drives the real product in Chromium (1280x720), takes one
screenshot per step with the element to select outlined, and turns the screenshots into
`<lang>.mp4` (H.264), `<lang>.webm` (VP9), `<lang>.jpg` (poster) and `<lang>.vtt` (one caption per
step) under okpay/helpcenter/content/videos/<slug>/. Both languages use the same step durations, so
the caption timings match both videos. It also updates `duration_s` in the tutorial's article
meta.json when that file exists.

It changes the demo accounts only temporarily and puts them back: the password (reset tutorial),
two-factor authentication (turned off again) and signed-in sessions (signed out). The reset
tutorial sends one reset email per language; OKPay allows 3 per account per hour, so run the
script at most about three times an hour.

This script is a maintainer tool: the product and the tests never import it.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django_otp.oath import totp
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "okpay" / "helpcenter" / "content"

DEMO_PASSWORD = "okpay-demo-2026"
NEW_PASSWORD = "Harbor-lantern-2026!"  # shown only as dots; put back to DEMO_PASSWORD afterwards
USERS = {"zh-hans": "customer@example.com", "en": "customer.en@example.com"}
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
LANGUAGE_COOKIE = "okpay_language"

WIDTH, HEIGHT = 1280, 720
FPS = 5
FADE_FRAMES = 2  # cross-fade at the start of each step, taken from that step's own time
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PHONE_VIEWPORT = {"width": 360, "height": 600}
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"

HIGHLIGHT_JS = """(el) => {
  const r = el.getBoundingClientRect();
  if (r.top < 70 || r.bottom > window.innerHeight - 30) {
    el.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'});
  }
  el.setAttribute('data-video-highlight', '');
  el.style.outline = '4px solid #ff2d55';
  el.style.outlineOffset = '4px';
  el.style.boxShadow = '0 0 0 12px rgba(255, 45, 85, 0.22)';
}"""
UNHIGHLIGHT_JS = """() => {
  for (const el of document.querySelectorAll('[data-video-highlight]')) {
    el.style.outline = ''; el.style.outlineOffset = ''; el.style.boxShadow = '';
    el.removeAttribute('data-video-highlight');
  }
}"""
BLUR_JS = (
    "() => { if (document.activeElement && document.activeElement !== document.body) "
    "document.activeElement.blur(); }"
)


@dataclass(frozen=True)
class Step:
    key: str
    seconds: float
    captions: dict[str, str]


@dataclass(frozen=True)
class Tutorial:
    slug: str
    steps: tuple[Step, ...]
    poster_step: str
    record: Callable[[Recorder], None]

    @property
    def total_seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


@dataclass
class Recorder:
    """Collects one screenshot per step, in the order the tutorial's steps list them."""

    tutorial: Tutorial
    language: str
    browser: Browser
    base_url: str
    work_dir: Path
    shots: dict[str, Path] = field(default_factory=dict)
    contexts: list[BrowserContext] = field(default_factory=list)

    @property
    def email(self) -> str:
        return USERS[self.language]

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_context(self, *, phone: bool = False) -> BrowserContext:
        options = {"locale": BROWSER_LOCALES[self.language], "timezone_id": "Asia/Shanghai"}
        if phone:
            options.update(viewport=PHONE_VIEWPORT, user_agent=PHONE_UA, is_mobile=True, has_touch=True)
        else:
            options.update(viewport={"width": WIDTH, "height": HEIGHT}, user_agent=DESKTOP_UA)
        context = self.browser.new_context(**options)
        context.set_default_timeout(20_000)
        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": self.language, "url": self.base_url}])
        self.contexts.append(context)
        return context

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def _next_step(self, key: str) -> Step:
        index = len(self.shots)
        if index >= len(self.tutorial.steps) or self.tutorial.steps[index].key != key:
            expected = self.tutorial.steps[index].key if index < len(self.tutorial.steps) else "(none)"
            raise RuntimeError(f"{self.tutorial.slug}: step {key!r} recorded, {expected!r} expected")
        return self.tutorial.steps[index]

    def shot(self, key: str, page: Page, highlight: Locator | list[Locator] | None = None) -> None:
        """Screenshot the page as step `key`, with the element(s) to look at outlined."""
        step = self._next_step(key)
        page.wait_for_load_state("load")
        page.evaluate(BLUR_JS)
        for locator in [highlight] if isinstance(highlight, Locator) else highlight or []:
            locator.first.evaluate(HIGHLIGHT_JS)
        page.wait_for_timeout(250)
        path = self.work_dir / f"{len(self.shots) + 1:02d}-{step.key}.png"
        page.screenshot(path=path)
        page.evaluate(UNHIGHLIGHT_JS)
        self.shots[key] = path

    def phone_shot(self, key: str, page: Page, label: str, highlight: Locator | None = None) -> None:
        """Screenshot a phone-sized page and place it, labelled, on a 1280x720 frame."""
        self.shot(key, page, highlight)
        path = self.shots[key]
        screen = Image.open(path).convert("RGB")
        frame = Image.new("RGB", (WIDTH, HEIGHT), "#e8edf5")
        draw = ImageDraw.Draw(frame)
        pad = 14
        x = (WIDTH - screen.width) // 2 + 140
        y = (HEIGHT - screen.height) // 2
        draw.rounded_rectangle(
            (x - pad, y - pad - 26, x + screen.width + pad, y + screen.height + pad + 26),
            radius=36,
            fill="#1b1f2b",
        )
        draw.rounded_rectangle(
            (x + screen.width // 2 - 40, y - pad - 14, x + screen.width // 2 + 40, y - pad - 8),
            radius=3,
            fill="#3a4050",
        )
        frame.paste(screen, (x, y))
        font = ImageFont.truetype(CJK_FONT, 40)
        lines = label.split("\n")
        text_x = 120
        text_y = HEIGHT // 2 - 30 * len(lines)
        for i, line in enumerate(lines):
            draw.text(
                (text_x, text_y + i * 60),
                line,
                font=font if i == 0 else ImageFont.truetype(CJK_FONT, 30),
                fill="#1b1f2b" if i == 0 else "#4a5165",
            )
        frame.save(path)


# --- shared flows ---------------------------------------------------------------------------------


def submit_button(page: Page) -> Locator:
    return page.locator("main form button[type=submit]").last


def fill_sign_in(page: Page, email: str, password: str) -> None:
    page.locator("#id_email").fill(email)
    page.locator("#id_password").fill(password)


def sign_in(page: Page, rec: Recorder, password: str = DEMO_PASSWORD, *, filled: bool = False) -> None:
    """Sign in as the tutorial's user; `filled` when the sign-in form is already open and filled."""
    if not filled:
        page.goto(rec.url("/accounts/login/"))
        fill_sign_in(page, rec.email, password)
    submit_button(page).click()
    page.wait_for_load_state("load")
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"could not sign in as {rec.email} (wrong password or sign-in paused)")
    if "/accounts/2fa/" in page.url:
        raise RuntimeError(
            f"{rec.email} has two-factor authentication on; turn it off (or delete its TOTP "
            "device in /admin/) before recording"
        )


def sign_out(page: Page) -> None:
    menu = page.locator("details.account-menu")
    if menu.count() == 0:
        return
    menu.locator("summary").click()
    menu.locator("form button[type=submit]").click()
    page.wait_for_load_state("load")


def open_account_menu(page: Page) -> Locator:
    page.locator("details.account-menu summary").click()
    return page.locator("details.account-menu a[href$='/accounts/security/']")


def expect_message(page: Page) -> Locator:
    message = page.locator("main .messages .message").first
    message.wait_for()
    return message


# --- 1. reset password ----------------------------------------------------------------------------


def outbox_latest(page: Page, rec: Recorder) -> int:
    """Number of the newest demo-outbox email to the tutorial's user (0 when none)."""
    page.goto(rec.url("/demo/outbox/"))
    item = page.locator("main .list-item").filter(has_text=rec.email).first
    if item.count() == 0:
        return 0
    href = item.locator("a").first.get_attribute("href") or ""
    match = re.search(r"/outbox/(\d+)/", href)
    return int(match.group(1)) if match else 0


def wait_for_email(page: Page, rec: Recorder, after: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox_latest(page, rec) > after:
            return
        time.sleep(0.7)
    raise RuntimeError(
        f"no reset email for {rec.email} in the demo outbox: is the task worker running, or "
        "is the account over its limit of 3 reset emails an hour?"
    )


def put_password_back(rec: Recorder) -> None:
    """Sign in with the tutorial's new password (if it is the current one) and change it back."""
    page = rec.new_context().new_page()
    page.goto(rec.url("/accounts/login/"))
    fill_sign_in(page, rec.email, NEW_PASSWORD)
    submit_button(page).click()
    page.wait_for_load_state("load")
    if "/accounts/login/" in page.url:
        return  # the reset did not happen (or was already undone)
    page.goto(rec.url("/accounts/password/change/"))
    page.locator("#id_current_password").fill(NEW_PASSWORD)
    page.locator("#id_new_password1").fill(DEMO_PASSWORD)
    page.locator("#id_new_password2").fill(DEMO_PASSWORD)
    submit_button(page).click()
    page.wait_for_url("**/accounts/security/")
    sign_out(page)
    print(f"    password of {rec.email} is {DEMO_PASSWORD} again")


def record_reset_password(rec: Recorder) -> None:
    helper = rec.new_context().new_page()
    before = outbox_latest(helper, rec)
    page = rec.new_context().new_page()
    try:
        page.goto(rec.url("/accounts/login/"))
        rec.shot("forgot-link", page, page.locator("main .form-aside a"))
        page.locator("main .form-aside a").click()
        page.wait_for_url("**/accounts/password/reset/")
        page.locator("#id_email").fill(rec.email)
        rec.shot("enter-email", page, submit_button(page))
        submit_button(page).click()
        page.wait_for_url("**/accounts/password/reset/sent/")
        rec.shot("check-email", page, page.locator("main h1"))
        wait_for_email(helper, rec, before)
        page.locator("main a[href$='/demo/outbox/']").click()
        page.wait_for_url("**/demo/outbox/")
        item = page.locator("main .list-item").filter(has_text=rec.email).first
        rec.shot("open-email", page, item)
        item.locator("a").first.click()
        page.wait_for_load_state("load")
        link = page.locator("main a[href*='/accounts/password/reset/']").first
        rec.shot("reset-link", page, link)
        link.click()
        page.wait_for_selector("#id_new_password1")
        page.locator("#id_new_password1").fill(NEW_PASSWORD)
        page.locator("#id_new_password2").fill(NEW_PASSWORD)
        rec.shot("new-password", page, submit_button(page))
        submit_button(page).click()
        page.wait_for_url("**/accounts/password/reset/done/")
        rec.shot("changed", page, page.locator("main a.button"))
        page.locator("main a.button").click()
        page.wait_for_url("**/accounts/login/")
        fill_sign_in(page, rec.email, NEW_PASSWORD)
        rec.shot("sign-in-new", page, submit_button(page))
        submit_button(page).click()
        page.wait_for_load_state("load")
        if "/accounts/login/" in page.url:
            raise RuntimeError("signing in with the new password failed")
        rec.shot("signed-in", page, page.locator("details.account-menu summary"))
        sign_out(page)
    finally:
        put_password_back(rec)


# --- 2. two-factor authentication -----------------------------------------------------------------


def totp_code(secret_b32: str) -> str:
    # A fresh code that stays valid for a few more seconds.
    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.5)
    return f"{totp(base64.b32decode(secret_b32)):06d}"


def turn_off_two_factor(page: Page, rec: Recorder) -> None:
    page.goto(rec.url("/accounts/2fa/disable/"))
    page.locator("#id_password").fill(DEMO_PASSWORD)
    submit_button(page).click()
    page.wait_for_url("**/accounts/security/")
    print(f"    two-factor authentication of {rec.email} is off again")


def record_two_factor(rec: Recorder) -> None:
    page = rec.new_context().new_page()
    page.goto(rec.url("/accounts/login/"))
    fill_sign_in(page, rec.email, DEMO_PASSWORD)
    rec.shot("sign-in", page, submit_button(page))
    sign_in(page, rec, filled=True)
    turned_on = False
    try:
        rec.shot("menu", page, open_account_menu(page))
        page.locator("details.account-menu a[href$='/accounts/security/']").click()
        page.wait_for_url("**/accounts/security/")
        turn_on = page.locator("main a[href$='/accounts/2fa/setup/']")
        rec.shot("turn-on", page, turn_on)
        turn_on.click()
        page.wait_for_url("**/accounts/2fa/setup/")
        rec.shot("scan-qr", page, page.locator("main img.qr"))
        secret = page.locator("#totp-secret").inner_text().strip()
        rec.shot("type-key", page, page.locator("#totp-secret"))
        page.locator("#id_code").fill(totp_code(secret))
        rec.shot("enter-code", page, submit_button(page))
        submit_button(page).click()
        page.wait_for_url("**/accounts/security/")
        turned_on = True
        expect_message(page)
        panel = page.locator("main section.panel").filter(
            has=page.locator("a[href$='/accounts/2fa/disable/']")
        )
        rec.shot("is-on", page, panel)
        rec.shot("turn-off-hint", page, page.locator("main a[href$='/accounts/2fa/disable/']"))
        # The next sign-in, in another browser, asks for a code after the password.
        other = rec.new_context().new_page()
        other.goto(rec.url("/accounts/login/"))
        fill_sign_in(other, rec.email, DEMO_PASSWORD)
        submit_button(other).click()
        other.wait_for_url("**/accounts/2fa/verify/**")
        rec.shot("next-sign-in", other, other.locator("#id_code"))
        sign_out(other)
    finally:
        if turned_on:
            turn_off_two_factor(page, rec)
        sign_out(page)


# --- 3. sign out other devices --------------------------------------------------------------------

PHONE_LABELS = {
    "phone": {"zh-hans": "另一台设备\n手机：已登录", "en": "Another device\nPhone: signed in"},
    "phone-signed-out": {
        "zh-hans": "另一台设备\n手机：已退出登录",
        "en": "Another device\nPhone: signed out",
    },
}


def record_sign_out_devices(rec: Recorder) -> None:
    # Start from one session only: sign in once and end every other session.
    cleanup = rec.new_context().new_page()
    sign_in(cleanup, rec)
    cleanup.goto(rec.url("/accounts/security/"))
    cleanup.locator("main form[action$='/sessions/end-others/'] button").click()
    cleanup.wait_for_url("**/accounts/security/")
    sign_out(cleanup)

    phone = rec.new_context(phone=True).new_page()
    sign_in(phone, rec)
    phone.goto(rec.url("/"))
    rec.phone_shot(
        "phone", phone, PHONE_LABELS["phone"][rec.language], phone.locator("details.account-menu summary")
    )

    page = rec.new_context().new_page()
    page.goto(rec.url("/accounts/login/"))
    fill_sign_in(page, rec.email, DEMO_PASSWORD)
    rec.shot("sign-in", page, submit_button(page))
    sign_in(page, rec, filled=True)
    try:
        rec.shot("menu", page, open_account_menu(page))
        page.locator("details.account-menu a[href$='/accounts/security/']").click()
        page.wait_for_url("**/accounts/security/")
        sessions = page.locator("main section.panel").filter(
            has=page.locator("form[action$='/sessions/end-others/']")
        )
        rec.shot("session-list", page, sessions.locator("ul.list"))
        end_others = sessions.locator("form[action$='/sessions/end-others/'] button")
        rec.shot("sign-out-others", page, end_others)
        end_others.click()
        page.wait_for_url("**/accounts/security/")
        message = expect_message(page)
        sessions = page.locator("main section.panel").filter(
            has=page.locator("form[action$='/sessions/end-others/']")
        )
        if sessions.locator("ul.list > li").count() != 1:
            raise RuntimeError("more than one session is left after signing out the others")
        # Show the message and the shortened list together.
        page.evaluate("() => window.scrollTo({top: 0, behavior: 'instant'})")
        rec.shot("done", page, message)
        phone.goto(rec.url("/accounts/security/"))
        phone.wait_for_url("**/accounts/login/**")
        rec.phone_shot(
            "phone-signed-out",
            phone,
            PHONE_LABELS["phone-signed-out"][rec.language],
            phone.locator("main h1"),
        )
        page.goto(rec.url("/accounts/security/"))
        rec.shot(
            "advice",
            page,
            [
                page.locator("main a[href$='/accounts/password/change/']"),
                page.locator("main a[href$='/accounts/2fa/setup/']"),
            ],
        )
    finally:
        sign_out(page)


# --- the tutorials --------------------------------------------------------------------------------


def _step(key: str, seconds: float, zh: str, en: str) -> Step:
    return Step(key, seconds, {"zh-hans": zh, "en": en})


MENU_STEP = _step(
    "menu",
    4.0,
    "点击右上角的账户名称，在菜单中选择“安全设置”。",
    "Select your name at the top right, then choose “Security” in the menu.",
)

TUTORIALS = (
    Tutorial(
        "video-reset-password",
        (
            _step(
                "forgot-link",
                3.6,
                "在登录页，点击密码框下方的“忘记密码?”。",
                "On the sign-in page, select “Forgot password?” below the password field.",
            ),
            _step(
                "enter-email",
                4.0,
                "输入你的 OKPay 账户邮箱，然后点击“发送重置链接”。",
                "Enter the email address of your OKPay account, then select “Send reset link”.",
            ),
            _step(
                "check-email",
                4.0,
                "页面提示请查收邮件。重置链接 20 分钟内有效，且只能使用一次。",
                "You are asked to check your email. The link works once, for 20 minutes.",
            ),
            _step(
                "open-email",
                4.4,
                "打开你的邮箱，找到 OKPay 发来的重置密码邮件。（本演示用“演示发件箱”代替你的邮箱。）",
                "Open your mailbox and find the password reset email from OKPay. "
                "(Here the demo outbox stands in for your mailbox.)",
            ),
            _step("reset-link", 3.6, "点击邮件中的重置链接。", "Select the reset link in the email."),
            _step(
                "new-password",
                4.0,
                "输入两次新密码（至少 8 位，不要用常见密码），点击“设置新密码”。",
                "Enter your new password twice (at least 8 characters, not a common one), "
                "then select “Set new password”.",
            ),
            _step(
                "changed",
                4.0,
                "密码已修改。为了安全，所有设备都已退出登录。点击“登录”。",
                "Your password has been changed and every device has been signed out. Select “Sign in”.",
            ),
            _step(
                "sign-in-new",
                3.6,
                "输入邮箱和新密码，重新登录。",
                "Sign in again with your email and the new password.",
            ),
            _step(
                "signed-in",
                3.6,
                "登录成功！以后请使用新密码登录。",
                "You're signed in. From now on, use your new password.",
            ),
        ),
        "forgot-link",
        record_reset_password,
    ),
    Tutorial(
        "video-two-factor",
        (
            _step("sign-in", 3.6, "登录你的 OKPay 账户。", "Sign in to your OKPay account."),
            MENU_STEP,
            _step(
                "turn-on",
                4.0,
                "在“双重验证”一栏，状态显示“未开启”。点击“开启”。",
                "Under “Two-factor authentication” the status is “Off”. Select “Turn on”.",
            ),
            _step(
                "scan-qr",
                4.4,
                "在手机上打开身份验证器应用（如 Google Authenticator、Microsoft Authenticator），"
                "扫描二维码。",
                "Open an authenticator app on your phone (such as Google Authenticator or Microsoft "
                "Authenticator) "
                "and scan the QR code.",
            ),
            _step(
                "type-key",
                4.0,
                "无法扫码时，也可以在应用中手动输入这串密钥。",
                "Can't scan it? Type this key into the app instead.",
            ),
            _step(
                "enter-code",
                4.0,
                "输入应用中显示的 6 位验证码，点击“开启”。",
                "Enter the 6-digit code the app shows, then select “Turn on”.",
            ),
            _step("is-on", 3.6, "完成！双重验证已开启。", "Done: two-factor authentication is on."),
            _step(
                "turn-off-hint",
                4.0,
                "以后如需关闭，也在这里点击“关闭”，并输入当前密码确认。",
                "To turn it off later, select “Turn off” here and confirm with your current password.",
            ),
            _step(
                "next-sign-in",
                4.4,
                "从此每次登录，输入密码后还要输入应用中的 6 位验证码。",
                "From now on, every sign-in asks for the 6-digit code from your app after your password.",
            ),
        ),
        "scan-qr",
        record_two_factor,
    ),
    Tutorial(
        "video-sign-out-devices",
        (
            _step(
                "phone",
                4.0,
                "假设你还在另一台设备（例如手机）上登录着 OKPay。",
                "Say you are also signed in to OKPay on another device, such as your phone.",
            ),
            _step(
                "sign-in",
                3.6,
                "在电脑上登录你的 OKPay 账户。",
                "Sign in to your OKPay account on your computer.",
            ),
            MENU_STEP,
            _step(
                "session-list",
                4.8,
                "“登录设备”列出了登录着你账户的所有设备和浏览器，以及 IP 地址和最近活跃时间。"
                "标有“本机”的就是你正在使用的设备。",
                "“Where you are signed in” lists every device and browser signed in to your account, with "
                "its IP "
                "address and last activity. “This device” is the one you are using.",
            ),
            _step(
                "sign-out-others",
                4.0,
                "发现不认识的设备，或想让其他设备全部下线？点击“退出其他所有登录设备”。",
                "See a device you don't recognise, or want all others signed out? "
                "Select “Sign out all other sessions”.",
            ),
            _step(
                "done",
                4.0,
                "页面提示其他设备已退出登录，列表里只剩下本机。",
                "A message confirms that the other sessions were signed out; only this device is left.",
            ),
            _step(
                "phone-signed-out",
                4.0,
                "另一台设备已被退出登录，必须重新输入密码才能继续使用。",
                "The other device is signed out and has to sign in again with the password.",
            ),
            _step(
                "advice",
                4.4,
                "如果怀疑账户被盗，请同时修改密码，并开启双重验证。",
                "If you think someone else got into your account, also change your password "
                "and turn on two-factor authentication.",
            ),
        ),
        "session-list",
        record_sign_out_devices,
    ),
)


# --- frames, videos, captions ---------------------------------------------------------------------


def vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_vtt(tutorial: Tutorial, language: str, path: Path) -> None:
    lines = ["WEBVTT", ""]
    start = 0.0
    for number, step in enumerate(tutorial.steps, 1):
        end = start + step.seconds
        lines += [str(number), f"{vtt_time(start)} --> {vtt_time(end)}", step.captions[language], ""]
        start = end
    path.write_text("\n".join(lines), encoding="utf-8")


def write_frames(tutorial: Tutorial, shots: dict[str, Path], frames_dir: Path) -> int:
    """One PNG per video frame at FPS, cross-fading into each step. Returns the frame count."""
    frames_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    previous: Image.Image | None = None
    for step in tutorial.steps:
        n_frames = round(step.seconds * FPS)
        if abs(n_frames - step.seconds * FPS) > 1e-6:
            raise ValueError(f"{step.key}: {step.seconds}s is not a whole number of frames at {FPS} fps")
        image = Image.open(shots[step.key]).convert("RGB")
        if image.size != (WIDTH, HEIGHT):
            image = image.resize((WIDTH, HEIGHT))
        still = frames_dir / f"still-{step.key}.png"
        image.save(still)
        for i in range(n_frames):
            target = frames_dir / f"{count:05d}.png"
            if previous is not None and i < FADE_FRAMES:
                Image.blend(previous, image, (i + 1) / (FADE_FRAMES + 1)).save(target)
            else:
                target.hardlink_to(still)
            count += 1
        previous = image
    return count


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def encode(frames_dir: Path, out_dir: Path, language: str) -> None:
    source = ["-framerate", str(FPS), "-i", str(frames_dir / "%05d.png")]
    ffmpeg(
        *source,
        "-c:v",
        "libx264",
        "-preset",
        "slow",
        "-tune",
        "stillimage",
        "-crf",
        "30",
        "-g",
        str(FPS * 5),
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(FPS),
        "-movflags",
        "+faststart",
        str(out_dir / f"{language}.mp4"),
    )
    ffmpeg(
        *source,
        "-c:v",
        "libvpx-vp9",
        "-b:v",
        "0",
        "-crf",
        "42",
        "-deadline",
        "good",
        "-cpu-used",
        "2",
        "-row-mt",
        "1",
        "-g",
        str(FPS * 5),
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(FPS),
        str(out_dir / f"{language}.webm"),
    )


def write_poster(shot: Path, path: Path, max_bytes: int = 150_000) -> None:
    image = Image.open(shot).convert("RGB")
    for quality in (85, 80, 75, 70, 60, 50):
        image.save(path, "JPEG", quality=quality, optimize=True, progressive=True)
        if path.stat().st_size <= max_bytes:
            return
    raise RuntimeError(f"poster {path} stays over {max_bytes} bytes")


def update_meta(tutorial: Tutorial) -> None:
    meta_path = CONTENT / "articles" / tutorial.slug / "meta.json"
    if not meta_path.exists():
        return
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    duration = round(tutorial.total_seconds)
    if meta.get("duration_s") != duration:
        meta["duration_s"] = duration
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def make(
    tutorial: Tutorial, language: str, browser: Browser, base_url: str, out_root: Path, work_root: Path
) -> None:
    print(f"  {tutorial.slug} [{language}]")
    work_dir = work_root / tutorial.slug / language
    work_dir.mkdir(parents=True, exist_ok=True)
    rec = Recorder(tutorial, language, browser, base_url, work_dir)
    try:
        tutorial.record(rec)
    finally:
        rec.close()
    missing = [step.key for step in tutorial.steps if step.key not in rec.shots]
    if missing:
        raise RuntimeError(f"{tutorial.slug} [{language}]: no screenshot for {missing}")
    out_dir = out_root / tutorial.slug
    out_dir.mkdir(parents=True, exist_ok=True)
    frames_dir = work_dir / "frames"
    if frames_dir.exists():
        shutil.rmtree(frames_dir)
    write_frames(tutorial, rec.shots, frames_dir)
    encode(frames_dir, out_dir, language)
    write_poster(rec.shots[tutorial.poster_step], out_dir / f"{language}.jpg")
    write_vtt(tutorial, language, out_dir / f"{language}.vtt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8130", help="the running demo instance")
    parser.add_argument(
        "--only",
        action="append",
        choices=[t.slug for t in TUTORIALS],
        help="record only this tutorial (repeatable)",
    )
    parser.add_argument("--lang", action="append", choices=list(USERS), help="record only this language")
    parser.add_argument("--out-dir", type=Path, default=CONTENT / "videos")
    parser.add_argument("--keep-screenshots", type=Path, help="keep the step screenshots in this folder")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    if shutil.which("ffmpeg") is None:
        parser.error("ffmpeg is not installed (Debian: apt-get install ffmpeg)")
    base_url = args.base_url.rstrip("/")
    tutorials = [t for t in TUTORIALS if not args.only or t.slug in args.only]
    languages = args.lang or list(USERS)
    work_root = args.keep_screenshots or Path(tempfile.mkdtemp(prefix="okpay-videos-"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            try:
                for tutorial in tutorials:
                    for language in languages:
                        make(tutorial, language, browser, base_url, args.out_dir, work_root)
                    update_meta(tutorial)
                    print(f"    {tutorial.total_seconds:.1f} s, {len(tutorial.steps)} steps")
            finally:
                browser.close()
    finally:
        if args.keep_screenshots is None:
            shutil.rmtree(work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
