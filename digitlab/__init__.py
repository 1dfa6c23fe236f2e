"""digitlab: the logic behind the draw-a-digit app (data, preprocessing, networks, training, inference).

Nothing in this package imports Streamlit; the pages in ``app_pages/`` do.
"""
