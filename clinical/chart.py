"""The scores of one measure over time as the geometry of a server-rendered SVG (no script, no inline style:
colours come from classes in static/css/clinical.css, which the strict CSP allows)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from clinical.instruments import INSTRUMENTS
from clinical.selectors_measures import ScorePoint

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 120, 12, 28  # the right margin holds the band names


@dataclass(frozen=True)
class ChartBand:
    key: str
    label: str
    y: float
    height: float
    label_y: float


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label_y: float
    total: int
    band: str
    when: str


@dataclass(frozen=True)
class Chart:
    instrument: str
    name: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    plot_top: int
    plot_width: int
    tick_x: int
    band_label_x: int
    bands: list[ChartBand]
    points: list[ChartPoint]
    polyline: str
    ticks: list[tuple[float, float, int]]
    summary: str


def _y(score: float, max_score: int) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / max_score), 1)


def outcome_chart(*, instrument: str, points: list[ScorePoint]) -> Chart:
    spec = INSTRUMENTS[instrument]
    top = spec.max_score
    bands = []
    for band in spec.bands:
        upper, lower = _y(band.high + 1 if band.high < top else top, top), _y(band.low, top)
        bands.append(
            ChartBand(band.key, str(band.label), upper, round(lower - upper, 1), round((upper + lower) / 2 + 4, 1))
        )
    readable = [p for p in points if p.total is not None]
    plot_width = WIDTH - LEFT - RIGHT
    drawn = []
    if readable:
        first, last = readable[0].response.submitted_at, readable[-1].response.submitted_at
        span = (last - first).total_seconds()
        for p in readable:
            offset = (p.response.submitted_at - first).total_seconds() / span if span else 0.5
            drawn.append(
                ChartPoint(
                    x=round(LEFT + plot_width * offset, 1),
                    y=_y(p.total, top),
                    label_y=_y(p.total, top) - 8,
                    total=p.total,
                    band=p.band_label,
                    when=formats.date_format(p.response.submitted_at, "j M Y"),
                )
            )
    if drawn:
        latest = drawn[-1]
        summary = _(
            "%(name)s scores over time: %(count)s responses, from %(first)s to %(last)s; the latest is %(total)s "
            "(%(band)s) on %(when)s."
        ) % {
            "name": spec.name,
            "count": len(drawn),
            "first": drawn[0].total,
            "last": latest.total,
            "total": latest.total,
            "band": latest.band,
            "when": latest.when,
        }
    else:
        summary = _("%(name)s: no responses yet.") % {"name": spec.name}
    ticks = [(_y(v, top), _y(v, top) + 4, v) for v in sorted({0, *(b.low for b in spec.bands), top})]
    return Chart(
        instrument=instrument,
        name=spec.name,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_bottom=HEIGHT - BOTTOM,
        plot_top=TOP,
        plot_width=plot_width,
        tick_x=LEFT - 6,
        band_label_x=WIDTH - RIGHT + 6,
        bands=bands,
        points=drawn,
        polyline=" ".join(f"{p.x},{p.y}" for p in drawn),
        ticks=ticks,
        summary=summary,
    )
