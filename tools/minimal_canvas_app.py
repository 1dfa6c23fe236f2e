"""The canvas alone, as the Draw page sets it up: the baseline for tools/browser_latency.py.

    python -m streamlit run tools/minimal_canvas_app.py    (from the repository, whose packages `-m` puts on the path)

The marker below the canvas changes after every stroke (it counts the strokes and the ink the image
holds), so a browser can tell when Streamlit has answered.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from app_pages.canvas import canvas_options  # the Draw page's canvas; no TensorFlow

canvas = st_canvas(**canvas_options(), key="canvas")
image = canvas.image_data
strokes = len((canvas.json_data or {}).get("objects", []))
ink = int((image[..., 0] > 127).sum()) if image is not None else 0
with st.container(key="marker"):
    st.text(f"strokes: {strokes}, ink pixels: {ink}")
