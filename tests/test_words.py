"""Numbers in sentences (issue #12: "Saved as a 8: 1 drawings" read wrong)."""

import pytest

from digitlab.words import count, with_article


@pytest.mark.parametrize(
    "digit,said",
    [(0, "a 0"), (1, "a 1"), (7, "a 7"), (8, "an 8"), ("8", "an 8"), (9, "a 9")],
    ids=["zero", "one", "seven", "eight", "eight as text", "nine"],
)
def test_a_digit_takes_the_article_it_is_read_with(digit, said):
    assert with_article(digit) == said


@pytest.mark.parametrize(
    "number,said",
    [(0, "0 drawings"), (1, "1 drawing"), (2, "2 drawings"), (1024, "1,024 drawings")],
    ids=["none", "one", "two", "thousands"],
)
def test_a_count_takes_the_plural_it_needs(number, said):
    assert count(number, "drawing") == said
