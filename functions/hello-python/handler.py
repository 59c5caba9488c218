"""A Python function: this module is imported once, at deploy; handle() runs for every
request (bytes) and returns the response."""
GREETING = "Hello"


def handle(request: bytes) -> str:
    name = request.decode("utf-8", "replace").strip() or "world"
    return f"{GREETING}, {name}!\n"
