"""A self-contained HTML report: figures embedded as PNG data, tables, settings and versions."""

from __future__ import annotations

import base64
import html
import platform
from dataclasses import dataclass, field
from pathlib import Path

from neurodyn.report.figures import figure_png
from neurodyn.report.output import OutputFolder

__all__ = ["FIXED_POINT_HEADER", "Section", "figure_png", "fixed_point_rows", "render", "report_outputs",
           "write_report"]


@dataclass
class Section:
    """One analysis in the report: a title, a paragraph, figures ``(caption, png bytes)`` and a table."""

    title: str
    text: str
    figures: list[tuple[str, bytes]] = field(default_factory=list)
    header: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    statement: str | None = None  # a sentence the analysis establishes, shown highlighted
    notes: list[str] = field(default_factory=list)  # caveats about this section's numbers, shown below its table


def versions() -> dict[str, str]:
    """Versions of Python, neurodyn and the libraries the analyses ran on."""
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("neurodyn", "torch", "numpy", "scipy", "torchdiffeq", "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;
color:#1d2330;line-height:1.5}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #d5d9e0;padding-bottom:.2em;margin-top:1.8em}
.sub{color:#5a6475}figure{margin:1em 0;text-align:center}figure img{max-width:100%;border:1px solid #e3e6eb}
figcaption{color:#5a6475;font-size:.9em}table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
td,th{border:1px solid #d5d9e0;padding:.25em .6em;text-align:right}th{background:#f2f4f7}
td:first-child,th:first-child,td.text{text-align:left}.statement{background:#eef6ee;border-left:4px solid #3a8a3a;
padding:.5em .8em}nav a{margin-right:1em}code{background:#f2f4f7;padding:0 .25em}
.banner{background:#fff6e0;border-left:4px solid #c98a00;padding:.5em .8em}.note{color:#7a5a00;font-size:.92em}
"""


def _cell(value) -> str:
    """A table cell: plain numbers right-aligned, anything with words left-aligned."""
    text = str(value)
    try:
        float(text)
        numeric = True
    except ValueError:
        numeric = False
    return f"<td>{html.escape(text)}</td>" if numeric else f"<td class='text'>{html.escape(text)}</td>"


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(title: str, intro: str, sections: list[Section], key_numbers: list[tuple], settings: dict, *,
           banner: str | None = None) -> str:
    """The report as one HTML string (no external resources). ``key_numbers``: rows ``(quantity, value,
    reference)`` or ``(quantity, value, reference, note)``; ``banner``: a caveat shown under the title."""
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
             f"<p class='sub'>{html.escape(intro)}</p>"]
    if banner:
        parts.append(f"<p class='banner'>{html.escape(banner)}</p>")
    parts.append("<nav>" + "".join(f"<a href='#s{i}'>{html.escape(s.title)}</a>" for i, s in enumerate(sections))
                 + "<a href='#settings'>Settings and versions</a></nav>")
    header = ("quantity", "value", "reference")
    if any(len(row) > 3 and row[3] for row in key_numbers):
        header += ("note",)
    parts.append("<h2 id='key'>Key numbers</h2>" + _table(header, [tuple(r)[:len(header)] for r in key_numbers]))
    for i, s in enumerate(sections):
        parts.append(f"<h2 id='s{i}'>{html.escape(s.title)}</h2><p>{html.escape(s.text)}</p>")
        if s.statement:
            parts.append(f"<p class='statement'>{html.escape(s.statement)}</p>")
        for caption, png in s.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        if s.rows:
            parts.append(_table(s.header, s.rows))
        for note in s.notes:
            parts.append(f"<p class='note'>{html.escape(note)}</p>")
    rows = [(k, v) for k, v in settings.items()] + [(k, v) for k, v in versions().items()]
    parts.append("<h2 id='settings'>Settings and versions</h2>" + _table(("setting", "value"), rows))
    parts.append("</body></html>")
    return "\n".join(parts)


FIXED_POINT_HEADER = {"map": ("#", "stability", "unstable dim", "|μ|₁ (leading multiplier)", "residual", "starts"),
                      "flow": ("#", "stability", "unstable dim", "Re λ₁ (leading eigenvalue)", "residual", "starts")}


def fixed_point_rows(fp, limit: int = 40) -> list[tuple]:
    """One table row per fixed point of a :class:`~neurodyn.FixedPoints` result (at most ``limit``)."""
    rows = []
    for i in range(min(len(fp.fixed), limit)):
        ev = complex(fp.fixed.eigenvalues[i, 0])
        lead = abs(ev) if fp.kind == "map" else ev.real
        rows.append((i + 1, fp.fixed.stability[i], int(fp.fixed.n_unstable[i]), f"{lead:.5g}",
                     f"{float(fp.fixed.residual[i]):.1e}", int(fp.fixed.hits[i])))
    return rows


def write_report(outputs: OutputFolder, page: str, results: dict) -> Path:
    """Write one JSON file per result and ``report.html`` into the checked ``outputs``; returns the report's
    path. Every file is written whole (see :class:`~neurodyn.report.output.OutputFolder`)."""
    for name, res in results.items():
        outputs.write_json(f"{name}.json", res)
    return outputs.write("report.html", page)


def report_outputs(out: Path, result_names, *, overwrite: bool, flag: str = "overwrite=True") -> OutputFolder:
    """The output folder of a report (``report.html`` and one JSON per result), checked before any work."""
    names = tuple(f"{n}.json" for n in result_names) + ("report.html",)
    return OutputFolder(Path(out), names, overwrite=overwrite, flag=flag).check()
