"""What several pages share: cached networks, the class's collection, and session-state names."""

import streamlit as st

from digitlab.collection import ClassCollection, default_database
from digitlab.config import model_path, modified_time
from digitlab.inference import Network, load_network

CURRENT_INPUT = "current_input"  # session state: the 28 x 28 input now on the Draw page (None when nothing is drawn)


@st.cache_resource(show_spinner="Loading the network…")
def _cached_network(path: str, name: str, modified: float | None) -> Network:
    return load_network(path, name)


def network(name: str) -> Network:
    """A trained network, loaded once per file version: a retrained file takes effect on the next rerun.
    Raises ModelError (with the command that fixes it) if it is missing or broken."""
    path = model_path(name)
    return _cached_network(str(path), name, modified_time(path))


@st.cache_resource
def _cached_collection(path: str) -> ClassCollection:
    return ClassCollection(path)


def class_collection() -> ClassCollection:
    return _cached_collection(str(default_database()))
