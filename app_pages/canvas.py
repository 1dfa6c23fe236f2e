"""The drawing canvas's set-up, for the Draw page and for the canvas-only page that the latency benchmark
compares it with (tools/minimal_canvas_app.py): both must be the same canvas. Light: no TensorFlow, no pandas."""

from app_pages.colours import INK, PAPER
from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH


def canvas_options(brush: float = DEFAULT_BRUSH) -> dict:
    """streamlit-drawable-canvas's st_canvas() arguments: free drawing in white on black, CANVAS_SIZE px square,
    returning the pixels the network reads."""
    return {
        "stroke_width": brush,
        "stroke_color": INK,
        "background_color": PAPER,
        "height": CANVAS_SIZE,
        "width": CANVAS_SIZE,
        "drawing_mode": "freedraw",
        "return_image_data": True,
    }
