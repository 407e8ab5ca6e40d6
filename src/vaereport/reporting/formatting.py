"""How the report prints numbers and tables: fixed decimals, typographic minus, percentages, pipe tables."""

from __future__ import annotations

from pathlib import Path


def fmt(value, digits: int = 1) -> str:
    """A number with a fixed number of decimals and a thin-space-free thousands separator."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or (isinstance(value, float) and digits == 0):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):  # rounds to zero: no sign
        text = text[1:]
    return text.replace("-", "\u2212")  # a typographic minus, as in the maths


def pct(value, digits: int = 1) -> str:
    """A fraction as a percentage; a non-breaking space keeps the number and '%' on one line."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}\u00a0%"


def sig(value, digits: int = 2) -> str:
    """A number with `digits` significant digits (small values keep theirs: 0.00046, not 0.0)."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    import math

    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return fmt(round(value, decimals), decimals) if decimals else fmt(float(value), 0)


def and_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def capitalize_first(text: str) -> str:
    """The text with its first letter in upper case and the rest untouched ('most 4/9 …' -> 'Most 4/9 …')."""
    return text[:1].upper() + text[1:]


def pct_sig(value, digits: int = 2) -> str:
    """A fraction as a percentage with `digits` significant digits, so 0.00046 reads 0.046 %, not 0.0 %."""
    return "n/a" if value is None else f"{sig(100 * value, digits)}\u00a0%"


def md_table(rows: list[dict], columns: dict[str, tuple[str, str]], best: dict | None = None,
             contenders=None) -> str:
    """A pipe table from dict rows; `columns` maps key -> (header, format spec or '' for text); numbers are
    right-aligned. `best` maps a column to min or max: that column's best value among the rows for which
    `contenders(row)` holds (default: all) is set in bold."""
    among = [r for r in rows if contenders is None or contenders(r)]
    best_value = {k: pick(r[k] for r in among if r[k] is not None) for k, pick in (best or {}).items()}

    def cell(r, k, spec):
        text = format(r[k], spec) if spec and r[k] is not None else str(r[k])
        return f"**{text}**" if k in best_value and r[k] == best_value[k] and r in among else text

    cells = [[cell(r, k, spec) for k, (_, spec) in columns.items()] for r in rows]
    # Dash counts proportional to each column's widest entry: pandoc sizes the columns from them.
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, (h, _) in enumerate(columns.values())]
    head = "| " + " | ".join(h for h, _ in columns.values()) + " |"
    align = "|" + "|".join("-" * max(3, w - 1) + ":" if spec else ":" + "-" * max(3, w - 1)
                           for w, (_, spec) in zip(widths, columns.values())) + "|"
    body = ["| " + " | ".join(c) + " |" for c in cells]
    return "\n".join([head, align, *body])


def read_csv_rows(path: Path) -> list[dict]:
    import pandas as pd

    frame = pd.read_csv(path)
    return frame.to_dict(orient="records")
