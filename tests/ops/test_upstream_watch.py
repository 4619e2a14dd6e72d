"""bot.cluster.upstream_watch's decisions (the cluster test runs it against real replicas)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from bot.cluster.upstream_watch import Replica, Watcher, servers_block


def _watcher(tmp_path: Path, answers: Dict[str, List[bool]], reloads: List[str]) -> Watcher:
    def check(address: str, _timeout: float) -> bool:
        return answers[address].pop(0)

    servers = tmp_path / "rasa_servers.conf"
    servers.write_text(servers_block([Replica("a:1"), Replica("b:2")]))
    return Watcher(
        ["a:1", "b:2"],
        servers,
        lambda: reloads.append(servers.read_text()) or True,
        fall=2,
        rise=2,
        check=check,
        log=lambda _line: None,
    )


def test_a_replica_leaves_after_two_failures_and_rejoins_after_two_successes(
    tmp_path: Path,
) -> None:
    reloads: List[str] = []
    answers = {"a:1": [True, False, False, False, True, True, True], "b:2": [True] * 7}
    watcher = _watcher(tmp_path, answers, reloads)
    states = []
    for _ in range(7):
        watcher.round()
        states.append(watcher.states()["a:1"])
    # one failure is not enough; the second takes it out; two successes bring it back
    assert states == [True, True, False, False, False, True, True]
    assert reloads == [
        "server a:1 max_fails=0 down;\nserver b:2 max_fails=0;\n",
        "server a:1 max_fails=0;\nserver b:2 max_fails=0;\n",
    ]


def test_with_no_replica_ready_all_stay_in_rotation(tmp_path: Path) -> None:
    reloads: List[str] = []
    answers = {"a:1": [False] * 3, "b:2": [True, False, False]}
    watcher = _watcher(tmp_path, answers, reloads)
    for _ in range(3):
        watcher.round()
    assert watcher.states() == {"a:1": False, "b:2": False}
    # a went down first (reload), then b: no replica ready -> nobody is marked down
    assert reloads[-1] == "server a:1 max_fails=0;\nserver b:2 max_fails=0;\n"
    assert "down" not in (tmp_path / "rasa_servers.conf").read_text()
