/** The text of `<package>/_runtime.py`: validation helpers and the Connect protocol for generated Python. */
export const PY_RUNTIME = String.raw`"""Validation helpers and the Connect unary JSON protocol shared by the generated modules."""

import http.server
import json
import math
import os
import re
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


def loads(data: bytes) -> object:
    """Strict JSON: UTF-8 only, no NaN/Infinity (as JavaScript's JSON.parse)."""
    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)


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


def make_server(
    host: str,
    port: int,
    routes: typing.Mapping[str, Route],
    max_body_bytes: int = 4 * 1024 * 1024,
) -> http.server.ThreadingHTTPServer:
    """An HTTP server (not yet serving) that answers Connect unary JSON calls for routes."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: typing.Any) -> None:
            return

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

        def _read_body(self) -> bytes | None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                size = 0
                while True:
                    line = self.rfile.readline(65537)
                    n = int(line.split(b";", 1)[0].strip() or b"0", 16)
                    if n == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    size += n
                    if size > max_body_bytes:
                        return None
                    chunks.append(self.rfile.read(n))
                    self.rfile.readline(3)
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or "0")
            if length > max_body_bytes:
                return None
            return self.rfile.read(length)

        def _handle(self) -> None:
            path = self.path.split("?", 1)[0]
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
            raw = self._read_body()
            if raw is None:
                self.close_connection = True
                self._error(413, "resource_exhausted", "the request body is larger than " + str(max_body_bytes) + " bytes")
                return
            try:
                request = loads(raw)
            except ValueError:
                self._error(400, "invalid_argument", "the request body is not valid JSON")
                return
            try:
                reply = route(request)
            except ConnectError as e:
                self._error(CONNECT_STATUS.get(e.code, 500), e.code, e.message)
                return
            except Exception:
                self._error(500, "internal", "internal error")
                return
            self._send(200, dumps(reply))

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_OPTIONS(self) -> None:
            self._handle()

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
`;
