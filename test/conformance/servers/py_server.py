"""The conformance service implemented on the generated Python server.

Usage: python3 py_server.py <gen dir>/python   (prints "PORT <n>" when listening on 127.0.0.1)
"""

import dataclasses
import os
import sys
import time

sys.path.insert(0, sys.argv[1])

from bale_gen import (  # noqa: E402
    AddReply,
    AddRequest,
    ConformanceServer,
    ConnectError,
    Empty,
    Everything,
    FailRequest,
    Item,
    LookupRequest,
    ServerLimits,
    Tree,
)


class Impl:
    def echo(self, request: Everything) -> Everything:
        # handler bugs, chosen by the title; each must be answered 500 internal, never kill the server
        if request.title == "!cyclic":
            meta: dict[str, object] = {}
            meta["self"] = meta
            return dataclasses.replace(request, meta=meta)
        if request.title == "!not-json":
            return dataclasses.replace(request, meta=object())
        if request.title == "!tojson":
            return dataclasses.replace(request, meta=float("nan"))
        if request.title == "!deep":
            deep: object = []
            for _ in range(100_000):
                deep = [deep]
            return dataclasses.replace(request, meta=deep)
        return request

    def add(self, request: AddRequest) -> AddReply:
        return AddReply(sum=request.a + request.b)

    def fail(self, request: FailRequest) -> Empty:
        if request.message == "!bad-code":
            raise ConnectError("teapot", "a code Connect does not have")
        raise ConnectError(request.code, request.message)

    def lookup(self, request: LookupRequest) -> Item:
        time.sleep(0.001)
        if request.id == 1:
            return Item(id=1, name="one", tags=["a", "ü"])
        raise ConnectError("not_found", "no item " + str(request.id))

    def grow(self, request: Tree) -> Tree:
        return request

    def bad_output(self, request: Empty) -> Everything:
        from bale_gen import Address

        return Everything(
            id="not-a-uuid", title="", count=-1, ratio=0.5, color="red", tags=[], address=Address(street="s", city="c"), labels={}
        )

    def crash(self, request: Empty) -> Empty:
        raise RuntimeError("boom")


def env(name: str, default: float) -> float:
    v = os.environ.get(name)
    return float(v) if v else default


limits = ServerLimits(
    max_threads=int(env("BALE_CONF_MAX_THREADS", 32)),
    header_timeout=env("BALE_CONF_HEADER_TIMEOUT_MS", 10_000) / 1000,
    request_timeout=env("BALE_CONF_REQUEST_TIMEOUT_MS", 30_000) / 1000,
)
server = ConformanceServer(Impl()).bind("127.0.0.1", 0, limits)
print("PORT", server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    server.server_close()
