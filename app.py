"""Draw a digit and watch a neural network read it.  Run:  streamlit run app.py"""

import threading

import streamlit as st

from digitlab.backend import import_keras


@st.cache_resource
def start_loading_tensorflow() -> threading.Thread:
    """Import TensorFlow (seconds) in the background once per server, so that no page waits for it."""
    thread = threading.Thread(target=import_keras, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


st.set_page_config(page_title="Digit Lab", page_icon="✏️", layout="wide")
start_loading_tensorflow()

pages = [
    st.Page("app_pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("app_pages/overfitting.py", title="Overfitting", icon="📈"),
    st.Page("app_pages/inside.py", title="Inside the network", icon="🔬"),
    st.Page("app_pages/our_class.py", title="Our class", icon="🧑‍🏫"),
    st.Page("app_pages/data.py", title="Data", icon="🔢"),
    st.Page("app_pages/mistakes.py", title="Mistakes", icon="🔍"),
    st.Page("app_pages/train.py", title="Train", icon="🏋️"),
]
st.navigation(pages).run()
