"""Rendering matplotlib figures to PNG bytes, with every label shown literally.

Titles, axis labels, legends and annotations often carry user strings (a model's name, a path); a ``$`` in
them would make matplotlib parse mathtext and fail (``$x^{$``) or typeset it. neurodyn's own labels use no
mathtext, so every such text is drawn literally; tick labels (which matplotlib formats with mathtext on log
axes) are left alone.
"""

from __future__ import annotations

import io


def literal_texts(fig) -> None:
    """Switch off mathtext parsing for every text of ``fig`` except the tick labels."""
    from matplotlib.text import Text

    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks.add(id(axis.offsetText))
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                ticks.update((id(tick.label1), id(tick.label2)))
    for text in fig.findobj(Text):
        if id(text) not in ticks:
            text.set_parse_math(False)


def figure_png(draw, *, size=(6.0, 4.5), ncols: int = 1, dpi: int = 110) -> bytes:
    """Render ``draw(axes)`` on a new matplotlib figure (``ncols`` panels, ``size`` in inches) and return the
    PNG bytes; labels are drawn literally (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=size)
    try:
        draw(axes)
        literal_texts(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buf.getvalue()
