"""A data-quality report for people: a plain-text table, and one self-contained HTML page with charts.

The page has no script, font, image or style sheet from elsewhere (it is read on machines
without internet): inline CSS and inline SVG bar charts drawn here. Like the report, it shows
counts, rates, and field and check names only.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dedup.errors import QualityFileError
from dedup.quality.checks import CHECKS
from dedup.quality.report import CheckResult, QualityReport

__all__ = ["format_table", "render_html", "write_report"]

_TITLES = {"rnp": "RNP (population register)", "rsu": "RSU (social registry)", "file": "File"}
_DESCRIPTIONS = {c.key: c.description for c in CHECKS}
_DESCRIPTIONS["record/suspected_duplicate"] = "records beyond one per group of suspected duplicates"
# Severity of a failing share: at most _GOOD is fine, above _BAD needs attention.
_GOOD, _BAD = 0.01, 0.05
_COLOURS = {"good": "#2e7d32", "warn": "#ef8f00", "bad": "#c62828", "none": "#9e9e9e", "fill": "#1f5fa8"}


def _pct(rate: float | None, digits: int = 2) -> str:
    return "—" if rate is None else f"{100 * rate:.{digits}f} %"


def format_table(report: QualityReport) -> str:
    """The report as an aligned text table, one line per check, worst first within each category."""
    head = (
        f"{_TITLES.get(report.dataset, report.dataset)} data quality: {report.records:,} records"
        + (f" in {report.households:,} households" if report.households is not None else "")
        + f" (source: {report.source}; as of {report.settings.as_of.isoformat()})"
    )
    lines = [head, ""]
    header = ("category", "field", "check", "checked", "failed", "rate")
    rows = [(r.category, r.field, r.check, f"{r.checked:,}", f"{r.failed:,}", _pct(r.rate)) for r in _ordered(report)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    for i, row in enumerate([header, *rows]):
        cells = [
            str(v).ljust(w) if k < 3 else str(v).rjust(w) for k, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    if report.duplicates is not None:
        d = report.duplicates
        lines.append(
            f"suspected duplicates: {_pct(d.rate)} of records are excess ({d.excess_records:,}); "
            f"{d.suspected_records:,} records in groups; method: {d.method} ({d.description})"
        )
    else:
        lines.append("suspected duplicates: not estimated (the table lacks names, birth years, CIN and phone)")
    if report.not_run:
        lines.append(f"not run (columns absent): {len(report.not_run)} checks")
    return "\n".join(lines) + "\n"


def _ordered(report: QualityReport) -> list[CheckResult]:
    order = {"completeness": 0, "validity": 1, "consistency": 2, "duplicates": 3}
    return sorted(report.results, key=lambda r: (order[r.category], -(r.rate or 0.0), r.field, r.check))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _severity(rate: float | None) -> str:
    if rate is None:
        return "none"
    return "good" if rate <= _GOOD else "warn" if rate <= _BAD else "bad"


def _nice_max(value: float) -> float:
    for top in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        if value <= top:
            return top
    return 1.0


def _bar_chart(bars: Sequence[tuple[str, float | None, str]], *, top: float, title: str) -> str:
    """A horizontal bar chart as inline SVG: (label, value 0..1 or None, colour) per bar."""
    label_w, plot_w, row_h, pad_top, pad_bottom = 300, 520, 24, 34, 30
    width = label_w + plot_w + 90
    height = pad_top + row_h * len(bars) + pad_bottom
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{e(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="chart">',
        f'<text x="0" y="18" class="chart-title">{e(title)}</text>',
    ]
    for k in range(6):  # ticks at fifths of a "nice" maximum: round numbers
        x = label_w + plot_w * k / 5
        bottom = height - pad_bottom + 4
        parts.append(f'<line x1="{x:.1f}" y1="{pad_top - 6}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - pad_bottom + 20}" class="tick" text-anchor="middle">'
            f"{e(_pct(top * k / 5, 1 if top < 0.1 else 0))}</text>"
        )
    for i, (label, value, colour) in enumerate(bars):
        y = pad_top + i * row_h
        parts.append(
            f'<text x="{label_w - 10}" y="{y + row_h * 0.68:.1f}" class="label" text-anchor="end">{e(label)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + row_h * 0.68:.1f}" class="value">not applicable</text>')
            continue
        w = max(plot_w * min(value, top) / top, 1.5 if value > 0 else 0.0)
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="2" fill="{colour}">'
            f"<title>{e(label)}: {e(_pct(value))}</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + row_h * 0.68:.1f}" class="value">{e(_pct(value))}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _table(results: Sequence[CheckResult], *, completeness: bool = False) -> str:
    e = html.escape
    if completeness:
        head = "<tr><th>field</th><th>records</th><th>missing</th><th>missing %</th><th>filled %</th></tr>"
        body = "".join(
            f"<tr><td>{e(r.field)}</td><td>{r.checked:,}</td><td>{r.failed:,}</td>"
            f"<td>{_pct(r.rate)}</td><td>{_pct(None if r.rate is None else 1 - r.rate)}</td></tr>"
            for r in results
        )
    else:
        head = "<tr><th>field</th><th>check</th><th>what fails</th><th>checked</th><th>failed</th><th>rate</th></tr>"
        body = "".join(
            f'<tr><td>{e(r.field)}</td><td>{e(r.check)}</td><td class="what">{e(_DESCRIPTIONS.get(r.key, ""))}</td>'
            f"<td>{r.checked:,}</td><td>{r.failed:,}</td>"
            f'<td><span class="dot {_severity(r.rate)}"></span>{_pct(r.rate)}</td></tr>'
            for r in results
        )
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"


_CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #1d1d1f;
       background: #f4f5f7; }
header { background: #123a6b; color: #fff; padding: 24px 40px; }
header h1 { margin: 0 0 6px; font-size: 26px; }
header p { margin: 0; opacity: .85; font-size: 14px; }
main { padding: 20px 40px 40px; max-width: 1100px; }
section { background: #fff; border-radius: 8px; padding: 18px 24px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 19px; margin: 0 0 6px; color: #123a6b; }
p.note { color: #555; font-size: 13px; margin: 4px 0 12px; }
p.ok { color: #2e7d32; font-weight: bold; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; }
.card { flex: 1 1 180px; border-radius: 8px; padding: 14px 16px; background: #eef2f8; }
.card .n { font-size: 26px; font-weight: bold; }
.card .t { font-size: 13px; color: #444; }
.card.good { background: #e6f4ea; } .card.warn { background: #fff3e0; } .card.bad { background: #fdecea; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e3e3; }
th { background: #f0f2f5; }
td:nth-last-child(-n+3), th:nth-last-child(-n+3) { text-align: right; }
td.what { color: #555; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.dot.good { background: #2e7d32; } .dot.warn { background: #ef8f00; } .dot.bad { background: #c62828; }
.dot.none { background: #9e9e9e; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg .chart-title { font-size: 14px; font-weight: bold; fill: #333; }
svg .label { font-size: 12px; fill: #333; } svg .value { font-size: 12px; fill: #333; }
svg .tick { font-size: 11px; fill: #666; } svg .grid { stroke: #e0e0e0; stroke-width: 1; }
footer { color: #666; font-size: 12px; padding: 0 40px 30px; }
"""


def _section(title: str, note: str, chart: str, table: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p>{chart}{table}</section>"


def _problem_section(report: QualityReport, category: str, title: str, note: str) -> str:
    results = sorted(
        (r for r in report.results if r.category == category), key=lambda r: (-(r.rate or 0.0), r.field, r.check)
    )
    if not results:
        return _section(title, "No check of this kind applies to the columns of this table.", "", "")
    failing = [r for r in results if r.failed]
    if failing:
        top = _nice_max(max((r.rate or 0.0) for r in failing))
        bars = [(f"{r.field} · {r.check}", r.rate, _COLOURS[_severity(r.rate)]) for r in failing]
        passed = len(results) - len(failing)
        chart = _bar_chart(
            bars,
            top=top,
            title=f"Share of checked records failing ({_count(len(failing), 'check')} fail; "
            f"{passed} more found nothing)",
        )
    else:
        chart = f"<p class='ok'>No record fails any of the {_count(len(results), 'check')}.</p>"
    return _section(title, note, chart, _table(results))


def render_html(report: QualityReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing fetched)."""
    e = html.escape
    title = f"Data-quality report — {_TITLES.get(report.dataset, report.dataset)}"
    scored = [r for r in report.results if r.category in ("validity", "consistency") and r.rate is not None]
    flagged = [r for r in scored if r.rate is not None and r.rate > _GOOD]
    worst = max(scored, key=lambda r: r.rate or 0.0, default=None)
    completeness = sorted(report.by_category("completeness"), key=lambda r: (r.rate or 0.0, r.field))
    filled = [1 - r.rate for r in completeness if r.rate is not None]
    dup_rate = report.duplicates.rate if report.duplicates else None
    cards = [
        ("fill", f"{report.records:,}", "records assessed"),
        *([("fill", f"{report.households:,}", "households")] if report.households is not None else []),
        ("fill", f"{len(report.results)}", "checks run"),
        (
            "good" if not flagged else "warn" if len(flagged) < 5 else "bad",
            f"{len(flagged)}",
            f"checks failing more than {_GOOD:.0%} of records",
        ),
        (
            _severity(worst.rate) if worst else "none",
            _pct(worst.rate) if worst else "—",
            f"worst check: {worst.field} · {worst.check}" if worst and worst.failed else "no check fails",
        ),
        ("fill", _pct(sum(filled) / len(filled), 1) if filled else "—", "average completeness of the fields"),
        (_severity(dup_rate), _pct(dup_rate), "suspected duplicate records (excess)"),
    ]
    card_html = "".join(
        f'<div class="card {k if k != "fill" else ""}"><div class="n">{e(n)}</div><div class="t">{e(t)}</div></div>'
        for k, n, t in cards
    )
    sections = [f"<section><h2>Summary</h2><div class='cards'>{card_html}</div></section>"]

    if completeness:
        bars = [(r.field, None if r.rate is None else 1 - r.rate, _COLOURS["fill"]) for r in completeness]
        chart = _bar_chart(bars, top=1.0, title="Share of records with the field filled")
        note = "Empty fields. Some are empty by design (a child has no CIN, many have no phone)."
        sections.append(_section("Completeness", note, chart, _table(completeness, completeness=True)))
    sections.append(
        _problem_section(
            report,
            "validity",
            "Validity",
            "Values that are not well formed: counted over the records where the field is filled.",
        )
    )
    sections.append(
        _problem_section(
            report,
            "consistency",
            "Consistency",
            "Records that contradict themselves or their household (ages by birth year).",
        )
    )
    if report.duplicates is not None:
        d = report.duplicates
        bars = [(f"rule {r.rule}", r.excess / d.records if d.records else None, _COLOURS["fill"]) for r in d.rules] + [
            ("all rules, linked", d.rate, _COLOURS[_severity(d.rate)])
        ]
        top = _nice_max(max((v or 0.0) for _, v, _ in bars))
        chart = _bar_chart(bars, top=top, title="Excess records (records minus groups) as a share of records")
        rows = "".join(
            f"<tr><td>{e(r.rule)}</td><td>{r.records:,}</td><td>{r.groups:,}</td><td>{r.excess:,}</td></tr>"
            for r in d.rules
        )
        rows += (
            f"<tr><th>all rules, linked</th><td>{d.suspected_records:,}</td>"
            f"<td>{d.suspected_records - d.excess_records:,}</td><td>{d.excess_records:,}</td></tr>"
        )
        table = (
            "<table><thead><tr><th>rule</th><th>records in groups</th><th>groups</th><th>excess records</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
        note = f"Method: {d.method}: {d.description}."
        sections.append(_section("Suspected duplicates", note, chart, table))
    if report.not_run:
        listed = ", ".join(report.not_run)
        sections.append(
            f"<section><h2>Not run</h2><p class='note'>These checks need columns this table does not have: "
            f"{e(listed)}.</p></section>"
        )
    subtitle = (
        f"Source: {report.source} · as of {report.settings.as_of.isoformat()} · generated "
        f"{report.generated_at.isoformat()} · report format {report.format_version}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{e(title)}</h1><p>{e(subtitle)}</p></header>\n<main>\n"
        + "\n".join(sections)
        + "\n</main>\n<footer>Counts and rates only: this page holds no name, date, IDCS, CIN or phone "
        "number. Generated by hawiya.</footer>\n</body>\n</html>\n"
    )


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(report: QualityReport, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``quality.json`` and ``quality.html`` into ``out_dir`` (created), each atomically."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        json_path, html_path = folder / "quality.json", folder / "quality.html"
        _write_atomic(json_path, report.to_json())
        _write_atomic(html_path, render_html(report))
    except OSError as exc:
        raise QualityFileError(str(folder), f"cannot write the report: {exc.strerror or type(exc).__name__}") from exc
    return json_path, html_path
