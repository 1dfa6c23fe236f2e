"""A drawing as streamlit-drawable-canvas 0.13 keeps it in session state, to put one on the Draw page in AppTest."""

import base64
import io

import numpy as np
from PIL import Image

from app_pages.colours import PAPER


def as_canvas_state(rgba: np.ndarray | None) -> dict:
    """fabric.js objects and the PNG data URL the component sends; None is a canvas with no stroke yet."""
    if rgba is None:
        return {"drawing": {"raw": {"objects": [], "background": PAPER}, "data": None}, "backgroundFit": None}
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {
        "drawing": {"raw": {"objects": [{"type": "Path"}], "background": PAPER}, "data": url},
        "backgroundFit": None,
    }
