"""The canvas alone, as the Draw page sets it up: the baseline for tools/browser_latency.py.

    python -m streamlit run tools/minimal_canvas_app.py    (from the repository, whose packages `-m` puts on the path)

The marker below the canvas changes after every stroke (it counts the strokes and the ink the image
holds), so a browser can tell when Streamlit has answered.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH  # plain constants: no TensorFlow

canvas = st_canvas(
    stroke_width=DEFAULT_BRUSH,
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=CANVAS_SIZE,
    width=CANVAS_SIZE,
    drawing_mode="freedraw",
    return_image_data=True,
    key="canvas",
)
image = canvas.image_data
strokes = len((canvas.json_data or {}).get("objects", []))
ink = int((image[..., 0] > 127).sum()) if image is not None else 0
with st.container(key="marker"):
    st.text(f"strokes: {strokes}, ink pixels: {ink}")
