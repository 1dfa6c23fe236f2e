"""Class codes: one server, several classes, each with its own drawings and its own teacher key.

A school hosts the app once. A teacher opens a class and gets a short code for the students (typed, or in a
link: ?class=CODE) and a key of the class's own, which unlocks that class's export and deletions, and no
other's. Without a code, a session is in the server's default class, as on a classroom server.

Opening a class needs the server's teacher key (digitlab.teacher): otherwise any visitor could open classes
until the server holds no more. A code has CODE_LENGTH characters from an alphabet without 0/O or 1/I, so
it reads aloud and types on a phone; a class key is kept only as a scrypt hash with a salt of its own.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from digitlab.config import DEFAULT_CLASS
from digitlab.database import answers_in_time, insert_below, transaction
from digitlab.schema import CODE_LENGTH, classes, members, ready
from digitlab.store_errors import StoreError

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 letters and digits, none mistaken for another
KEY_GROUPS, KEY_GROUP_LENGTH = 4, 4  # a class key: 4 groups of 4 (80 bits), e.g. K7PQ-2MXD-9TRW-H3NE
MAX_CLASSES = 1_000  # a school's classes over a year; each holds at most collection.MAX_DRAWINGS
MAX_NAME = 60
FULL = f"This server holds {MAX_CLASSES:,} classes, as many as it can. Tell whoever runs it."
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # costly to guess offline, yet no wait for one person typing a key


@dataclass(frozen=True)
class OpenedClass:
    code: str
    name: str
    key: str  # shown once to the teacher who opened it; the store keeps only its hash


def normal_code(given: str) -> str | None:
    """A typed code as stored (capitals, without spaces or dashes; O and I read as 0 and 1 are not in it), or
    None if it cannot be a code."""
    code = re.sub(r"[\s-]", "", given or "").upper()
    return code if len(code) == CODE_LENGTH and all(c in ALPHABET for c in code) else None


@answers_in_time
def open_class(url: str, name: str) -> OpenedClass:
    """A new class named `name` in the store at `url`, with a fresh code and key."""
    name = " ".join(str(name).split())[:MAX_NAME] or "Our class"
    key = "-".join("".join(secrets.choice(ALPHABET) for _ in range(KEY_GROUP_LENGTH)) for _ in range(KEY_GROUPS))
    salt = secrets.token_bytes(16)
    for _ in range(5):  # a code already taken (1 in a billion per class) is drawn again
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        row = {
            "code": code,
            "name": name,
            "key_hash": _hash(key, salt),
            "salt": salt,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        count = sa.select(sa.func.count()).select_from(classes).scalar_subquery()
        try:
            with transaction(ready(url)) as connection:
                if insert_below(connection, classes, row, count, MAX_CLASSES, "open class") is None:
                    raise StoreError(FULL)
        except StoreError as error:
            if isinstance(error.__cause__, sa.exc.IntegrityError):
                continue
            raise
        return OpenedClass(code, name, key)
    raise StoreError("No new class code could be made. Try again.")


@answers_in_time
def class_name(url: str, code: str) -> str | None:
    """The name of the class with this code, or None if there is none (the default class has no name here)."""
    if code == DEFAULT_CLASS:
        return None
    with transaction(ready(url)) as connection:
        return connection.execute(sa.select(classes.c.name).where(classes.c.code == code)).scalar()


@answers_in_time
def class_key_matches(url: str, code: str, given: str) -> bool:
    """Whether `given` is the key of class `code`; in constant time once the class is found."""
    with transaction(ready(url)) as connection:
        row = connection.execute(sa.select(classes.c.key_hash, classes.c.salt).where(classes.c.code == code)).first()
    if row is None:
        return False
    typed = re.sub(r"\s", "", given or "").upper()
    return hmac.compare_digest(_hash(typed, row.salt), row.key_hash)


@answers_in_time
def add_member(url: str, code: str, browser: str) -> None:
    """Counts `browser` (app_pages.shared.browser_id) as one who joined class `code`; once, however often it joins.

    Only a hash of the id is kept: the store never holds what a browser sends back."""
    if code == DEFAULT_CLASS:
        return
    row = {
        "class_code": code,
        "browser": hashlib.sha256(browser.encode()).hexdigest(),
        "joined": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with transaction(ready(url)) as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(members).values(**row).on_conflict_do_nothing())


@answers_in_time
def member_count(url: str, code: str) -> int:
    """How many browsers have joined class `code` (a count, cheap enough to ask every few seconds)."""
    with transaction(ready(url)) as connection:
        query = sa.select(sa.func.count()).select_from(members).where(members.c.class_code == code)
        return int(connection.execute(query).scalar())


def _hash(key: str, salt: bytes) -> bytes:
    return hashlib.scrypt(key.encode(), salt=salt, **SCRYPT)
