"""The README's walkthrough, run as a newcomer would: its shell blocks against a fresh ``make run``-style server.

The blocks of "Five minutes with curl" and "The fund and the pool in the demo" run in bash, in order, against a
server started here exactly as ``make run`` starts one: its own SQLite database, ``bridgefund db upgrade``,
``bridgefund demo --if-empty``, gunicorn on a free loopback port. Every ``curl`` is recorded (status and body) by a
shell function standing in for it, and compared with the README's comment for it:

    curl -s $API/banks ...
    # → 201 {"id": 13, "code": "HXB-ZZ", ...}

``→ STATUS`` is the HTTP status (a command without such a comment must answer 2xx); the object after it lists fields
the JSON answer must have, recursively (``...`` marks what is left out; a list without ``...`` has exactly the items
shown). A comment may continue on the following comment lines. So the README fails this test as soon as it drifts
from the service. About 30 s: most of it is loading the demo.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The README's sections whose commands are the walkthrough (the second is a subsection of the first).
SECTIONS = ("## Five minutes with curl", "### The fund and the pool in the demo")
#: The API base the README uses: ``make run``'s default HOST and PORT.
README_API = "http://127.0.0.1:5000/api/v1"
MORE = object()  # "..." in a list: more items may follow

# Stands in for curl: records each call's arguments, status and body, prints the body as curl -s would.
CURL_RECORDER = r"""
curl() {
  local n
  n=$(( $(cat "$CURL_LOG/count") + 1 ))
  echo "$n" > "$CURL_LOG/count"
  printf '%s\0' "$@" > "$CURL_LOG/$n.args"
  command curl -sS --max-time 60 -o "$CURL_LOG/$n.body" -w '%{http_code}' "$@" > "$CURL_LOG/$n.status"
  cat "$CURL_LOG/$n.body"
}
set -eo pipefail
"""


@dataclass
class Expectation:
    line: int  # README line of the comment
    status: int | None
    body: Any = None
    text: str = ""


@dataclass
class Call:
    line: int  # README line where the curl command starts
    expectations: list[Expectation] = field(default_factory=list)


# ---------------------------------------------------------------- reading the README


def walkthrough(readme: str) -> tuple[str, int]:
    """The shell blocks of the walkthrough sections, joined, and the README line the first one starts on.

    Lines of other text between the blocks become blank lines, so that line numbers in messages are README lines.
    """
    for heading in SECTIONS:
        if not re.search(rf"^{re.escape(heading)}\s*$", readme, re.M):
            raise AssertionError(f"README.md has no section {heading!r}")
    start = readme.index(SECTIONS[0])
    after = re.search(r"^## (?!#)", readme[start + 3:], re.M)
    end = start + 3 + after.start() if after else len(readme)
    lines = readme.splitlines()
    first = readme[:start].count("\n")
    last = readme[:end].count("\n")
    out: list[str] = []
    inside = False
    for text in lines[first:last]:
        if text.strip() == "```sh":
            inside = True
            out.append("")
        elif inside and text.strip() == "```":
            inside = False
            out.append("")
        else:
            out.append(text if inside else "")
    return "\n".join(out), first + 1


def _split_comment(script: str) -> list[tuple[str, str]]:
    """Each script line as (code, comment), quote-aware (a ``#`` inside quotes is code; quotes span lines)."""
    out: list[tuple[str, str]] = []
    quote = ""
    for text in script.split("\n"):
        code_end = len(text)
        prev = " "
        for i, ch in enumerate(text):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "#" and prev.isspace():
                code_end = i
                break
            prev = ch
        out.append((text[:code_end], text[code_end:]))
    return out


def _to_json(text: str) -> Any:
    """Parse a README answer object: JSON where ``...`` (or ``…``) marks fields or items left out."""
    text = text.replace("…", "...")
    text = re.sub(r",?\s*\.\.\.\s*}", "}", text)
    text = re.sub(r",\s*\.\.\.\s*]", ', "__MORE__"]', text)
    text = re.sub(r"\[\s*\.\.\.\s*]", '["__MORE__"]', text)

    def mark(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [MORE if v == "__MORE__" else mark(v) for v in value]
        return value

    return mark(json.loads(text))


def _balanced(text: str) -> str:
    """The leading ``{…}`` of ``text`` (quote-aware), or raise."""
    depth, quote, escaped = 0, False, False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[: i + 1]
    raise ValueError(f"unbalanced answer object: {text!r}")


def parse_calls(script: str, first_line: int) -> list[Call]:
    """Every ``curl`` of the script in order, each with the ``→`` comments that follow it."""
    calls: list[Call] = []
    rows = _split_comment(script)
    i = 0
    while i < len(rows):
        code, comment = rows[i]
        for _ in re.finditer(r"(?<![\w$-])curl\s", code):
            calls.append(Call(line=first_line + i))
        if "→" in comment:
            text = comment[comment.index("→") + 1:]
            j = i + 1
            while j < len(rows) and not rows[j][0].strip() and re.match(r"#\s{2,}\S", rows[j][1]) \
                    and "→" not in rows[j][1]:
                text += " " + rows[j][1].lstrip("#").strip()
                j += 1
            if not calls:
                raise AssertionError(f"README line {first_line + i}: an answer comment before any curl")
            m = re.match(r"\s*(\d{3})?\s*(.*)$", text, re.S)
            status = int(m.group(1)) if m.group(1) else None
            rest = m.group(2).strip()
            body = _to_json(_balanced(rest)) if rest.startswith("{") else None
            calls[-1].expectations.append(
                Expectation(line=first_line + i, status=status, body=body, text=text.strip()))
            i = j
            continue
        i += 1
    return calls


# ---------------------------------------------------------------- comparing


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` does not have what ``expected`` shows (dicts: a subset; lists: item by item)."""
    where = path or "the answer"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        out: list[str] = []
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{where}: no field {k!r}")
            else:
                out += differences(v, actual[k], f"{path}.{k}" if path else k)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        open_ended = bool(expected) and expected[-1] is MORE
        items = expected[:-1] if open_ended else expected
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{where}: expected {len(items)}{' or more' if open_ended else ''} items, got {len(actual)}"]
        out = []
        for n, (e, a) in enumerate(zip(items, actual, strict=False)):
            out += differences(e, a, f"{where}[{n}]")
        return out
    if expected != actual or type(expected) is not type(actual):
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def check_call(call: Call, status: int, body: bytes, args: list[str]) -> list[str]:
    """What is wrong with one recorded curl, judged by its README comments (none: it must answer 2xx)."""
    out: list[str] = []
    if any(a in ("-d", "--data", "--data-raw") for a in args) and not any(
            a.lower().replace(" ", "") == "content-type:application/json" for a in args):
        out.append("sends a body without -H 'Content-Type: application/json'")
    if not call.expectations:
        if not 200 <= status < 300:
            out.append(f"answered {status} where the README shows no other status (so 2xx): {body[:300]!r}")
        return out
    for exp in call.expectations:
        if exp.status is not None and status != exp.status:
            out.append(f"line {exp.line}: expected status {exp.status}, got {status}: {body[:300]!r}")
        elif exp.status is None and not 200 <= status < 300:
            out.append(f"line {exp.line}: expected 2xx, got {status}: {body[:300]!r}")
        if exp.body is not None:
            try:
                answer = json.loads(body)
            except ValueError:
                out.append(f"line {exp.line}: the answer is not JSON: {body[:300]!r}")
                continue
            out += [f"line {exp.line}: {d}" for d in differences(exp.body, answer)]
    return out


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(args[2:])} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh server as ``make run`` starts it; yields its API base URL."""
    home = tmp_path_factory.mktemp("make-run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEFUND_")}
    env.update(
        BRIDGEFUND_DATABASE_URL=f"sqlite:///{home / 'bridgefund.sqlite3'}",
        BRIDGEFUND_REPORTS_DIR=str(home / "reports"),
        BRIDGEFUND_SECRET_KEY="readme-walkthrough-" + "0" * 32,
        BRIDGEFUND_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    cli = [sys.executable, "-c", "from bridgefund.cli import main; main()"]
    _run([*cli, "db", "upgrade"], env)
    _run([*cli, "demo", "--if-empty"], env)
    port = _free_port()
    log = (home / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (home / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "the server did not answer /healthz within 60 s"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# ---------------------------------------------------------------- the tests


def test_the_walkthrough_shows_checkable_answers() -> None:
    """The README shows answers the test can check: the risky steps carry a status, the money an answer object."""
    script, first = walkthrough(README.read_text(encoding="utf-8"))
    assert f"API={README_API}" in script, "the walkthrough must start from make run's address"
    calls = parse_calls(script, first)
    assert len(calls) >= 20
    expected = [c for c in calls if c.expectations]
    assert len(expected) >= 15, "most commands should show what they answer"
    statuses = {e.status for c in expected for e in c.expectations}
    assert {200, 201, 404, 422} <= statuses
    assert all(e.body is not None or e.status is not None for c in expected for e in c.expectations)


def test_every_setting_is_in_the_configuration_table() -> None:
    """Each ``BRIDGEFUND_*`` variable the settings read, and each the shipped HAProxy configuration reads, is named
    in the README's configuration table."""
    from bridgefund.config import _ENV

    readme = README.read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration"):readme.index("## Running in production")]
    haproxy = re.findall(r"\$\{(\w+)\}", (ROOT / "deploy" / "haproxy.cfg").read_text())
    assert haproxy, "deploy/haproxy.cfg takes its addresses from the environment"
    missing = [v for v in [*_ENV.values(), *haproxy] if f"`{v}`" not in table]
    assert not missing, f"not in the README's configuration table: {missing}"


def test_the_readme_shows_the_haproxy_configuration_the_tests_run() -> None:
    """README "Several instances" shows ``deploy/haproxy.cfg`` as it is (tests/multi runs that file)."""
    shown = re.search(r"```haproxy\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    assert shown.group(1) == (ROOT / "deploy" / "haproxy.cfg").read_text()


def test_a_drifted_readme_is_caught() -> None:
    """The comparison fails on a status, a value, a missing field or a list of another length."""
    script = (
        "curl -s $API/banks -d '{\"code\": \"X # not a comment\"}' -H 'Content-Type: application/json'\n"
        '# → 201 {"id": 13, "pool_quota": "50000000.00", "items": [{"code": "A"}, ...], ...}\n'
        "curl -s $API/banks/1   # another bank → 404\n"
    )
    calls = parse_calls(script, 1)
    assert [len(c.expectations) for c in calls] == [1, 1]
    args = ["-d", "{}", "-H", "Content-Type: application/json"]
    good = json.dumps({"id": 13, "pool_quota": "50000000.00", "items": [{"code": "A"}, {"code": "B"}], "x": 1})
    assert check_call(calls[0], 201, good.encode(), args) == []
    assert check_call(calls[1], 404, b"{}", []) == []
    assert check_call(calls[0], 409, good.encode(), args)  # another status
    assert check_call(calls[0], 201, good.replace("50000000.00", "5.00").encode(), args)  # another value
    assert check_call(calls[0], 201, b'{"id": 13, "items": [{"code": "A"}]}', args)  # a field missing
    assert check_call(calls[0], 201, good.replace('"id": 13', '"id": "13"').encode(), args)  # another type
    assert check_call(calls[0], 201, good.encode(), ["-d", "{}"])  # a JSON body without its content type
    assert check_call(calls[1], 200, b"{}", [])
    assert check_call(Call(line=1), 409, b"{}", []), "no comment: 2xx expected"
    exact = parse_calls('curl x\n# → 200 {"items": [{"code": "A"}]}\n', 1)[0]
    assert check_call(exact, 200, b'{"items": [{"code": "A"}, {"code": "B"}]}', [])  # a list without "..."


def test_the_readme_walkthrough_runs_against_a_fresh_server(server: str, tmp_path: Path) -> None:
    """Every command of the walkthrough answers what the README says, in order, on a fresh demo server."""
    assert shutil.which("curl") and shutil.which("bash") and shutil.which("python3"), "needs bash, curl, python3"
    script, first = walkthrough(README.read_text(encoding="utf-8"))
    calls = parse_calls(script, first)
    log = tmp_path / "curl"
    log.mkdir()
    (log / "count").write_text("0")
    runnable = script.replace(f"API={README_API}", f"API={server}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEFUND_")}
    env["CURL_LOG"] = str(log)
    done = subprocess.run(["bash", "-c", CURL_RECORDER + runnable], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    ran = int((log / "count").read_text())
    problems: list[str] = []
    for n, call in enumerate(calls[:ran], start=1):
        status = int((log / f"{n}.status").read_text() or "0")
        body = (log / f"{n}.body").read_bytes() if (log / f"{n}.body").exists() else b""
        args = (log / f"{n}.args").read_text(encoding="utf-8").split("\0")
        problems += [f"README line {call.line} (curl #{n}): {p}" for p in check_call(call, status, body, args)]
    if done.returncode != 0:
        problems.append(f"the walkthrough stopped (bash exit {done.returncode}): {done.stderr[-2000:]}")
    if ran != len(calls):
        problems.append(f"{ran} curl commands ran, the README has {len(calls)}")
    assert not problems, "the README walkthrough drifted from the service:\n" + "\n".join(problems)
