"""What the customer wrote in an email, without the quoted history under it or their signature.

Two passes. Ours first cuts at the markers Chinese and common clients put above the quoted mail or
below the new text — "在 … 写道：" (Gmail, Apple Mail), "X 于 2026年12月1日 … 写道：", "-----原始邮件-----"
and "------------------ 原始邮件 ------------------" (Outlook, Foxmail, QQ Mail), a 发件人/From block
(Outlook), "-----Original Message-----", a "-- " signature and "发自我的iPhone" / "Sent from my iPhone"
lines. Then email-reply-extractor (a maintained parser; it knows English attributions, wrapped ones,
interleaved "> " quotes and Outlook's header blocks) takes out what is left of the history. An HTML-only
mail is sanitised with nh3 and read as text, without the parts Gmail, Outlook and Thunderbird mark as
quoted; its markup is never kept."""

import re

import nh3
from email_reply_extractor import STATUS_OK, extract_new_text, split_html_parts

MAX_BODY = 5000

# a line above the quoted history: it and everything after it go
HISTORY = re.compile(
    r"^\s*("
    r"在.{0,120}写道\s*[:：]?"  # 在 2026年12月1日周二 10:00，OKPay <support@…> 写道：
    r"|.{0,120}于\s*\d{4}\s*[年/-].{0,80}写道\s*[:：]?"  # OKPay <…> 于2026年12月1日周二 10:00写道：
    r"|-{2,}\s*(原始邮件|邮件原件|原始郵件|转发邮件|轉寄郵件|Original Message|Forwarded message)\s*-{2,}"
    r"|On\s.{0,200}\swrote\s*:"  # On Mon, Nov 23, 2026 at 10:00 AM OKPay <…> wrote:
    r"|Le\s.{0,200}\sa écrit\s*:|Am\s.{0,200}\sschrieb.{0,80}:"
    r")\s*$",
    re.I,
)
# the first line of a mail header block in the text (Outlook, Foxmail): cut when another header follows
HEADER_FIRST = re.compile(r"^\s*\*?\s*(发件人|寄件者|From)\s*\*?\s*[:：]", re.I)
HEADER_NEXT = re.compile(
    r"^\s*\*?\s*(发送时间|发件时间|时间|日期|寄件日期|收件人|抄送|主题|Sent|Date|To|Cc|Subject)\s*\*?\s*[:：]",
    re.I,
)
RULE = re.compile(r"^\s*_{5,}\s*$")  # Outlook's line above its header block
SIGNATURE = re.compile(r"^--\s?$")  # "-- " (RFC 3676), and "--" where a client ate the space
TAGLINE = re.compile(
    r"^\s*(发自我的\s?\S{1,20}|发自\s?(网易邮箱|QQ邮箱|手机QQ邮箱|企业微信|\S{1,12}邮箱)\S{0,20}|从我的\s?\S{1,20}发送"
    r"|Sent from my \S+( \S+){0,3}|Sent from (Mail|Outlook|Yahoo Mail)( for \S+)?|Get Outlook for \S+)\s*$",
    re.I,
)
BLOCK_TAGS = {"p", "div", "br", "blockquote", "ul", "ol", "li", "table", "tbody", "tr", "td", "th", "pre"}
BLOCK_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "span", "font", "b", "i", "strong", "em", "a"}


def _cut(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if HISTORY.match(line) or SIGNATURE.match(line) or TAGLINE.match(line):
            return lines[:index]
        if HEADER_FIRST.match(line) and any(HEADER_NEXT.match(n) for n in lines[index + 1 : index + 6]):
            while index and (RULE.match(lines[index - 1]) or not lines[index - 1].strip()):
                index -= 1
            return lines[:index]
    return lines


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and (not lines[-1].strip() or RULE.match(lines[-1]) or TAGLINE.match(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()


def html_text(html: str) -> str:
    """The visible, unquoted text of an HTML mail: sanitised (nh3: no scripts, styles or handlers; only
    the class and id that mark quotes and signatures kept), then read as text by block."""
    clean = nh3.clean(html, tags=BLOCK_TAGS, attributes={"*": {"class", "id"}}, link_rel=None)
    return split_html_parts(clean).novel_text


def reply_text(text: str, html: str = "") -> str:
    """What the customer wrote: `text` (the text/plain body), or the HTML body's text when there is no
    plain one, without quoted history, signature and "sent from" lines; at most MAX_BODY characters."""
    body = text if text.strip() else html_text(html) if html.strip() else ""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    kept = "\n".join(_cut(body.split("\n")))
    result = extract_new_text(kept)
    if result.status == STATUS_OK:
        kept = result.text
    else:  # the parser found nothing (or failed): our cut, without "> " quoted lines
        kept = "\n".join(line for line in kept.split("\n") if not line.lstrip().startswith(">"))
    return _tidy(kept)[:MAX_BODY]
