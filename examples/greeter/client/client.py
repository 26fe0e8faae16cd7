"""Calls a running greeter server through the generated Python client.

Usage: python3 client/client.py http://127.0.0.1:PORT NAME [LANGUAGE]
Exits 0 and prints the reply; on a Connect error prints `error <code>: <message>` and exits 3.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen", "python"))

from bale_gen import ConnectError, GreeterClient, HelloRequest  # noqa: E402


def main() -> int:
    url, name = sys.argv[1], sys.argv[2]
    language = sys.argv[3] if len(sys.argv) > 3 else None
    client = GreeterClient(url)
    try:
        reply = client.say_hello(HelloRequest(name=name, language=language))  # type: ignore[arg-type]
    except ConnectError as e:
        print(f"error {e.code}: {e.message}")
        return 3
    print(f"{reply.message} [{reply.language}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
