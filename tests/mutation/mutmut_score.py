"""The score of the last ``mutmut run`` (``make mutate``): killed / total per file, and every survivor.

Reads mutmut's result files (``mutants/**/*.py.meta``: the exit code of the tests for each mutant; 1 or 3 is a
kill, 0 a survivor). A mutant no test reaches ("no tests") or that timed out is listed apart and is counted
in the total, not as killed. Run: ``python -m tests.mutation.mutmut_score`` after ``mutmut run``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {24, -24, 36, 152, 255}


def _status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in TIMEOUT:
        return "timeout"
    return "suspicious"


def main(root: str = "mutants") -> int:
    metas = sorted(Path(root).rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {root}/: run `mutmut run` first")
        return 2
    total: Counter[str] = Counter()
    others: list[tuple[str, str]] = []
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        if not codes:
            continue
        by_file = Counter(_status(c) for c in codes.values())
        total += by_file
        name = meta.relative_to(root).as_posix().removesuffix(".meta")
        print(f"{name}: killed {by_file['killed']} / {sum(by_file.values())}"
              + "".join(f", {k} {v}" for k, v in sorted(by_file.items()) if k != "killed"))
        others += [(key, _status(code)) for key, code in sorted(codes.items()) if _status(code) != "killed"]
    print(f"\nmutmut over bridgefund/finance/: killed {total['killed']} / {sum(total.values())}"
          + "".join(f", {k} {v}" for k, v in sorted(total.items()) if k != "killed"))
    for key, status in others:
        print(f"{status.upper()}: {key.replace(chr(0x1C1), '.')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
