#!/usr/bin/python3
"""Draws benchmarks/RESULTS.md's tables as the small charts the README shows.

    benchmarks/plot.py            # rewrite benchmarks/figures/*.svg
    benchmarks/plot.py --check    # fail if a figure differs from what the data gives

The data stays in RESULTS.md, next to the command that produced it. A table is
drawn when the line before it is a marker (an HTML comment, invisible when the
Markdown is rendered):

    <!-- plot: download; title: HTTPS into /dev/shm, 1 GiB; unit: s;
         labels: contender; values: seconds; lower: better -->
    | contender | seconds | MiB/s |
    | --- | --- | --- |
    | curl CLI, no hash | 1.767 | 579.5 |

Keys: `plot` names the figure (figures/NAME.svg; several tables may share a name,
the first one's title wins and each later one adds bars); `labels` the column(s)
that name a bar (`a + b` joins two; an empty cell repeats the one above);
`values` the column(s) drawn (one bar series each); `unit` the axis unit;
`scale: log` a logarithmic axis; `lower`/`higher: better` a note on the axis.
A cell's value is the first number in it ("0.96 ms", "**1.73x**", "10.6–10.7 ms");
an empty cell or "—" draws no bar.

Figures are SVG: text, a few kilobytes, reviewable as a diff, and rendered by
GitHub in the README; they are written deterministically (no dates, fixed ids),
so `--check` can tell a stale figure from a current one.

Needs matplotlib (Debian: python3-matplotlib; tools/setup.sh installs it).
"""

import argparse
import io
import pathlib
import re
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent
RESULTS = ROOT / "RESULTS.md"
FIGURES = ROOT / "figures"

MARKER = re.compile(r"<!--\s*(plot:.*?)-->", re.S)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class PlotError(Exception):
    pass


def parse_marker(text, line_no):
    spec = {}
    for part in text.split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        key, sep, value = part.partition(":")
        if not sep:
            raise PlotError(f"RESULTS.md:{line_no}: '{part}' in a plot marker is not 'key: value'")
        spec[key.strip()] = value.strip()
    for key in ("plot", "labels", "values"):
        if key not in spec:
            raise PlotError(f"RESULTS.md:{line_no}: plot marker without '{key}:'")
    unknown = set(spec) - {"plot", "title", "unit", "labels", "values", "scale", "lower",
                           "higher"}
    if unknown:
        raise PlotError(f"RESULTS.md:{line_no}: unknown plot marker keys {sorted(unknown)}")
    return spec


def split_row(line):
    cells = line.strip().strip("|").split("|")
    return [c.strip() for c in cells]


def column(header, name, line_no):
    for i, cell in enumerate(header):
        if cell.lower() == name.lower():
            return i
    raise PlotError(f"RESULTS.md:{line_no}: the table has no column '{name}' (it has {header})")


def number(cell, line_no):
    if cell in ("", "—", "-", "n/a"):
        return None  # not measured: no bar
    match = NUMBER.search(cell.replace(",", ""))
    if not match:
        raise PlotError(f"RESULTS.md:{line_no}: no number in cell '{cell}'")
    return float(match.group())


def read_tables(text):
    """Yields (spec, labels, {series: values}) for each marked table."""
    lines = text.splitlines()
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for match in MARKER.finditer(text):
        marker_line = text.count("\n", 0, match.start()) + 1
        spec = parse_marker(match.group(1), marker_line)
        i = text.count("\n", 0, match.end()) + 1  # the line after the marker
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].lstrip().startswith("|"):
            raise PlotError(f"RESULTS.md:{marker_line}: plot marker not followed by a table")
        header = split_row(lines[i])
        label_cols = [column(header, n.strip(), i + 1) for n in spec["labels"].split("+")]
        value_names = [n.strip() for n in spec["values"].split(",")]
        value_cols = [column(header, n, i + 1) for n in value_names]
        labels, series = [], {n: [] for n in value_names}
        previous = [""] * len(label_cols)
        i += 2  # header and separator
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            row = split_row(lines[i])
            if len(row) != len(header):
                raise PlotError(f"RESULTS.md:{i + 1}: {len(row)} cells, the header has "
                                f"{len(header)}")
            parts = []
            for k, col in enumerate(label_cols):
                cell = row[col].replace("`", "").replace("*", "") or previous[k]
                previous[k] = cell
                parts.append(cell)
            labels.append(", ".join(p for p in parts if p))
            for name, col in zip(value_names, value_cols):
                series[name].append(number(row[col], i + 1))
            i += 1
        if not labels:
            raise PlotError(f"RESULTS.md:{marker_line}: the marked table has no rows")
        yield spec, labels, series


def collect(text):
    figures = {}
    for spec, labels, series in read_tables(text):
        figure = figures.setdefault(spec["plot"], {"spec": spec, "labels": [], "series": {}})
        start = len(figure["labels"])
        figure["labels"].extend(labels)
        for name, values in series.items():
            column_values = figure["series"].setdefault(name, [None] * start)
            column_values.extend(values)
        for values in figure["series"].values():
            values.extend([None] * (len(figure["labels"]) - len(values)))
    return figures


def draw(figure):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.fonttype": "none",  # text stays text: small and diffable
        "svg.hashsalt": "torchhub-cpp",  # fixed element ids
        "font.size": 9,
        "font.family": "DejaVu Sans",
    })
    spec, labels, series = figure["spec"], figure["labels"], figure["series"]
    n_series = len(series)
    wrapped = [textwrap.fill(label, 40) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    height = 1.1 + max(0.15 * lines, 0.17 * len(labels) * n_series)
    fig, ax = plt.subplots(figsize=(6.4, height))
    bar = 0.8 / n_series
    positions = range(len(labels))
    colors = ["#3b6ea8", "#d08c34", "#5a9e5a", "#a64d79"]
    for k, (name, values) in enumerate(series.items()):
        ys = [p + (k - (n_series - 1) / 2) * bar for p in positions]
        drawn = [(y, v) for y, v in zip(ys, values) if v is not None]
        ax.barh([y for y, _ in drawn], [v for _, v in drawn], height=bar * 0.9,
                color=colors[k % len(colors)], label=name if n_series > 1 else None)
        for y, v in drawn:
            ax.annotate(f"{v:g}", (v, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
    ax.set_yticks(list(positions))
    ax.set_yticklabels(wrapped)
    ax.invert_yaxis()
    if spec.get("scale") == "log":
        ax.set_xscale("log")
    unit = spec.get("unit", "")
    note = ""
    if "lower" in spec:
        note = " (lower is better)"
    elif "higher" in spec:
        note = " (higher is better)"
    ax.set_xlabel(f"{unit}{note}".strip())
    largest = max(v for values in series.values() for v in values if v is not None)
    if spec.get("scale") == "log":
        ax.set_xlim(right=largest * 4)
    else:
        ax.set_xlim(0, largest * 1.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if n_series > 1:
        fig.legend(fontsize=8, frameon=False, loc="lower right", ncol=n_series)
    fig.suptitle(textwrap.fill(spec.get("title", spec["plot"]), 80), x=0.01, ha="left",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.04 if n_series > 1 else 0, 1, 1))
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with benchmarks/figures instead of writing")
    args = parser.parse_args()
    try:
        figures = collect(RESULTS.read_text(encoding="utf-8"))
    except PlotError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    if not figures:
        print("plot.py: no '<!-- plot: ... -->' markers in RESULTS.md", file=sys.stderr)
        return 2
    stale = []
    wanted = {f"{name}.svg" for name in figures}
    for name, figure in sorted(figures.items()):
        svg = draw(figure)
        path = FIGURES / f"{name}.svg"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != svg:
                stale.append(path.name)
        else:
            FIGURES.mkdir(exist_ok=True)
            path.write_text(svg, encoding="utf-8")
            print(f"plot.py: wrote {path.relative_to(ROOT.parent)}")
    extra = sorted(p.name for p in FIGURES.glob("*.svg") if p.name not in wanted) \
        if FIGURES.exists() else []
    if args.check:
        if stale or extra:
            print("plot.py: figures out of date with RESULTS.md: "
                  f"{', '.join(stale + extra)}; run benchmarks/plot.py", file=sys.stderr)
            return 1
        print(f"plot.py: {len(figures)} figures match RESULTS.md")
    else:
        for name in extra:
            (FIGURES / name).unlink()
            print(f"plot.py: removed benchmarks/figures/{name} (no table draws it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
