"""The console's questions report (issue 15 item 5): the figures of okpay.tickets.reports for a period,
per agent, group and channel, a daily chart (inline SVG drawn here, with a table beside it) and the same
tables as CSV. Staff only: a supervisor sees every agent, an agent the team's figures and their own."""

import csv
import io
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.console.templatetags.console_reports import duration_text
from okpay.tickets import reports

DURATION, PERCENT, COUNT = "duration", "percent", "count"


@dataclass(frozen=True)
class Column:
    attribute: str
    header: object  # a lazy translation
    kind: str = COUNT


# one list for the page's tables and the CSV
COLUMNS = [
    Column("created", pgettext_lazy("ticket report", "Created")),
    Column("solved", pgettext_lazy("ticket report", "Solved")),
    Column("first_reply_median", pgettext_lazy("ticket report", "First reply (median)"), DURATION),
    Column("first_reply_p90", pgettext_lazy("ticket report", "First reply (90th percentile)"), DURATION),
    Column("reply_within_share", pgettext_lazy("ticket report", "First replies within target"), PERCENT),
    Column("resolution_median", pgettext_lazy("ticket report", "Resolution (median)"), DURATION),
    Column("resolved_within_share", pgettext_lazy("ticket report", "Solved within target"), PERCENT),
    Column("reply_breaches", pgettext_lazy("ticket report", "Reply targets missed")),
    Column("resolution_breaches", pgettext_lazy("ticket report", "Resolution targets missed")),
    Column("csat_share", pgettext_lazy("ticket report", "Satisfied (CSAT)"), PERCENT),
    Column("rated", pgettext_lazy("ticket report", "Ratings")),
]
DAY_COLUMNS = [
    Column("created", pgettext_lazy("ticket report", "Created")),
    Column("solved", pgettext_lazy("ticket report", "Solved")),
    Column("breaches", pgettext_lazy("ticket report", "Targets missed")),
]
# the chart's colours (SVG presentation attributes: the page's CSP allows no inline style)
COLOURS = {"created": "#2563eb", "solved": "#16a34a", "breaches": "#dc2626"}


def _cell(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == DURATION:
        return duration_text(value)
    if kind == PERCENT:
        return f"{value:g}%"
    return str(value)


def _table(title: str, rows: list, first_header: str) -> dict:
    return {
        "title": title,
        "first_header": first_header,
        "rows": [(row.label, [_cell(getattr(row, c.attribute), c.kind) for c in COLUMNS]) for row in rows],
    }


def _nice_top(value: int) -> int:
    """The y axis' top: 1, 2 or 5 × a power of ten, at least `value` (and at least 4)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= max(value, 4):
                return top * step
        top *= 10


def chart(report: reports.Report) -> dict:
    """Geometry of the daily chart: created and solved as bars side by side, missed targets as a line
    with dots, in a 720 × 260 viewBox (the SVG scales to the page's width)."""
    width, height, left, right, top, bottom = 720, 260, 44, 8, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    days = report.days
    n = len(days) or 1
    peak = _nice_top(max([0, *(max(d.created, d.solved, d.breaches) for d in days)]))
    slot = plot_w / n
    bar = max(slot * 0.38, 0.6)

    def y(value: int) -> float:
        return round(top + plot_h - plot_h * value / peak, 1)

    bars, points, labels = [], [], []
    label_every = max(1, round(n / 6))
    for i, d in enumerate(days):
        x = left + slot * i
        for offset, key in ((slot * 0.1, "created"), (slot * 0.1 + bar, "solved")):
            value = getattr(d, key)
            if value:
                bars.append(
                    {
                        "x": round(x + offset, 2),
                        "y": y(value),
                        "w": round(bar, 2),
                        "h": round(top + plot_h - y(value), 1),
                        "fill": COLOURS[key],
                    }
                )
        points.append((round(x + slot / 2, 2), y(d.breaches)))
        if i % label_every == 0:
            labels.append({"x": round(x + slot / 2, 2), "text": date_format(d.day, "n/j")})
    grid = [{"y": y(v), "value": v} for v in (0, peak // 2, peak)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "baseline": top + plot_h,
        "label_y": height - 12,
        "bars": bars,
        "line": " ".join(f"{x},{py}" for x, py in points),
        "dots": [{"x": x, "y": py} for (x, py), d in zip(points, days, strict=True) if d.breaches],
        "labels": labels,
        "grid": grid,
        "colours": COLOURS,
    }


def _period_form(request, period: reports.Period | None) -> dict:
    data = request.GET
    custom = bool(str(data.get("from") or "").strip() or str(data.get("to") or "").strip())
    return {
        "presets": reports.PRESETS,
        "days": period.preset if period else None,
        "from": (period.first_day.isoformat() if period else str(data.get("from") or "")[:10])
        if custom or not period
        else "",
        "to": (period.last_day.isoformat() if period else str(data.get("to") or "")[:10])
        if custom or not period
        else "",
        "max_days": reports.MAX_DAYS,
        "today": reports.service_today().isoformat(),
    }


def _period(request):
    """The chosen period, or the page again with the reason it was refused (400)."""
    try:
        return reports.period_parse(request.GET), None
    except reports.ReportPeriodInvalid as error:
        return None, render(
            request,
            "console/ticket_reports.html",
            {"error": error.message, "form": _period_form(request, None)},
            status=400,
        )


@permission_required(roles.is_staff)
def ticket_reports(request):
    period, refusal = _period(request)
    if refusal is not None:
        return refusal
    report = reports.ticket_report(period=period, viewer=request.user)
    agents_title = _("Agents") if report.all_agents else _("You")
    context = {
        "report": report,
        "period": period,
        "form": _period_form(request, period),
        "columns": COLUMNS,
        "day_columns": DAY_COLUMNS,
        "totals": [(c, _cell(getattr(report.totals, c.attribute), c.kind)) for c in COLUMNS],
        "tables": [
            _table(agents_title, report.agents, _("Agent")),
            _table(_("Groups"), report.groups, _("Group")),
            _table(_("Channels"), report.channels, pgettext_lazy("ticket report", "Channel")),
        ],
        "chart": chart(report),
        "query": period.query(),
    }
    return render(request, "console/ticket_reports.html", context)


def _csv_text(value) -> str:
    """A name as a spreadsheet cell: text that a spreadsheet would run as a formula is quoted."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: reports.Report, kind: str) -> str:
    """The page's tables as CSV: `kind` "tables" (every row of every table, the breakdown in the first
    column) or "days". Numbers unformatted: durations in seconds, shares in percent, blank when there
    is none. Headers in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if kind == "days":
        writer.writerow([_("Date"), *(str(c.header) for c in DAY_COLUMNS)])
        for d in report.days:
            writer.writerow([d.day.isoformat(), *(getattr(d, c.attribute) for c in DAY_COLUMNS)])
        return out.getvalue()

    def header(column: Column) -> str:
        if column.kind == DURATION:
            return _("%(column)s (seconds)") % {"column": column.header}
        if column.kind == PERCENT:
            return _("%(column)s (%%)") % {"column": column.header}
        return str(column.header)

    writer.writerow([_("Breakdown"), pgettext("ticket report", "Name"), *(header(c) for c in COLUMNS)])
    sections = [
        (_("Total"), [report.totals]),
        (_("Agent"), report.agents),
        (_("Group"), report.groups),
        (pgettext_lazy("ticket report", "Channel"), report.channels),
    ]
    for section, rows in sections:
        for row in rows:
            values = [getattr(row, c.attribute) for c in COLUMNS]
            writer.writerow([str(section), _csv_text(row.label), *("" if v is None else v for v in values)])
    return out.getvalue()


@permission_required(roles.is_staff)
def ticket_reports_csv(request):
    period, refusal = _period(request)
    if refusal is not None:
        return refusal
    kind = "days" if request.GET.get("table") == "days" else "tables"
    report = reports.ticket_report(period=period, viewer=request.user)
    # a byte-order mark first: Excel then reads the file as UTF-8 (Chinese names and headers)
    response = HttpResponse("\ufeff" + report_csv(report, kind), content_type="text/csv; charset=utf-8")
    name = f"okpay-questions-{kind}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response
