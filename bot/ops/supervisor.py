"""Keep the assistant's processes running: `make run` starts them through this supervisor.

    python -m bot.ops.supervisor --process 'actions=.venv/bin/python -m ...' \
        --process 'rasa=SANIC_REQUEST_TIMEOUT=15 .venv/bin/python -m rasa run ...' \
        --private rasa:BOT_SESSION_SECRET

Each ``--process NAME=COMMAND`` is a shell-quoted command line; leading ``VAR=value``
words set variables for that process only (as a shell would). Every process gets the
supervisor's environment except the variables named by ``--private NAME:VAR[,VAR]``,
which only that process gets (the chat page's session secret is Rasa's alone).

A process that exits while the supervisor is not stopping is logged (which process,
its exit status or signal, how many restarts so far) and started again after a back-off
that doubles from ``--backoff`` seconds up to ``--max-backoff``; a process that then
stays up for ``--stable`` seconds starts from the shortest back-off again. The other
processes are not touched, so the Rasa server keeps answering (and escalating warning
signs) while a crashed action server comes back.

SIGINT or SIGTERM stops everything, in the reverse order of ``--process`` (so list a
server before the servers that call it): each process gets SIGTERM and is waited for,
so Sanic (Rasa's and the action server's web server) stops accepting connections and
lets in-flight requests finish; whatever is still running after ``--grace`` seconds in
all gets SIGKILL. Children die with the supervisor even if it is killed outright.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Sequence

ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")


class SpecError(ValueError):
    """A --process or --private argument that cannot be used."""


@dataclass
class ProcessSpec:
    """One supervised process: its name, command and its own variables."""

    name: str
    argv: List[str]
    env: Dict[str, str] = field(default_factory=dict)
    private: List[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> "ProcessSpec":
        name, sep, command = text.partition("=")
        if not sep or not NAME.match(name):
            raise SpecError(
                f"--process needs NAME=COMMAND with a short lower-case name, got {text!r}"
            )
        try:
            words = shlex.split(command)
        except ValueError as error:
            raise SpecError(f"--process {name}: {error}") from None
        env: Dict[str, str] = {}
        while words and ASSIGNMENT.match(words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        if not words:
            raise SpecError(f"--process {name}: no command")
        return cls(name=name, argv=words, env=env)


def environment_for(
    spec: ProcessSpec, base: Mapping[str, str], private: Mapping[str, List[str]]
) -> Dict[str, str]:
    """What ``spec``'s process starts with: base minus others' private variables, plus its own."""
    hidden = {var for owner, names in private.items() if owner != spec.name for var in names}
    env = {key: value for key, value in base.items() if key not in hidden}
    env.update(spec.env)
    return env


def describe_exit(code: int) -> str:
    """'exit status 3' or 'killed by SIGKILL' for a Popen return code."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a killed supervisor leaves its children to be stopped by hand


@dataclass
class Child:
    spec: ProcessSpec
    env: Dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    restart_at: float | None = None


class Supervisor:
    """Start, watch, restart and stop a fixed set of processes."""

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        private: Mapping[str, List[str]],
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable: float = 60.0,
        grace: float = 20.0,
        poll: float = 0.2,
        base_env: Mapping[str, str] | None = None,
        log=None,
    ) -> None:
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise SpecError(f"process names must differ: {names}")
        unknown = sorted(set(private) - set(names))
        if unknown:
            raise SpecError(f"--private names no process: {unknown}")
        base = dict(os.environ if base_env is None else base_env)
        self.children = [Child(spec, environment_for(spec, base, private)) for spec in specs]
        self.backoff, self.max_backoff, self.stable = backoff, max_backoff, stable
        self.grace, self.poll = grace, poll
        self.stopping = False
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    def log(self, message: str) -> None:
        self._log(f"supervisor {time.strftime('%H:%M:%S')}: {message}")

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.spec.argv, env=child.env, preexec_fn=_die_with_parent, start_new_session=True
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        verb = "restarted" if child.restarts else "started"
        self.log(
            f"{child.spec.name} {verb} (pid {child.process.pid}"
            + (f", restart {child.restarts}" if child.restarts else "")
            + ")"
        )

    def check(self, child: Child, now: float) -> None:
        """Notice an exit and schedule, or carry out, the restart."""
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                if child.backoff and now - child.started_at >= self.stable:
                    child.backoff = 0.0  # up long enough: the next crash restarts quickly
                return
            child.process = None
            child.backoff = (
                self.backoff if not child.backoff else min(child.backoff * 2, self.max_backoff)
            )
            if now - child.started_at >= self.stable:
                child.backoff = self.backoff
            child.restart_at = now + child.backoff
            self.log(
                f"{child.spec.name} {describe_exit(code)} after {now - child.started_at:.0f} s; "
                f"restart {child.restarts + 1} in {child.backoff:.0f} s "
                f"(the other processes keep serving)"
            )
        elif child.restart_at is not None and now >= child.restart_at:
            child.restarts += 1
            try:
                self.start(child)
            except OSError as error:
                child.backoff = min(max(child.backoff, self.backoff) * 2, self.max_backoff)
                child.restart_at = now + child.backoff
                self.log(
                    f"{child.spec.name} could not start ({error}); "
                    f"next try in {child.backoff:.0f} s"
                )

    def stop(self) -> int:
        """Stop in the reverse order of starting, each before the next, within one grace.

        The Rasa server (listed after the action server) finishes its in-flight turns,
        custom actions included, before the action server is asked to stop. Children run
        in their own sessions, so a Ctrl-C in the terminal reaches only the supervisor.
        """
        self.stopping = True
        running = [
            child
            for child in reversed(self.children)
            if child.process and child.process.poll() is None
        ]
        self.log(
            f"stopping {', '.join(c.spec.name for c in running) or 'nothing'} "
            f"(in-flight requests get up to {self.grace:.0f} s)"
        )
        deadline = time.monotonic() + self.grace
        for child in running:
            child.process.send_signal(signal.SIGTERM)
            try:
                child.process.wait(timeout=max(0.5, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"{child.spec.name} still running after {self.grace:.0f} s: SIGKILL")
                child.process.kill()
                child.process.wait()
            self.log(f"{child.spec.name} stopped ({describe_exit(child.process.returncode)})")
        return 0

    def run(self) -> int:
        received: List[int] = []

        def on_signal(signum: int, _frame) -> None:
            received.append(signum)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGHUP, on_signal)
        for child in self.children:
            self.start(child)
        while not received:
            now = time.monotonic()
            for child in self.children:
                self.check(child, now)
            time.sleep(self.poll)
        self.log(f"received {signal.Signals(received[0]).name}")
        return self.stop()


def parse_private(values: Sequence[str]) -> Dict[str, List[str]]:
    private: Dict[str, List[str]] = {}
    for value in values:
        name, sep, names = value.partition(":")
        variables = [v for v in names.split(",") if v]
        if (
            not sep
            or not variables
            or not all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v) for v in variables)
        ):
            raise SpecError(f"--private needs NAME:VAR[,VAR], got {value!r}")
        private.setdefault(name, []).extend(variables)
    return private


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--process", action="append", default=[], metavar="NAME=COMMAND")
    parser.add_argument("--private", action="append", default=[], metavar="NAME:VAR[,VAR]")
    parser.add_argument("--backoff", type=float, default=1.0, help="first restart delay, seconds")
    parser.add_argument("--max-backoff", type=float, default=30.0)
    parser.add_argument(
        "--stable",
        type=float,
        default=60.0,
        help="seconds up after which the back-off starts again from --backoff",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=20.0,
        help="seconds in-flight requests get on stop before SIGKILL",
    )
    args = parser.parse_args(argv)
    try:
        specs = [ProcessSpec.parse(text) for text in args.process]
        if not specs:
            raise SpecError("no --process given")
        supervisor = Supervisor(
            specs,
            parse_private(args.private),
            backoff=args.backoff,
            max_backoff=args.max_backoff,
            stable=args.stable,
            grace=args.grace,
        )
    except SpecError as error:
        print(f"supervisor: {error}", file=sys.stderr)
        return 2
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
