"""Draw a digit and watch a neural network read it.  Run:  streamlit run app.py"""

import threading

import streamlit as st

from app_pages.class_picker import class_sidebar
from digitlab.backend import import_keras
from digitlab.blas import use_one_blas_thread


@st.cache_resource
def start_loading_tensorflow() -> threading.Thread:
    """Import TensorFlow (seconds) in the background once per server, so that later pages need not wait.

    Never for the Draw page: it reads drawings with ONNX Runtime from the saved .onnx and needs no TensorFlow,
    and an import beside it would hold up its answers (loading TensorFlow's libraries holds the GIL)."""
    thread = threading.Thread(target=import_keras, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


@st.cache_resource
def one_blas_thread_per_product() -> int:
    """Once per server: many people's strokes at once are the parallelism; see digitlab.blas."""
    return use_one_blas_thread()


one_blas_thread_per_product()
st.set_page_config(page_title="Digit Lab", page_icon=":material/draw:", layout="wide")

draw = st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", default=True)
pages = [
    draw,
    st.Page("app_pages/overfitting.py", title="Overfitting", icon=":material/show_chart:"),
    st.Page("app_pages/inside.py", title="Inside the network", icon=":material/psychology:"),
    st.Page("app_pages/our_class.py", title="Our class", icon=":material/groups:"),
    st.Page("app_pages/data.py", title="Data", icon=":material/grid_on:"),
    st.Page("app_pages/mistakes.py", title="Mistakes", icon=":material/rule:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
]
page = st.navigation(pages)
class_sidebar()
try:
    page.run()
finally:
    if page.url_path != draw.url_path:
        start_loading_tensorflow()  # after the page is drawn: its run does not share the CPU with the import
