"""Live config loaders: follow a config in a directory (polled) or in the fleet store (etcd)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import json
import os
import socket
import threading
import time
import typing
import urllib.parse

from .runtime import ConfigError, ValidationError

T = typing.TypeVar("T")

__all__ = ["ConfigUpdate", "ConfigWatch", "DirSource", "EtcdSource", "follow_config"]


@dataclasses.dataclass(frozen=True)
class DirSource:
    """Follow a compiled config file in a directory (e.g. the out/ of bale config build), polled."""

    dir: str
    artifact: str
    poll_s: float = 0.2


@dataclasses.dataclass(frozen=True)
class EtcdSource:
    """Follow a config published with bale config publish to etcd."""

    etcd: "str | typing.Sequence[str]"
    prefix: str
    artifact: str
    canary: "str | None" = None
    cache_file: "str | None" = None


@dataclasses.dataclass(frozen=True)
class ConfigUpdate:
    source: str
    sha256: str
    revision: "int | None"
    stale: bool


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _b64(s: str) -> str:
    return base64.b64encode(s.encode("utf-8")).decode("ascii")


def _obj(v: object) -> "dict[str, typing.Any]":
    return typing.cast("dict[str, typing.Any]", v) if isinstance(v, dict) else {}


def _list(v: object) -> "list[typing.Any]":
    return typing.cast("list[typing.Any]", v) if isinstance(v, list) else []


def _kv(v: object) -> "tuple[str, bytes, int]":
    kv = _obj(v)
    return base64.b64decode(str(kv.get("key", ""))).decode("utf-8"), base64.b64decode(str(kv.get("value", ""))), int(str(kv.get("mod_revision", "0")))


def _range_end(p: str) -> str:
    b = bytearray(p.encode("utf-8"))
    b[-1] += 1
    return base64.b64encode(bytes(b)).decode("ascii")


class ConfigWatch(typing.Generic[T]):
    """A followed config: current() is the last good value; close() stops following."""

    def __init__(self, parse: typing.Callable[[object, str], T], on_change: typing.Callable[[T, ConfigUpdate], None], on_error: typing.Callable[[ConfigError], None], schema: str) -> None:
        self._parse = parse
        self._schema = schema
        self._on_change = on_change
        self._on_error = on_error
        self._value: "T | None" = None
        self._ready = threading.Event()
        self.closed_event = threading.Event()
        self.close_hook: typing.Callable[[], None] = lambda: None
        self.sha: "str | None" = None
        self.stale = False
        self.last_error: "str | None" = None

    def current(self) -> "T | None":
        return self._value

    def wait_ready(self, timeout: "float | None" = None) -> "T | None":
        """Blocks until the first good value (fresh or stale) or the timeout; returns it (None on timeout)."""
        self._ready.wait(timeout)
        return self._value

    def close(self) -> None:
        if not self.closed_event.is_set():
            self.closed_event.set()
            self.close_hook()

    def deliver(self, raw: bytes, update: ConfigUpdate) -> bool:
        try:
            try:
                value = json.loads(raw)
            except ValueError as e:
                raise ConfigError(update.source, "not valid JSON: " + str(e)) from e
            try:
                parsed = self._parse(value, "")
            except ValidationError as e:
                raise ConfigError(update.source, "does not match " + self._schema + ": " + str(e)) from e
        except ConfigError as e:
            self.report_error(e)
            return False
        self._value = parsed
        self.sha = update.sha256
        self.stale = update.stale
        self.last_error = None
        self._ready.set()
        self._on_change(parsed, update)
        return True

    def refresh(self, update: ConfigUpdate) -> None:
        if self._value is None:
            return
        self.stale = update.stale
        self._on_change(self._value, update)

    def report_error(self, e: ConfigError) -> None:
        if str(e) == self.last_error:
            return
        self.last_error = str(e)
        self._on_error(e)


def follow_config(
    source: "DirSource | EtcdSource",
    parse: typing.Callable[[object, str], T],
    on_change: typing.Callable[[T, ConfigUpdate], None],
    on_error: typing.Callable[[ConfigError], None],
    schema: str = "its schema",
) -> ConfigWatch[T]:
    """Follows a config; used by the generated watch_* functions. Callbacks run on a background thread."""
    w = ConfigWatch(parse, on_change, on_error, schema)
    if isinstance(source, DirSource):
        _follow_dir(w, source)
        return w
    endpoints = [e.strip().rstrip("/") for e in (source.etcd.split(",") if isinstance(source.etcd, str) else list(source.etcd)) if e.strip()]
    if not endpoints:
        raise ConfigError(source.prefix, "no etcd endpoint given")
    prefix = source.prefix.rstrip("/")
    cache_dir = os.environ.get("BALE_FLEET_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "bale-fleet")
    cache_file = source.cache_file or os.path.join(cache_dir, _sha((prefix + "\n" + (source.canary or "") + "\n" + source.artifact).encode("utf-8"))[:24] + ".json")
    sub = _Sub(w, source.artifact, source.canary, cache_file)
    key = ",".join(endpoints) + " " + prefix
    with _lock:
        f = _followers.get(key)
        if f is None or f.closed:
            f = _Follower(endpoints, prefix, key)
            _followers[key] = f
        follower = f
    follower.add(sub)
    w.close_hook = lambda: follower.remove(sub)
    return w


def _follow_dir(w: ConfigWatch[typing.Any], source: DirSource) -> None:
    path = os.path.join(source.dir, source.artifact)

    def loop() -> None:
        last: "tuple[int, int, int] | None" = None
        while not w.closed_event.is_set():
            try:
                st = os.stat(path)
                sig = (st.st_ino, st.st_mtime_ns, st.st_size)
                if sig != last:
                    last = sig
                    with open(path, "rb") as fh:
                        raw = fh.read()
                    sha = _sha(raw)
                    if sha != w.sha:
                        w.deliver(raw, ConfigUpdate(path, sha, None, False))
            except OSError as e:
                last = None
                w.report_error(ConfigError(path, "cannot read: " + str(e)))
            w.closed_event.wait(source.poll_s)

    threading.Thread(target=loop, name="bale-watch-dir", daemon=True).start()


@dataclasses.dataclass(frozen=True)
class _Ptr:
    """A manifest key holding a pointer (layout 2): the manifest is at <prefix>/manifests/<hash>."""

    hash: str


class _Sub:
    def __init__(self, w: ConfigWatch[typing.Any], artifact: str, canary: "str | None", cache_file: str) -> None:
        self.w = w
        self.artifact = artifact
        self.canary = canary
        self.cache_file = cache_file


_lock = threading.Lock()
_followers: "dict[str, _Follower]" = {}


class _Follower:
    """One etcd watch stream per (endpoints, prefix) in this process, shared by every config followed under it."""

    def __init__(self, endpoints: "list[str]", prefix: str, key: str) -> None:
        self.endpoints = endpoints
        self.prefix = prefix
        self.key = key
        self.subs: "list[_Sub]" = []
        # Manifest key -> (whole manifest (layout 1) | pointer (layout 2) | why it is unusable, mod revision).
        self.manifests: "dict[str, tuple[dict[str, typing.Any] | _Ptr | str, int]]" = {}
        # Manifests already fetched (shards merged), by root hash (content-addressed, so never stale); pruned to
        # those still named. Their shard lists and the shards themselves (a new root mostly reuses them).
        self.by_hash: "dict[str, dict[str, typing.Any]]" = {}
        self.root_shards: "dict[str, list[str]]" = {}
        self.shards: "dict[str, dict[str, typing.Any]]" = {}
        self.revision = 0
        self.current = 0
        self.closed = False
        self.connected = False
        self.last_failure: "str | None" = None
        self.lock = threading.RLock()
        self.stream: "http.client.HTTPConnection | None" = None
        self.stop = threading.Event()
        threading.Thread(target=self._run, name="bale-watch-etcd", daemon=True).start()

    def add(self, s: _Sub) -> None:
        with self.lock:
            self.subs.append(s)
            if self.connected:
                self._apply_one(s)
            elif self.revision == 0 and self.last_failure is not None:
                self._from_cache(s, self.last_failure)

    def remove(self, s: _Sub) -> None:
        with self.lock:
            if s in self.subs:
                self.subs.remove(s)
            if not self.subs and not self.closed:
                self.closed = True
                self.stop.set()
                with _lock:
                    if _followers.get(self.key) is self:
                        del _followers[self.key]
                self._kill_stream()

    def _kill_stream(self) -> None:
        conn = self.stream
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _conn(self, endpoint: str, timeout: float) -> http.client.HTTPConnection:
        u = urllib.parse.urlsplit(endpoint)
        return http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port or 2379, timeout=timeout)

    def _post(self, path: str, body: object) -> "dict[str, typing.Any]":
        errors: "list[str]" = []
        data = json.dumps(body).encode("utf-8")
        for i in range(len(self.endpoints)):
            idx = (self.current + i) % len(self.endpoints)
            ep = self.endpoints[idx]
            conn = self._conn(ep, 3.0)
            try:
                conn.request("POST", path, data, {"Content-Type": "application/json", "Connection": "close"})
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    raise OSError(ep + ": HTTP " + str(resp.status))
                self.current = idx
                return _obj(json.loads(raw))
            except (OSError, ValueError, http.client.HTTPException) as e:
                errors.append(ep + ": " + str(e))
            finally:
                conn.close()
        raise OSError("; ".join(errors))

    def _set_manifest(self, key: str, value: "bytes | None", rev: int) -> None:
        if value is None:
            self.manifests.pop(key, None)
            return
        try:
            o = _obj(json.loads(value))
            h = o.get("manifest")
            m: "dict[str, typing.Any] | _Ptr | str"
            if o.get("version") == 2 and isinstance(h, str) and len(h) == 64 and all(c in "0123456789abcdef" for c in h):
                m = _Ptr(h)
            elif o.get("version") != 1 or not isinstance(o.get("artifacts"), dict):
                raise ValueError("not a bale fleet manifest")
            else:
                m = o
        except ValueError as e:
            m = "the manifest at " + key + " is not valid (" + str(e) + ")"
        self.manifests[key] = (m, rev)

    def _up(self) -> None:
        with self.lock:
            if self.connected:
                return
            self.connected = True
            self.last_failure = None
            self._apply_all()

    def _run(self) -> None:
        delay = 0.1
        while not self.stop.is_set():
            try:
                if self.revision == 0:
                    mkey = self.prefix + "/m/"
                    r = self._post("/v3/kv/range", {"key": _b64(mkey), "range_end": _range_end(mkey)})
                    with self.lock:
                        self.manifests.clear()
                        for kv in _list(r.get("kvs")):
                            self._set_manifest(*_kv(kv))
                        self.revision = int(str(_obj(r.get("header")).get("revision", "0")))
                    self._up()
                why = self._watch(self.revision + 1)
                delay = 0.1
                if why == "compacted":
                    self.revision = 0
            except (OSError, ValueError, http.client.HTTPException) as e:
                with self.lock:
                    first = self.last_failure is None
                    self.last_failure = str(e)
                    self.connected = False
                    if first:
                        for s in list(self.subs):
                            self._from_cache(s, str(e))
            if self.stop.wait(delay):
                break
            delay = min(delay * 2, 2.0)

    def _watch(self, rev: int) -> str:
        mkey = self.prefix + "/m/"
        body = json.dumps({"create_request": {"key": _b64(mkey), "range_end": _range_end(mkey), "start_revision": str(rev)}}).encode("utf-8")
        errors: "list[str]" = []
        for i in range(len(self.endpoints)):
            idx = (self.current + i) % len(self.endpoints)
            ep = self.endpoints[idx]
            conn = self._conn(ep, 3.0)
            try:
                conn.request("POST", "/v3/watch", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                if resp.status != 200:
                    raise OSError(ep + ": HTTP " + str(resp.status))
            except (OSError, http.client.HTTPException) as e:
                errors.append(ep + ": " + str(e))
                conn.close()
                continue
            self.current = idx
            if conn.sock is not None:
                conn.sock.settimeout(None)
            self.stream = conn
            if self.stop.is_set():
                conn.close()
                return "ended"
            self._up()
            try:
                return self._read_stream(resp)
            except (OSError, ValueError, http.client.HTTPException):
                return "ended"
            finally:
                with self.lock:
                    self.connected = False
                self.current = (self.current + 1) % len(self.endpoints)
                conn.close()
        raise OSError("no etcd member answered (" + "; ".join(errors) + ")")

    def _read_stream(self, resp: http.client.HTTPResponse) -> str:
        while not self.stop.is_set():
            line = resp.readline()
            if not line:
                return "ended"
            line = line.strip()
            if not line:
                continue
            result = _obj(_obj(json.loads(line)).get("result"))
            if not result:
                return "ended"
            if str(result.get("compact_revision", "0")) != "0":
                return "compacted"
            if result.get("canceled"):
                return "ended"
            events = _list(result.get("events"))
            if not events:
                continue
            with self.lock:
                # Every revision is applied in order (a replay after a reconnect can bring several in one message).
                for j, ev in enumerate(events):
                    k, value, mrev = _kv(_obj(ev).get("kv"))
                    self._set_manifest(k, None if _obj(ev).get("type") == "DELETE" else value, mrev)
                    self.revision = max(self.revision, mrev)
                    if j + 1 == len(events) or _kv(_obj(events[j + 1]).get("kv"))[2] != mrev:
                        self._apply_all()
        return "ended"

    def _apply_all(self) -> None:
        self._apply(list(self.subs))

    def _apply_one(self, s: _Sub) -> None:
        self._apply([s])

    def _fetch_stored(self, hashes: "list[str]", out: "dict[str, dict[str, typing.Any] | str]") -> None:
        """Reads values under <prefix>/manifests/ (one read-only transaction per 128), each checked against its hash and parsed."""
        for i in range(0, len(hashes), 128):
            part = hashes[i : i + 128]
            try:
                r = self._post("/v3/kv/txn", {"success": [{"request_range": {"key": _b64(self.prefix + "/manifests/" + h)}} for h in part]})
            except (OSError, ValueError) as e:
                for h in part:
                    out[h] = "cannot fetch manifest " + h[:12] + ": " + str(e)
                continue
            responses = _list(r.get("responses"))
            for j, h in enumerate(part):
                where = self.prefix + "/manifests/" + h
                kvs = _list(_obj(_obj(responses[j] if j < len(responses) else None).get("response_range")).get("kvs"))
                if not kvs:
                    out[h] = "the manifest " + where + " is missing"
                    continue
                _, raw, _ = _kv(kvs[0])
                if _sha(raw) != h:
                    out[h] = "the manifest " + where + " does not match its sha256 (edited in etcd?)"
                    continue
                try:
                    o = _obj(json.loads(raw))
                    if o.get("version") != 2:
                        raise ValueError("not a bale fleet manifest")
                except ValueError as e:
                    out[h] = "the manifest " + where + " is not valid (" + str(e) + ")"
                    continue
                out[h] = o

    def _resolve(self, ptrs: "list[_Ptr]") -> "dict[str, dict[str, typing.Any] | str]":
        """Resolves pointers: the root each names, then the shards it lists that are not here yet (content-addressed, never stale)."""
        out: "dict[str, dict[str, typing.Any] | str]" = {}
        roots: "list[str]" = []
        for p in ptrs:
            if p.hash not in roots:
                roots.append(p.hash)
        need = [h for h in roots if h not in self.by_hash]
        got: "dict[str, dict[str, typing.Any] | str]" = {}
        self._fetch_stored(need, got)
        shards_of: "dict[str, list[str] | str]" = {}
        for h in need:
            root = got.get(h, "the manifest " + h[:12] + " was not fetched")
            if isinstance(root, str):
                shards_of[h] = root
                continue
            lst = root.get("shards")
            if not isinstance(lst, list) or not all(isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdef" for c in x) for x in typing.cast("list[object]", lst)):
                shards_of[h] = "the manifest " + self.prefix + "/manifests/" + h + " is not valid (no shard list)"
                continue
            shards_of[h] = typing.cast("list[str]", lst)
        want: "list[str]" = []
        for lst in shards_of.values():
            if isinstance(lst, list):
                for x in lst:
                    if x not in self.shards and x not in want:
                        want.append(x)
        shard_values: "dict[str, dict[str, typing.Any] | str]" = {}
        self._fetch_stored(want, shard_values)
        for x, v in shard_values.items():
            if not isinstance(v, str) and isinstance(v.get("artifacts"), dict):
                self.shards[x] = _obj(v.get("artifacts"))
        for h in roots:
            known = self.by_hash.get(h)
            if known is not None:
                out[h] = known
                continue
            lst = shards_of.get(h, "the manifest " + h[:12] + " was not fetched")
            if isinstance(lst, str):
                out[h] = lst
                continue
            artifacts: "dict[str, typing.Any]" = {}
            bad: "str | None" = None
            for x in lst:
                a = self.shards.get(x)
                if a is None:
                    v = shard_values.get(x)
                    bad = v if isinstance(v, str) else "the manifest shard " + self.prefix + "/manifests/" + x + " is not valid"
                    break
                artifacts.update(a)
            if bad is not None:
                out[h] = bad
                continue
            m: "dict[str, typing.Any]" = {"artifacts": artifacts}
            self.by_hash[h] = m
            self.root_shards[h] = lst
            out[h] = m
        named = {m.hash for m, _ in self.manifests.values() if isinstance(m, _Ptr)}
        for h in list(self.by_hash):
            if h not in named and h not in out:
                del self.by_hash[h]
                self.root_shards.pop(h, None)
        keep = {x for lst in self.root_shards.values() for x in lst}
        for x in list(self.shards):
            if x not in keep:
                del self.shards[x]
        return out

    def _apply(self, subs: "list[_Sub]") -> None:
        """Brings every sub to its manifest's value; the blobs needed are fetched together (one request per 128)."""

        def key_of(s: _Sub) -> str:
            canary_key = None if s.canary is None else self.prefix + "/m/canary/" + s.canary
            return canary_key if canary_key is not None and canary_key in self.manifests else self.prefix + "/m/live"

        ptrs: "list[_Ptr]" = []
        for s in subs:
            e = self.manifests.get(key_of(s))
            if e is not None and isinstance(e[0], _Ptr):
                ptrs.append(e[0])
        resolved = self._resolve(ptrs)
        todo: "list[tuple[_Sub, str, ConfigUpdate]]" = []
        for s in subs:
            if s not in self.subs:
                continue
            w = s.w
            key = key_of(s)
            entry = self.manifests.get(key)
            if entry is None:
                w.report_error(ConfigError(key, "nothing is published here yet; keeping " + ("the last good value" if w.sha else "no value")))
                continue
            head, rev = entry
            m = resolved.get(head.hash, "the manifest " + head.hash[:12] + " was not fetched") if isinstance(head, _Ptr) else head
            if isinstance(m, str):
                w.report_error(ConfigError(key, m + "; keeping the last good value"))
                continue
            a = _obj(_obj(m.get("artifacts")).get(s.artifact))
            sha = a.get("sha256")
            if not isinstance(sha, str):
                w.report_error(ConfigError(key, s.artifact + " is not in the published manifest; keeping the last good value"))
                continue
            update = ConfigUpdate(key, sha, rev, False)
            if sha == w.sha:
                if w.stale:
                    w.refresh(update)
                continue
            todo.append((s, key, update))
        if not todo:
            return
        shas = sorted({u.sha256 for _, _, u in todo})
        blobs: "dict[str, bytes]" = {}
        failure: "str | None" = None
        try:
            for i in range(0, len(shas), 128):
                ops = [{"request_range": {"key": _b64(self.prefix + "/blobs/" + sha)}} for sha in shas[i : i + 128]]
                r = self._post("/v3/kv/txn", {"success": ops})
                for resp in _list(r.get("responses")):
                    kvs = _list(_obj(_obj(resp).get("response_range")).get("kvs"))
                    if kvs:
                        k, value, _ = _kv(kvs[0])
                        blobs[k[len(self.prefix) + 7 :]] = value
        except (OSError, ValueError) as e:
            failure = str(e)
        for s, key, update in todo:
            if s not in self.subs:
                continue
            bkey = self.prefix + "/blobs/" + update.sha256
            raw = blobs.get(update.sha256)
            if raw is None:
                if failure is None:
                    s.w.report_error(ConfigError(bkey, "the artifact blob is missing"))
                else:
                    s.w.report_error(ConfigError(key, "cannot fetch " + s.artifact + ": " + failure))
                continue
            if _sha(raw) != update.sha256:
                s.w.report_error(ConfigError(bkey, "the blob does not match its sha256 (edited in etcd?)"))
                continue
            if s.w.deliver(raw, update):
                _save_cache(s.cache_file, raw, update)

    def _from_cache(self, s: _Sub, why: str) -> None:
        w = s.w
        where = ",".join(self.endpoints)
        if w.sha is not None:
            w.report_error(ConfigError(where, "etcd unreachable (" + why + "); keeping the current value and reconnecting"))
            return
        try:
            with open(s.cache_file, "rb") as fh:
                saved = _obj(json.loads(fh.read()))
        except (OSError, ValueError):
            w.report_error(ConfigError(where, "etcd unreachable (" + why + ") and no last good value saved at " + s.cache_file + "; waiting for etcd"))
            return
        blob = saved.get("blob")
        sha = saved.get("sha256")
        if not isinstance(blob, str) or not isinstance(sha, str) or _sha(blob.encode("utf-8")) != sha:
            w.report_error(ConfigError(s.cache_file, "the saved last good value is damaged; waiting for etcd"))
            return
        rev = saved.get("revision")
        revision = rev if isinstance(rev, int) else None
        if w.deliver(blob.encode("utf-8"), ConfigUpdate(s.cache_file, sha, revision, True)):
            w.report_error(ConfigError(s.cache_file, "etcd unreachable (" + why + "); running on the last good value saved " + str(saved.get("savedAt")) + " (revision " + str(revision) + "), which may be stale"))


def _save_cache(path: str, raw: bytes, u: ConfigUpdate) -> None:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = path + ".tmp-" + str(os.getpid())
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"blob": raw.decode("utf-8"), "sha256": u.sha256, "revision": u.revision, "savedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, fh)
        os.replace(tmp, path)
    except OSError:
        pass
