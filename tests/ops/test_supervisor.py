"""bot.ops.supervisor with real child processes (small Python programs, no mocks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from bot.ops.supervisor import (
    ProcessSpec,
    SpecError,
    Supervisor,
    describe_exit,
    main,
    parse_private,
)

PY = sys.executable


def _program(tmp: Path, name: str, body: str) -> str:
    path = tmp / f"{name}.py"
    path.write_text(body)
    return f"{PY} {path}"


def _start(tmp: Path, *processes: str, extra: List[str] = ()) -> subprocess.Popen:
    args = [
        PY,
        "-m",
        "bot.ops.supervisor",
        "--backoff",
        "0.2",
        "--max-backoff",
        "0.8",
        "--stable",
        "30",
        "--grace",
        "3",
        *extra,
    ]
    for process in processes:
        args += ["--process", process]
    return subprocess.Popen(
        args, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2]
    )


def _wait_file(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_process_spec_reads_leading_variables_and_refuses_bad_specs() -> None:
    spec = ProcessSpec.parse("rasa=A=1 B='two words' python -m x --flag 'a b'")
    assert spec.name == "rasa" and spec.env == {"A": "1", "B": "two words"}
    assert spec.argv == ["python", "-m", "x", "--flag", "a b"]
    for bad in ["noequals", "Bad=cmd", "x=", "x=A=1", "x=unclosed 'quote"]:
        with pytest.raises(SpecError):
            ProcessSpec.parse(bad)
    assert parse_private(["rasa:S1,S2"]) == {"rasa": ["S1", "S2"]}
    with pytest.raises(SpecError):
        parse_private(["rasa:"])
    with pytest.raises(SpecError):
        Supervisor([ProcessSpec.parse("a=true"), ProcessSpec.parse("a=true")], {})
    with pytest.raises(SpecError):
        Supervisor([ProcessSpec.parse("a=true")], {"b": ["X"]})
    assert main(["--process", "Bad=true"]) == 2
    assert describe_exit(3) == "exit status 3" and describe_exit(-9) == "killed by SIGKILL"


def test_private_variables_reach_only_their_process(tmp_path: Path) -> None:
    dump = (
        "import os,sys,time; get = os.environ.get;"
        " open(sys.argv[1],'w').write(get('SECRET','-')+' '+get('OWN','-')); time.sleep(60)"
    )
    script = _program(tmp_path, "dump", dump)
    env = dict(os.environ, SECRET="s3cret")
    sup = subprocess.Popen(
        [
            PY,
            "-m",
            "bot.ops.supervisor",
            "--grace",
            "2",
            "--process",
            f"one=OWN=mine {script} {tmp_path / 'one.txt'}",
            "--process",
            f"two={script} {tmp_path / 'two.txt'}",
            "--private",
            "one:SECRET",
        ],
        env=env,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert _wait_file(tmp_path / "one.txt") == "s3cret mine"
        assert _wait_file(tmp_path / "two.txt") == "- -"
    finally:
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(10) == 0


def test_a_crashed_process_is_restarted_with_backoff_and_logged_while_others_keep_running(
    tmp_path: Path,
) -> None:
    # "crasher" writes its pid and exits with status 3 at once, every time it starts;
    # "steady" writes its pid and runs on.
    crasher = _program(
        tmp_path,
        "crasher",
        "import os,sys; open(sys.argv[1],'a').write(f'{os.getpid()}\\n'); sys.exit(3)",
    )
    steady = _program(
        tmp_path,
        "steady",
        "import os,sys,time; open(sys.argv[1],'w').write(str(os.getpid())); time.sleep(120)",
    )
    sup = _start(
        tmp_path,
        f"steady={steady} {tmp_path / 'steady.pid'}",
        f"crasher={crasher} {tmp_path / 'crasher.pids'}",
    )
    try:
        steady_pid = int(_wait_file(tmp_path / "steady.pid"))
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline and len((tmp_path / "crasher.pids").read_text().split()) < 4
            if (tmp_path / "crasher.pids").exists()
            else True
        ):
            time.sleep(0.1)
        starts = (tmp_path / "crasher.pids").read_text().split()
        assert len(starts) >= 4, starts
        assert _alive(steady_pid), "the steady process was touched when another crashed"
    finally:
        sup.send_signal(signal.SIGTERM)
        _, log = sup.communicate(timeout=15)
    assert sup.returncode == 0
    assert "crasher exit status 3" in log
    assert "restart 1 in 0 s" in log or "restart 1 in" in log
    assert "crasher restarted" in log and "restart 3)" in log
    # back-off doubles up to the maximum: 0.2, 0.4, 0.8, 0.8 s
    assert log.count("steady started") == 1 and "steady restarted" not in log
    assert not _alive(steady_pid)


def test_stop_goes_in_reverse_order_and_waits_for_each(tmp_path: Path) -> None:
    # Each program records when it got SIGTERM and takes 0.5 s to finish its work.
    slow_exit = (
        "import signal,sys,time\n"
        "def bye(*_):\n"
        "    say = open(sys.argv[1], 'a').write\n"
        "    say(f'{sys.argv[2]} term {time.monotonic()}\\n'); time.sleep(0.5)\n"
        "    say(f'{sys.argv[2]} done {time.monotonic()}\\n'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "open(sys.argv[1],'a').write(f'{sys.argv[2]} up 0\\n')\n"
        "while True: time.sleep(1)\n"
    )
    script = _program(tmp_path, "slow_exit", slow_exit)
    record = tmp_path / "record.txt"
    sup = _start(tmp_path, f"backend={script} {record} backend", f"front={script} {record} front")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        not record.exists() or record.read_text().count(" up ") < 2
    ):
        time.sleep(0.05)
    sup.send_signal(signal.SIGINT)
    _, log = sup.communicate(timeout=15)
    events = [line.split()[:2] for line in record.read_text().splitlines() if " up " not in line]
    assert events == [
        ["front", "term"],
        ["front", "done"],
        ["backend", "term"],
        ["backend", "done"],
    ], events
    assert "received SIGINT" in log and "backend stopped (exit status 0)" in log


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    stubborn = _program(
        tmp_path,
        "stubborn",
        "import os,signal,sys,time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " open(sys.argv[1],'w').write(str(os.getpid())); time.sleep(120)",
    )
    sup = _start(tmp_path, f"stubborn={stubborn} {tmp_path / 'pid'}")
    pid = int(_wait_file(tmp_path / "pid"))
    started = time.monotonic()
    sup.send_signal(signal.SIGTERM)
    _, log = sup.communicate(timeout=20)
    assert 2.5 < time.monotonic() - started < 10
    assert (
        "still running after 3 s: SIGKILL" in log and "stubborn stopped (killed by SIGKILL)" in log
    )
    assert not _alive(pid)


def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    steady = _program(
        tmp_path,
        "steady",
        "import os,sys,time; open(sys.argv[1],'w').write(str(os.getpid())); time.sleep(120)",
    )
    sup = _start(tmp_path, f"steady={steady} {tmp_path / 'pid'}")
    pid = int(_wait_file(tmp_path / "pid"))
    sup.kill()
    sup.wait(5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "an orphan outlived its supervisor"
