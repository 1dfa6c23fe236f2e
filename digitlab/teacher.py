"""The teacher key: what stands between a student on the classroom network and the class's data.

Deleting drawings and exporting them are the teacher's. The key is set once on the server, the Streamlit
way (`teacher_key` in .streamlit/secrets.toml) or as $DIGITLAB_TEACHER_KEY, and typed on the Our class
page. Without a key set, nobody can delete or export through the app: every page is open to the whole
network, so an action that needs no key is an action every student has.
"""

import hmac
import os
from collections.abc import Mapping

KEY_VARIABLE = "DIGITLAB_TEACHER_KEY"
SECRET_NAME = "teacher_key"


def configured_key(secrets: Mapping | None = None) -> str | None:
    """The key from `secrets` (st.secrets), else from the environment; None if neither sets a non-empty one."""
    key = None
    try:
        key = secrets.get(SECRET_NAME) if secrets is not None else None
    except Exception:  # no secrets file, or one that does not parse: Streamlit raises; the variable still counts
        key = None
    key = key or os.environ.get(KEY_VARIABLE)
    return str(key) if key else None


def key_matches(given: str, expected: str | None) -> bool:
    """In constant time, so that how long a wrong guess takes says nothing about the key."""
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())
