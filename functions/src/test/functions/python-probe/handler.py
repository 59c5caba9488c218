"""What the runtime tests ask of Python: the standard library's C and Python modules, a
package from the bundle, per-invocation randomness and clocks, /tmp, and errors."""
import datetime
import hashlib
import json
import math
import os
import random
import re
import sys
import time

import textkit

LOADED_AT = time.time()          # module-level code runs once, at deploy
INIT_RANDOM = random.random()
VOWELS = re.compile(r"[aeiou]")


def stats(text):
    words = textkit.tokens(text)
    return json.dumps({
        "words": len(words),
        "top": textkit.frequencies(text),
        "vowels": len(VOWELS.findall(text)),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "md5": hashlib.md5(text.encode()).hexdigest(),
        "blake2b": hashlib.blake2b(text.encode(), digest_size=8).hexdigest(),
        "sqrt": math.sqrt(len(text)),
        "comb": math.comb(len(words) + 5, 3),
        "hypot": math.hypot(3, len(words)),
        "date": (datetime.date(2024, 2, 28) + datetime.timedelta(days=len(words))).isoformat(),
        "seeded": random.Random(len(text)).random(),
        "sorted": sorted(set(words)),
    }, sort_keys=True) + "\n"


def handle(request):
    command, _, rest = request.decode().partition(" ")
    if command == "stats":
        return stats(rest)
    if command == "random":
        return "%r %s %r\n" % (random.random(), os.urandom(8).hex(), INIT_RANDOM)
    if command == "clock":
        return "%f %f\n" % (time.time(), LOADED_AT)
    if command == "tmp":
        before = os.path.exists("/tmp/state")
        with open("/tmp/state", "w") as f:
            f.write(rest)
        with open("/tmp/state") as f:
            return "before=%s now=%s\n" % (before, f.read())
    if command == "raise":
        raise ValueError("asked to fail: " + rest)
    if command == "print":
        print("printed", rest)
        print("to stderr", file=sys.stderr)
        return None
    if command == "bytes":
        return bytes(range(256))
    if command == "builtins":
        import sysconfig
        import zoneinfo  # noqa: F401 (needs sysconfig's data)
        return "%s\nTZPATH=%s\n" % (" ".join(sorted(sys.builtin_module_names)), sysconfig.get_config_var("TZPATH"))
    return "unknown command %r\n" % command
