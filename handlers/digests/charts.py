"""The office's weekly chart: new / answered / adopted per topic and per district, as a PNG.

matplotlib's Agg backend draws without a display (``Figure`` + ``FigureCanvasAgg``, no pyplot
and no global state). Chinese labels need a font with Chinese glyphs; matplotlib's own DejaVu
Sans has none and would draw boxes (tofu). The repository ships ``handlers/fonts/
LinkageSansSC-Regular.otf``, a subset of Noto Sans CJK SC (SIL OFL 1.1, made by
``scripts/make-cjk-font.py``), and every text of the chart is drawn with it, registered by its
file path, with DejaVu Sans behind it for anything it lacks. So ``pip install -e .`` is enough:
no system font package is needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.core.i18n import N_, translator

log = logging.getLogger("linkage.charts")

FONT_PATH = Path(__file__).parent.parent / "fonts" / "LinkageSansSC-Regular.otf"
FALLBACK_FAMILY = "DejaVu Sans"
SERIES = (("new", "#4C72B0"), ("answered", "#DD8452"), ("adopted", "#55A868"))


def _register() -> str:
    font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=str(FONT_PATH)).get_name()


FAMILY = _register()  # "Linkage Sans SC"


def cjk_font(size: float | None = None) -> font_manager.FontProperties:
    """The shipped Chinese font, DejaVu Sans as the per-glyph fallback (matplotlib ≥ 3.6)."""
    return font_manager.FontProperties(family=[FAMILY, FALLBACK_FAMILY], size=size)


@dataclass
class ChartData:
    """Rows of (label, new, answered, adopted) per topic and per district, and the period shown."""

    period: str  # e.g. "2026-06-08 – 2026-06-14"
    by_topic: list[tuple[str, int, int, int]] = field(default_factory=list)
    by_district: list[tuple[str, int, int, int]] = field(default_factory=list)
    weekly: bool = True  # the weekly statistics' chart; False: any period (the console's dashboard)


def render_office_chart(data: ChartData, path: Path, lang: str = "zh") -> Path:
    """Draw the chart to ``path`` (PNG) and return the path."""
    t = translator(lang)
    names = {"new": t.plain("new"), "answered": t.plain("answered"), "adopted": t.plain("adopted")}
    panels = [(t.plain("By topic"), data.by_topic), (t.plain("By district"), data.by_district)]
    widest = max([len(rows) for _, rows in panels] + [1])
    figure = Figure(figsize=(max(8.0, 0.55 * widest + 2), 9), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 1)
    heading = N_("Social-opinion reports this week ({period})") if data.weekly else N_("Social-opinion reports ({period})")
    figure.suptitle(t.plain(heading, period=data.period), fontproperties=cjk_font(15))
    for ax, (title, rows) in zip(axes, panels):
        ax.set_title(title, fontproperties=cjk_font(12), loc="left")
        if not rows:
            ax.text(0.5, 0.5, t.plain(N_("Nothing this week") if data.weekly else N_("Nothing in this period")), ha="center", va="center",
                    transform=ax.transAxes, fontproperties=cjk_font(12), color="#777777")
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        width = 0.8 / len(SERIES)
        positions = range(len(rows))
        for index, (key, colour) in enumerate(SERIES):
            values = [row[1 + index] for row in rows]
            bars = ax.bar([p + (index - 1) * width for p in positions], values, width, label=names[key],
                          color=colour)
            ax.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=8, padding=1)
        ax.set_xticks(list(positions))
        ax.set_xticklabels([row[0] for row in rows], rotation=30 if len(rows) > 6 else 0, ha="right"
                           if len(rows) > 6 else "center", fontproperties=cjk_font(10))
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(prop=cjk_font(10), loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)  # beside the bars, never over them
        ax.spines[["top", "right"]].set_visible(False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    log.info("chart written", extra={"path": str(path)})
    return path
