"""Reads the charts `herald bench --svg` and `herald bench compare --svg` write, with a real XML
parser, and checks their layout: the legend sits in a box of its own that no plot area
overlaps, every curve stays inside a plot area, bar charts have a value axis with ticks and a
label. The charts mark those parts with class attributes (legend, legend-box, plot-area,
value-axis, bar, settings)."""
import re
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def box(rect):
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def intersects(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(point, b, slack=0.5):
    return b[0] - slack <= point[0] <= b[2] + slack and b[1] - slack <= point[1] <= b[3] + slack


def by_class(root, tag, cls):
    return [e for e in root.iter(NS + tag) if cls in (e.get("class") or "").split()]


def texts(elem):
    return ["".join(t.itertext()) for t in elem.iter(NS + "text")]


class Chart:
    def __init__(self, path):
        self.root = ET.parse(path).getroot()
        assert self.root.tag == NS + "svg", self.root.tag
        self.all_text = texts(self.root)
        settings = by_class(self.root, "text", "settings")
        assert len(settings) == 1, "one settings line under the title"
        self.settings = "".join(settings[0].itertext())
        self.bars = by_class(self.root, "rect", "bar")
        self.axes = by_class(self.root, "g", "value-axis")

    def check_layout(self):
        """The legend box holds the legend and touches no plot area; curves stay in plots."""
        legends = by_class(self.root, "g", "legend")
        assert len(legends) == 1, "one legend"
        boxes = by_class(legends[0], "rect", "legend-box")
        assert len(boxes) == 1
        legend = box(boxes[0])
        plots = [box(r) for r in by_class(self.root, "rect", "plot-area")]
        assert plots, "no plot area"
        for p in plots:
            assert not intersects(legend, p), f"legend {legend} overlaps plot area {p}"
        # Every legend entry's swatch and text start inside the box.
        for ln in legends[0].iter(NS + "line"):
            for end in (("x1", "y1"), ("x2", "y2")):
                assert inside((float(ln.get(end[0])), float(ln.get(end[1]))), legend), end
        for t in legends[0].iter(NS + "text"):
            assert inside((float(t.get("x")), float(t.get("y"))), legend), "".join(t.itertext())
        assert texts(legends[0]), "an empty legend"
        # Each curve lies in one plot area.
        curves = list(self.root.iter(NS + "polyline"))
        for c in curves:
            pts = [tuple(map(float, p.split(","))) for p in c.get("points").split()]
            assert any(all(inside(pt, p) for pt in pts) for p in plots), "a curve leaves its plot"
        return len(curves)

    def check_value_axes(self, count):
        """`count` bar charts with a value axis each: a line, at least two numeric ticks and a
        rotated label."""
        assert len(self.axes) == count, (len(self.axes), count)
        for ax in self.axes:
            assert list(ax.iter(NS + "line")), "an axis without a line"
            labels = texts(ax)
            ticks = [t for t in labels if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", t)]
            words = [t for t in labels if t not in ticks]
            assert len(ticks) >= 2, labels
            assert len(words) == 1 and words[0].strip(), labels
            rotated = [t for t in ax.iter(NS + "text") if "rotate(-90" in (t.get("transform") or "")]
            assert len(rotated) == 1, labels
