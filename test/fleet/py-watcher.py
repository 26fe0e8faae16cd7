"""A process that follows configs through the generated Python live loaders and prints one JSON line per event.

Usage: py-watcher.py <gen/python> <spec JSON: {"source": {...}, "artifacts": [...]}>
"""

import json
import signal
import sys
import threading

sys.path.insert(0, sys.argv[1])
import bale_gen  # noqa: E402

spec = json.loads(sys.argv[2])
src = spec["source"]
lock = threading.Lock()


def out(o: object) -> None:
    with lock:
        sys.stdout.write(json.dumps(o) + "\n")
        sys.stdout.flush()


def source(artifact: str) -> object:
    if "dir" in src:
        return bale_gen.DirSource(src["dir"], artifact, src.get("pollMs", 200) / 1000)
    return bale_gen.EtcdSource(src["etcd"], src["prefix"], artifact, src.get("canary"), src.get("cacheFile"))


watches = []
for artifact in spec["artifacts"]:
    watches.append(
        bale_gen.watch_flags(
            source(artifact),
            lambda v, u, a=artifact: out({"event": "change", "artifact": a, "value": v.to_dict(), "stale": u.stale, "revision": u.revision}),
            lambda e, a=artifact: out({"event": "error", "artifact": a, "message": str(e)}),
        )
    )
out({"event": "started"})
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
for w in watches:
    w.close()
