"""Draw a digit and watch a neural network read it.  Run:  streamlit run app.py"""

import threading
from pathlib import Path

import streamlit as st

from app_pages.class_picker import class_sidebar
from app_pages.recovery import recover_after_failover
from digitlab.backend import import_keras
from digitlab.blas import use_one_blas_thread

ICON = Path(__file__).with_name("app_pages") / "icon.png"


@st.cache_resource
def start_loading_tensorflow() -> threading.Thread:
    """Import TensorFlow (seconds) in the background once per server, so that a second look need not wait.

    Never for the pages a class uses while it draws (Draw, Our class): they read drawings with ONNX Runtime
    from the saved .onnx and need no TensorFlow, and an import beside them would hold up everyone's answers
    (loading TensorFlow's libraries holds the GIL)."""
    thread = threading.Thread(target=import_keras, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


@st.cache_resource
def one_blas_thread_per_product() -> int:
    """Once per server: many people's strokes at once are the parallelism; see digitlab.blas."""
    return use_one_blas_thread()


one_blas_thread_per_product()
# The icon is a file of the app's own: a Material icon as the page's icon is fetched from an outside font server,
# which a school's network may not reach, or may forbid.
st.set_page_config(page_title="Digit Lab", page_icon=str(ICON), layout="wide")

draw = st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", default=True)
inside = st.Page("app_pages/inside.py", title="Inside the network", icon=":material/psychology:")
train = st.Page("app_pages/train.py", title="Train", icon=":material/model_training:")
pages = [
    draw,
    st.Page("app_pages/overfitting.py", title="Overfitting", icon=":material/show_chart:"),
    inside,
    st.Page("app_pages/our_class.py", title="Our class", icon=":material/groups:"),
    st.Page("app_pages/data.py", title="Data", icon=":material/grid_on:"),
    st.Page("app_pages/mistakes.py", title="Mistakes", icon=":material/rule:"),
    train,
]
page = st.navigation(pages)
class_sidebar()
recover_after_failover()
try:
    page.run()
finally:
    # Only the pages that use Keras (the layers' outputs, a trained network) start the import, after they are
    # drawn: it holds the server for seconds, and a teacher's Our class page must not stall the class's drawing.
    if page.url_path in (inside.url_path, train.url_path):
        start_loading_tensorflow()
