"""Validation helpers and the Connect unary JSON protocol shared by the generated modules."""

import dataclasses
import http.server
import json
import math
import os
import re
import socket
import threading
import time
import typing
import urllib.error
import urllib.request

T = typing.TypeVar("T")

CONNECT_STATUS: dict[str, int] = {
    "canceled": 499,
    "unknown": 500,
    "invalid_argument": 400,
    "deadline_exceeded": 504,
    "not_found": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "resource_exhausted": 429,
    "failed_precondition": 400,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "data_loss": 500,
    "unauthenticated": 401,
}


def code_from_http_status(status: int) -> str:
    """The code a client reports for a non-200 response without a Connect error body."""
    if status == 400:
        return "internal"
    if status == 401:
        return "unauthenticated"
    if status == 403:
        return "permission_denied"
    if status == 404:
        return "unimplemented"
    if status in (429, 502, 503, 504):
        return "unavailable"
    return "unknown"


class ValidationError(ValueError):
    """A value does not match its schema. path is a JSON pointer ("" for the root)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__((path or "(root)") + " " + problem)
        self.path = path
        self.problem = problem


class ConnectError(Exception):
    """An RPC error: raised by clients, and raised by server implementations to choose the code."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(code + ": " + message)
        self.code = code
        self.message = message
        self.status = CONNECT_STATUS.get(code, 500) if status is None else status


class ConfigError(Exception):
    """A config file that cannot be read or does not match its schema."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(source + ": " + message)
        self.source = source


@typing.final
class Unset:
    """The value of an optional, nullable field that is absent (None means JSON null there)."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


def join(path: str, key: str | int) -> str:
    return path + "/" + str(key).replace("~", "~0").replace("/", "~1")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def expect_object(v: object, path: str) -> dict[str, object]:
    if not isinstance(v, dict):
        raise ValidationError(path, "must be object")
    return typing.cast("dict[str, object]", v)


def expect_list(v: object, path: str) -> list[object]:
    if not isinstance(v, list):
        raise ValidationError(path, "must be array")
    return typing.cast("list[object]", v)


def expect_str(v: object, path: str) -> str:
    if not isinstance(v, str):
        raise ValidationError(path, "must be string")
    return v


def expect_int(v: object, path: str) -> int:
    if isinstance(v, bool):
        raise ValidationError(path, "must be integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    raise ValidationError(path, "must be integer")


def expect_number(v: object, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValidationError(path, "must be number")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValidationError(path, "must be a finite number")
    return v


def expect_bool(v: object, path: str) -> bool:
    if not isinstance(v, bool):
        raise ValidationError(path, "must be boolean")
    return v


def expect_null(v: object, path: str) -> None:
    if v is not None:
        raise ValidationError(path, "must be null")


def expect_any(v: object, path: str) -> object:
    return v


def required(d: dict[str, object], key: str, path: str) -> object:
    if key not in d:
        raise ValidationError(path, "must have required property '" + key + "'")
    return d[key]


def check_keys(d: dict[str, object], allowed: frozenset[str], path: str) -> None:
    for k in d:
        if k not in allowed:
            raise ValidationError(join(path, k), "must NOT have additional properties")


def check_props(d: dict[str, object], lo: int | None, hi: int | None, path: str) -> None:
    if lo is not None and len(d) < lo:
        raise ValidationError(path, "must NOT have fewer than " + str(lo) + " properties")
    if hi is not None and len(d) > hi:
        raise ValidationError(path, "must NOT have more than " + str(hi) + " properties")


def check_length(s: str, lo: int | None, hi: int | None, path: str) -> None:
    n = len(s)
    if lo is not None and n < lo:
        raise ValidationError(path, "must NOT have fewer than " + str(lo) + " characters")
    if hi is not None and n > hi:
        raise ValidationError(path, "must NOT have more than " + str(hi) + " characters")


def check_pattern(s: str, rx: "re.Pattern[str]", path: str) -> None:
    if rx.search(s) is None:
        raise ValidationError(path, 'must match pattern "' + rx.pattern + '"')


def check_format(s: str, rx: "re.Pattern[str]", name: str, path: str) -> None:
    if rx.search(s) is None:
        raise ValidationError(path, 'must match format "' + name + '"')


def check_range(
    x: float,
    path: str,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: float | None = None,
    exclusive_maximum: float | None = None,
    multiple_of: float | None = None,
) -> None:
    if minimum is not None and x < minimum:
        raise ValidationError(path, "must be >= " + _num(minimum))
    if maximum is not None and x > maximum:
        raise ValidationError(path, "must be <= " + _num(maximum))
    if exclusive_minimum is not None and x <= exclusive_minimum:
        raise ValidationError(path, "must be > " + _num(exclusive_minimum))
    if exclusive_maximum is not None and x >= exclusive_maximum:
        raise ValidationError(path, "must be < " + _num(exclusive_maximum))
    if multiple_of is not None:
        if isinstance(x, int) and isinstance(multiple_of, int):
            ok = x % multiple_of == 0
        else:
            q = x / multiple_of
            ok = math.isfinite(q) and q == int(q)
        if not ok:
            raise ValidationError(path, "must be multiple of " + _num(multiple_of))


def _num(x: float) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _canonical(v: object) -> object:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_canonical(x) for x in typing.cast("list[object]", v)]
    if isinstance(v, dict):
        d = typing.cast("dict[str, object]", v)
        return {k: _canonical(x) for k, x in d.items()}
    return v


def check_items(xs: list[object], lo: int | None, hi: int | None, unique: bool, path: str) -> None:
    if lo is not None and len(xs) < lo:
        raise ValidationError(path, "must NOT have fewer than " + str(lo) + " items")
    if hi is not None and len(xs) > hi:
        raise ValidationError(path, "must NOT have more than " + str(hi) + " items")
    if unique:
        seen: set[str] = set()
        for x in xs:
            key = json.dumps(_canonical(x), sort_keys=True)
            if key in seen:
                raise ValidationError(path, "must NOT have duplicate items")
            seen.add(key)


def is_number_equal(v: object, x: float) -> bool:
    return _is_number(v) and v == x


def dumps(value: object) -> bytes:
    return json.dumps(value, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _reject_constant(name: str) -> object:
    raise ValueError("invalid JSON constant " + name)


def _parse_float(s: str) -> float:
    x = float(s)
    if not math.isfinite(x):
        raise ValueError("number out of range: " + s[:20])
    return x


def _parse_int(s: str) -> int | float:
    n = int(s)
    if -(2**53) <= n <= 2**53:
        return n
    try:
        # beyond 2^53 JavaScript has only the nearest double; so does this side
        return float(n)
    except OverflowError:
        raise ValueError("number out of range: " + s[:20]) from None


def loads(data: bytes) -> object:
    """Strict JSON: UTF-8 only (no BOM), no NaN/Infinity, numbers within double range (as JavaScript's JSON.parse)."""
    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int)


def load_config(path: "str | os.PathLike[str]", parse: typing.Callable[[object, str], T]) -> T:
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(source, "cannot read: " + str(e)) from e
    try:
        value = loads(raw)
    except ValueError as e:
        raise ConfigError(source, "not valid JSON: " + str(e)) from e
    try:
        return parse(value, "")
    except ValidationError as e:
        raise ConfigError(source, "does not match its schema: " + str(e)) from e


# ---- client ----


def unary_call(
    base_url: str,
    procedure: str,
    body: object,
    timeout: float,
    headers: typing.Mapping[str, str],
) -> object:
    """POST one message to base_url/procedure; return the decoded reply or raise ConnectError."""
    all_headers = dict(headers)
    all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base_url.rstrip("/") + "/" + procedure, data=dumps(body), method="POST", headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = int(resp.status)
            raw = bytes(resp.read())
    except urllib.error.HTTPError as e:
        status = int(e.code)
        raw = bytes(e.read())
    except (urllib.error.URLError, OSError) as e:
        raise ConnectError("unavailable", str(e), 0) from e
    try:
        decoded: object = loads(raw)
    except ValueError:
        decoded = None
    if status == 200:
        if not isinstance(decoded, dict):
            raise ConnectError("internal", "the server sent a response that is not a JSON object", status)
        return typing.cast(object, decoded)
    code = code_from_http_status(status)
    message = "HTTP " + str(status)
    if isinstance(decoded, dict):
        err = typing.cast("dict[str, object]", decoded)
        c = err.get("code")
        if isinstance(c, str) and c in CONNECT_STATUS:
            code = c
        m = err.get("message")
        if isinstance(m, str):
            message = m
    raise ConnectError(code, message, status)


def parse_reply(parse: typing.Callable[[object, str], T], value: object) -> T:
    try:
        return parse(value, "")
    except ValidationError as e:
        raise ConnectError("internal", "the server sent an invalid response: " + str(e)) from e


# ---- server ----

Route = typing.Callable[[object], object]
"""Takes the decoded request JSON, returns the reply JSON; raises ConnectError."""


def parse_request(parse: typing.Callable[[object, str], T], value: object) -> T:
    try:
        return parse(value, "")
    except ValidationError as e:
        raise ConnectError("invalid_argument", str(e)) from e


def check_reply(parse: typing.Callable[[object, str], object], value: dict[str, object]) -> dict[str, object]:
    try:
        parse(value, "")
    except ValidationError as e:
        raise ConnectError("internal", "the server produced an invalid response: " + str(e)) from e
    return value


MAX_JSON_DEPTH = 100
"""The deepest nesting of arrays and objects a request body may have (the top-level object is 1); same on every bale server."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {0x5B: 1, 0x7B: 1, 0x5D: -1, 0x7D: -1}


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether a JSON text nests arrays/objects deeper than limit (strings are skipped; the text need not be valid)."""
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for c in brackets:
        depth += _STEP[c]
        if depth > limit:
            return True
    return False


def parse_request_body(body: bytes) -> object:
    """The request body as JSON; raises ConnectError invalid_argument when it is not acceptable."""
    if json_depth_exceeds(body, MAX_JSON_DEPTH):
        raise ConnectError("invalid_argument", "the request body nests arrays and objects deeper than " + str(MAX_JSON_DEPTH) + " levels")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ConnectError("invalid_argument", "the request body is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int)
    except ValueError as e:
        if str(e).startswith("number out of range"):
            raise ConnectError("invalid_argument", "the request body has a number out of range") from None
        raise ConnectError("invalid_argument", "the request body is not valid JSON") from None
    except RecursionError:
        raise ConnectError("invalid_argument", "the request body is not valid JSON") from None


@dataclasses.dataclass(frozen=True)
class ServerLimits:
    """Bounds of a generated server; the defaults match the TypeScript server's."""

    max_body_bytes: int = 4 * 1024 * 1024
    """Largest request body; larger ones get 413 resource_exhausted."""
    max_threads: int = 32
    """Connections served at once (one thread each); more get 503 unavailable and are closed."""
    header_timeout: float = 10.0
    """Seconds to receive a request's headers (also how long an idle kept-alive connection stays open)."""
    request_timeout: float = 30.0
    """Seconds to receive a whole request, headers and body; then 408 deadline_exceeded and close."""


def _raw_error(status: int, reason: str, code: str, message: str) -> bytes:
    body = dumps({"code": code, "message": message})
    head = "HTTP/1.1 " + str(status) + " " + reason + "\r\ncontent-type: application/json\r\ncontent-length: " + str(len(body)) + "\r\nconnection: close\r\n\r\n"
    return head.encode("ascii") + body


_TIMEOUT_ANSWER = _raw_error(408, "Request Timeout", "deadline_exceeded", "the request was not received in time")
_BUSY_ANSWER = _raw_error(503, "Service Unavailable", "unavailable", "the server is busy")


class _Deadlines:
    """One thread that closes connections whose deadline passed (a slow client cannot hold a worker)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[socket.socket, tuple[float, bytes | None]] = {}
        self._expired: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, sock: socket.socket, seconds: float, answer: bytes | None) -> None:
        with self._cond:
            self._due[sock] = (time.monotonic() + seconds, answer)
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="bale-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, sock: socket.socket) -> bool:
        """Stops watching sock; returns whether its deadline had already passed."""
        with self._cond:
            self._due.pop(sock, None)
            if sock in self._expired:
                self._expired.discard(sock)
                return True
            return False

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                wait: float | None = None
                for sock, (at, answer) in list(self._due.items()):
                    if at <= now:
                        del self._due[sock]
                        self._expired.add(sock)
                        try:
                            if answer is not None:
                                sock.send(answer, socket.MSG_DONTWAIT)
                        except OSError:
                            pass
                        try:
                            sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                    elif wait is None or at - now < wait:
                        wait = at - now
                self._cond.wait(wait)


class _BadRequest(Exception):
    pass


class ConnectServer(http.server.HTTPServer):
    """http.server with bounds: at most limits.max_threads connections at once, header and request timeouts."""

    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[http.server.BaseHTTPRequestHandler], limits: ServerLimits) -> None:
        self.limits = limits
        self.deadlines = _Deadlines()
        self._slots = threading.BoundedSemaphore(limits.max_threads)
        super().__init__(address, handler)

    def process_request(self, request: typing.Any, client_address: typing.Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY_ANSWER)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            threading.Thread(target=self._serve, args=(request, client_address), daemon=True).start()
        except RuntimeError:
            self._slots.release()
            self.shutdown_request(request)

    def _serve(self, request: typing.Any, client_address: typing.Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            pass
        finally:
            self.deadlines.disarm(request)
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: typing.Any, client_address: typing.Any) -> None:
        return

    def server_close(self) -> None:
        self.deadlines.stop()
        super().server_close()


def make_server(
    host: str,
    port: int,
    routes: typing.Mapping[str, Route],
    limits: ServerLimits | None = None,
) -> ConnectServer:
    """An HTTP server (not yet serving) that answers Connect unary JSON calls for routes."""
    lim = limits or ServerLimits()
    max_body_bytes = lim.max_body_bytes

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        _served: bool = False
        _started: float = 0.0

        def _deadlines(self) -> _Deadlines:
            return typing.cast(ConnectServer, self.server).deadlines

        def log_message(self, format: str, *args: typing.Any) -> None:
            return

        def handle_one_request(self) -> None:
            self._started = time.monotonic()
            # an idle kept-alive connection is closed silently; a half-sent first request gets 408
            self._deadlines().arm(self.connection, lim.header_timeout, None if self._served else _TIMEOUT_ANSWER)
            try:
                super().handle_one_request()
            finally:
                if self._deadlines().disarm(self.connection):
                    self.close_connection = True
                self._served = True

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server's own errors (bad request line, header too long, ...) as Connect errors
            self.close_connection = True
            status = 431 if code == 431 else 414 if code == 414 else 400
            connect = "resource_exhausted" if status in (414, 431) else "invalid_argument"
            try:
                self._error(status, connect, "malformed HTTP request" + (": " + message if message else ""), {"Connection": "close"})
            except OSError:
                pass

        def _send(self, status: int, body: bytes, extra: typing.Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str, extra: typing.Mapping[str, str] | None = None) -> None:
            self._send(status, dumps({"code": code, "message": message}), extra)

        def _read_exact(self, n: int) -> bytes:
            data = self.rfile.read(n)
            if len(data) != n:
                raise ConnectionError("the client closed the connection")
            return data

        def _read_body(self) -> bytes | None:
            """The request body; None when it is larger than the limit; raises _BadRequest for malformed framing."""
            te = self.headers.get_all("Transfer-Encoding") or []
            cl = self.headers.get_all("Content-Length") or []
            if te:
                if cl:
                    raise _BadRequest("Content-Length together with Transfer-Encoding")
                if len(te) != 1 or te[0].strip().lower() != "chunked":
                    raise _BadRequest("unsupported Transfer-Encoding")
                chunks: list[bytes] = []
                size = 0
                while True:
                    line = self.rfile.readline(1026)
                    if not line.endswith(b"\n"):
                        if not line:
                            raise ConnectionError("the client closed the connection")
                        raise _BadRequest("chunk size line too long")
                    token = line.split(b";", 1)[0].strip()
                    if re.fullmatch(rb"[0-9A-Fa-f]{1,16}", token) is None:
                        raise _BadRequest("bad chunk size")
                    n = int(token, 16)
                    if n == 0:
                        for _ in range(100):
                            trailer = self.rfile.readline(8194)
                            if trailer in (b"\r\n", b"\n"):
                                return b"".join(chunks)
                            if not trailer.endswith(b"\n"):
                                break
                        raise _BadRequest("bad chunked trailer")
                    size += n
                    if size > max_body_bytes:
                        return None
                    chunks.append(self._read_exact(n))
                    if self._read_exact(1) == b"\r":
                        end = self._read_exact(1)
                    else:
                        end = b"\n"
                    if end != b"\n":
                        raise _BadRequest("chunk data not followed by CRLF")
            if not cl:
                return b""
            values = {v.strip() for v in cl}
            value = values.pop()
            if values or re.fullmatch(r"[0-9]{1,19}", value) is None:
                raise _BadRequest("bad Content-Length")
            length = int(value)
            if length > max_body_bytes:
                return None
            return self._read_exact(length)

        def _handle(self) -> None:
            if self._deadlines().disarm(self.connection):
                # the header deadline passed (and answered 408) just as the headers were complete
                self.close_connection = True
                return
            # the request target as sent: http.server rewrites a leading "//"
            words = self.requestline.split()
            path = (words[1] if len(words) >= 2 else self.path).split("?", 1)[0]
            route = routes.get(path)
            if route is None:
                self.close_connection = True
                self._error(404, "unimplemented", "no such procedure: " + path)
                return
            if self.command != "POST":
                self.close_connection = True
                self._error(405, "unimplemented", "use POST for " + path, {"Allow": "POST"})
                return
            ctype = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                self.close_connection = True
                self._error(415, "invalid_argument", "send the request with content-type application/json", {"Accept-Post": "application/json"})
                return
            left = self._started + lim.request_timeout - time.monotonic()
            self._deadlines().arm(self.connection, max(left, 0.0), _TIMEOUT_ANSWER)
            try:
                raw = self._read_body()
            except _BadRequest as e:
                self._deadlines().disarm(self.connection)
                self.close_connection = True
                self._error(400, "invalid_argument", "malformed HTTP request: " + str(e), {"Connection": "close"})
                return
            except (OSError, ValueError):
                self._deadlines().disarm(self.connection)
                self.close_connection = True
                return
            if self._deadlines().disarm(self.connection):
                self.close_connection = True
                return
            if raw is None:
                self.close_connection = True
                self._error(413, "resource_exhausted", "the request body is larger than " + str(max_body_bytes) + " bytes", {"Connection": "close"})
                return
            try:
                body = dumps(route(parse_request_body(raw)))
            except ConnectError as e:
                if e.code in CONNECT_STATUS:
                    self._error(CONNECT_STATUS[e.code], e.code, e.message)
                else:
                    self._error(500, "internal", "internal error")
                return
            except Exception:
                # a handler bug, a reply that does not serialize, a too deep reply (RecursionError)
                self._error(500, "internal", "internal error")
                return
            self._send(200, body)

        def __getattr__(self, name: str) -> typing.Any:
            # every method (TRACE, PROPFIND, ...) reaches the router, which answers 404 or 405 like the TS server
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

    return ConnectServer((host, port), Handler, lim)
