"""Draw a digit and watch a neural network read it.  Run:  streamlit run app.py"""

import streamlit as st

st.set_page_config(page_title="Digit Lab", page_icon="✏️", layout="wide")

pages = [
    st.Page("app_pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("app_pages/overfitting.py", title="Overfitting", icon="📈"),
    st.Page("app_pages/our_class.py", title="Our class", icon="🧑‍🏫"),
]
st.navigation(pages).run()
