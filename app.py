"""Draw a digit and watch a neural network read it.  Run:  streamlit run app.py"""

import streamlit as st

st.set_page_config(page_title="Digit Lab", page_icon="✏️", layout="wide")

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
