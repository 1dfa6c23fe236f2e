"""The app's colours, named once: Okabe-Ito's, which stay distinct for colour-blind viewers, and a scale for counts.

Every chart takes its colours from here, so that "orange" means the same thing on every page: the network's
answer, the test curve, the chosen cell.
"""

import numpy as np

ORANGE, BLUE, GREEN, PINK = "#E69F00", "#0072B2", "#009E73", "#CC79A7"  # Okabe-Ito
GREY, DARK_GREY = "#8C8C8C", "#5f5f5f"
SKY, VERMILLION, BLACK = "#56B4E9", "#D55E00", "#000000"  # the rest of Okabe-Ito's (but its yellow, pale on white)
INK, PAPER = "#FFFFFF", "#000000"  # the drawing canvas: white strokes on black, as MNIST's digits are
RUN_COLOURS = (BLUE, ORANGE, GREEN, PINK, VERMILLION, SKY, BLACK)  # one per training compared on the Train page
# ColorBrewer's Blues, light to dark, for "how many": a light cell is a rare mistake, a dark one a common mix-up.
COUNT_SCALE = ("#deebf7", "#b3d3e8", "#85bcdb", "#579fcd", "#2f7ab9", "#0b4f94", "#08306b")


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` ("#rrggbb")."""
    return max(("#000000", "#ffffff"), key=lambda text: contrast(text, background))


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two "#rrggbb" colours, 1 to 21: text needs 4.5 to be read easily."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    """WCAG's relative luminance."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def count_colours(counts: np.ndarray, apart: np.ndarray, apart_colour: str) -> tuple[list[str], list[str]]:
    """Each cell's label and colour: the cells `apart` (the right answers) in `apart_colour`, the others by their
    count on COUNT_SCALE, in ranges of their own (digitlab.mistakes.mistake_bins); "" and white for a zero."""
    from digitlab.mistakes import bin_label, mistake_bins  # here: digitlab.mistakes needs pandas, the Draw page not

    counts, apart = np.asarray(counts), np.asarray(apart, bool)
    others = counts[~apart & (counts > 0)]
    bins = mistake_bins(int(others.max()) if others.size else 0, len(COUNT_SCALE))
    shades = [COUNT_SCALE[i] for i in np.rint(np.linspace(0, len(COUNT_SCALE) - 1, len(bins))).astype(int)]
    which = np.minimum(np.searchsorted([high for _, high in bins], counts), max(0, len(bins) - 1))
    labels = ["" if on_side or n == 0 else bin_label(*bins[i]) for n, on_side, i in zip(counts, apart, which)]
    fills = [
        apart_colour if on_side else "#ffffff" if n == 0 else shades[i] for n, on_side, i in zip(counts, apart, which)
    ]
    return labels, fills
