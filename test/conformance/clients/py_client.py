"""Runs conformance RPC cases through the generated Python client.

Usage: python3 py_client.py <gen dir>/python <base url> < cases.json > results.json
Input: a JSON list of {"name", "method", "request"}; output: a JSON list of
{"name", "response"} or {"name", "error": {"code", "status"}} in the same order.
"""

import json
import re
import sys

sys.path.insert(0, sys.argv[1])

import bale_gen  # noqa: E402
from bale_gen import ConformanceClient, ConnectError, ValidationError  # noqa: E402

INPUTS = {
    "Echo": bale_gen.Everything,
    "Add": bale_gen.AddRequest,
    "Fail": bale_gen.FailRequest,
    "Lookup": bale_gen.LookupRequest,
    "BadOutput": bale_gen.Empty,
    "Crash": bale_gen.Empty,
    "Grow": bale_gen.Tree,
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


client = ConformanceClient(sys.argv[2])
results = []
for case in json.load(sys.stdin):
    method = getattr(client, snake(case["method"]))
    request = case["request"]
    try:
        # Valid requests go through the dataclass (from_dict + to_dict); invalid ones are sent raw.
        request = INPUTS[case["method"]].from_dict(request)
        typed = True
    except ValidationError:
        typed = False
    try:
        reply = method(request)
        results.append({"name": case["name"], "typed": typed, "response": reply.to_dict()})
    except ConnectError as e:
        results.append({"name": case["name"], "typed": typed, "error": {"code": e.code, "status": e.status, "message": e.message}})
json.dump(results, sys.stdout, ensure_ascii=False)
