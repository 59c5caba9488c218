"""A handler without parameters: it reads stdin and prints, like a script."""
import sys


def handle():
    text = sys.stdin.read()
    print(text.upper() if "--shout" in sys.argv[1:] else text, end="")
