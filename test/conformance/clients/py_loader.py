"""Loads config files through the generated Python loader.

Usage: python3 py_loader.py <gen dir>/python <file>...
Prints a JSON list: {"value": <to_dict()>} or {"error": "<ConfigError text>"} per file.
"""

import json
import sys

sys.path.insert(0, sys.argv[1])

from bale_gen import ConfigError, load_app_config  # noqa: E402

out = []
for path in sys.argv[2:]:
    try:
        out.append({"value": load_app_config(path).to_dict()})
    except ConfigError as e:
        out.append({"error": str(e)})
json.dump(out, sys.stdout, ensure_ascii=False)
