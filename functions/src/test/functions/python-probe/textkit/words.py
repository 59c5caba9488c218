import re
from collections import Counter

_WORD = re.compile(r"[a-z0-9']+")


def tokens(text):
    return _WORD.findall(text.lower())


def frequencies(text, top=3):
    return Counter(tokens(text)).most_common(top)
