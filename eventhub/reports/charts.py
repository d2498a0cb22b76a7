"""Bar charts as data for the `charts.html` macros: geometry computed here, drawn as SVG by
the template (server-rendered, no script, so the strict Content-Security-Policy holds)."""

from __future__ import annotations

from dataclasses import dataclass

ROW_HEIGHT = 22  # the least height of a chart
LABEL_WIDTH = 150
BAR_AREA = 360
VALUE_WIDTH = 90


@dataclass(frozen=True)
class Bar:
    series: int  # which series of the chart (its colour class and its legend entry)
    x: float
    y: float
    width: float
    height: float
    value: int
    text: str


@dataclass(frozen=True)
class Group:
    label: str
    y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    series_names: list[str]
    groups: list[Group]
    width: int
    height: int


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    series_names: list[str],
    rows: list[tuple[str, list[int]]],
    fmt=str,
) -> Chart:
    """Grouped horizontal bars: one group per row, one bar per series, scaled to the largest
    value of the chart."""
    largest = max((v for _, values in rows for v in values), default=0) or 1
    bar_height = 12
    groups = []
    y = 0.0
    for label, values in rows:
        bars = [
            Bar(
                series=index,
                x=LABEL_WIDTH,
                y=y + index * bar_height,
                width=round(BAR_AREA * value / largest, 1),
                height=bar_height - 1,
                value=value,
                text=fmt(value),
            )
            for index, value in enumerate(values)
        ]
        groups.append(Group(label=label, y=y + (len(values) * bar_height) / 2 - 8, bars=bars))
        y += len(values) * bar_height + 10
    return Chart(
        id=id,
        title=title,
        description=description,
        series_names=series_names,
        groups=groups,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=max(int(y) + 4, ROW_HEIGHT),
    )
