"""The conformance service implemented on the generated Python server.

Usage: python3 py_server.py <gen dir>/python   (prints "PORT <n>" when listening on 127.0.0.1)
"""

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
)


class Impl:
    def echo(self, request: Everything) -> Everything:
        return request

    def add(self, request: AddRequest) -> AddReply:
        return AddReply(sum=request.a + request.b)

    def fail(self, request: FailRequest) -> Empty:
        raise ConnectError(request.code, request.message)

    def lookup(self, request: LookupRequest) -> Item:
        time.sleep(0.001)
        if request.id == 1:
            return Item(id=1, name="one", tags=["a", "ü"])
        raise ConnectError("not_found", "no item " + str(request.id))

    def bad_output(self, request: Empty) -> Everything:
        from bale_gen import Address

        return Everything(
            id="not-a-uuid", title="", count=-1, ratio=0.5, color="red", tags=[], address=Address(street="s", city="c"), labels={}
        )

    def crash(self, request: Empty) -> Empty:
        raise RuntimeError("boom")


server = ConformanceServer(Impl()).bind("127.0.0.1", 0)
print("PORT", server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    server.server_close()
