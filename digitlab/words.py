"""Numbers in sentences, read as a person would say them: "an 8", "1 drawing", "2 drawings"."""


def with_article(digit: int | str) -> str:
    """ "a 7", "an 8": the article a digit takes when it is read aloud."""
    return f"{'an' if str(digit) == '8' else 'a'} {digit}"


def count(number: int, noun: str) -> str:
    """ "1 drawing", "1,024 drawings": the number with thousands separated, the noun in the plural it needs."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
