"""Warning signs by clinical group, on messages nobody on the project tuned to (issue 13).

    python -m tests.safety.evaluate_groups                 # blind set: table + gates
    python -m tests.safety.evaluate_groups --set dev       # the development set
    python -m tests.safety.evaluate_groups --misses 20     # also list misses
    python -m tests.safety.evaluate_groups --json out.json

The sets (tests/safety/blind/*.yml, tests/safety/dev/dev.yml) hold messages with the
level a clinician expects (``emergency``, ``urgent``, ``see_professional`` or ``none``)
and a clinical group (tests/safety/blind/DEFINITIONS.md). A message is *caught* when
the detector's level is at or above the expected one; a ``none`` message is
*falsely escalated* when the detector's level is above ``none``. Recall per group is
reported with its 95% Wilson lower bound.

Gates (exit 1 when one fails), on the chosen set:

* every emergency and urgent message at its level or above;
* at least 98% of see-a-professional messages escalated;
* ordinary messages: none urgent or emergency, at most 2% escalated at all.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAFETY = Path(__file__).resolve().parent
SETS = {
    "blind": sorted((SAFETY / "blind").glob("*.yml")),
    "dev": [SAFETY / "dev" / "dev.yml"],
    "paraphrases": sorted((SAFETY / "dev").glob("paraphrases_*.yml")),
    "paraphrases2": sorted((SAFETY / "dev").glob("paraphrases2_*.yml")),
}
LEVELS = ("none", "see_professional", "urgent", "emergency")
MIN_SEE_PROFESSIONAL = 0.98
MAX_ORDINARY_ESCALATED = 0.02


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float:
    """Lower bound of the 95% Wilson score interval of a proportion."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


@dataclass(frozen=True)
class Message:
    text: str
    level: str
    group: str
    source: str  # the file (and the page address for real posts)
    real: bool


@dataclass
class Result:
    message: Message
    level: str
    signs: tuple[str, ...]

    @property
    def caught(self) -> bool:
        if self.message.level == "none":
            return self.level == "none"
        return LEVELS.index(self.level) >= LEVELS.index(self.message.level)


def load(paths: List[Path]) -> List[Message]:
    messages = []
    for path in paths:
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
            if raw["level"] not in LEVELS:
                raise ValueError(f"{path.name}: bad level {raw['level']!r}")
            messages.append(Message(raw["text"], raw["level"], raw["group"],
                                    raw.get("source") or path.name, "source" in raw))
    return messages


def seen_in_tuning() -> set[str]:
    """Blind texts that also turned up in a tuning corpus (normalised)."""
    path = SAFETY / "blind_seen_in_tuning.yml"
    if not path.exists():
        return set()
    return {" ".join(m["text"].split()).lower()
            for m in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]}


def make_detector() -> Any:
    from tests.safety.evaluate import make_detector as build

    return build()


def run_detector(detector: Any, messages: List[Message], repeat: int = 1
                 ) -> tuple[List[Result], List[float]]:
    """Results per message, and its time (the best of ``repeat`` runs, so another
    process on the machine does not count)."""
    results, times = [], []
    for message in messages:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            found = detector.detect_text(message.text)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        results.append(Result(message, found.level, tuple(sorted(found.affirmed))))
    return results, times


def table(results: List[Result]) -> List[Dict[str, Any]]:
    groups: Dict[tuple, List[Result]] = defaultdict(list)
    for result in results:
        groups[(result.message.level, result.message.group)].append(result)
    rows = []
    for (level, group), members in sorted(
            groups.items(), key=lambda kv: (-LEVELS.index(kv[0][0]), kv[0][1])):
        caught = sum(r.caught for r in members)
        rows.append({"level": level, "group": group, "n": len(members), "caught": caught,
                     "rate": caught / len(members),
                     "wilson_lower": max(0.0, wilson_lower(caught, len(members)))})
    return rows


def gates(results: List[Result]) -> Dict[str, tuple[bool, str]]:
    serious = [r for r in results if r.message.level in ("urgent", "emergency")]
    serious_caught = sum(r.caught for r in serious)
    see = [r for r in results if r.message.level == "see_professional"]
    see_caught = sum(r.caught for r in see)
    ordinary = [r for r in results if r.message.level == "none"]
    escalated = [r for r in ordinary if r.level != "none"]
    serious_false = [r for r in ordinary if r.level in ("urgent", "emergency")]
    return {
        "every emergency/urgent message at its level or above": (
            serious_caught == len(serious), f"{serious_caught}/{len(serious)}"),
        f"see-a-professional escalated >= {MIN_SEE_PROFESSIONAL:.0%}": (
            not see or see_caught / len(see) >= MIN_SEE_PROFESSIONAL,
            f"{see_caught}/{len(see)}"),
        "no ordinary message urgent or emergency": (
            not serious_false, f"{len(serious_false)}/{len(ordinary)}"),
        f"ordinary messages escalated <= {MAX_ORDINARY_ESCALATED:.0%}": (
            not ordinary or len(escalated) / len(ordinary) <= MAX_ORDINARY_ESCALATED,
            f"{len(escalated)}/{len(ordinary)}"),
    }


def report(name: str, results: List[Result], times: List[float], misses: int) -> bool:
    print(f"== {name}: {len(results)} messages ==")
    print("| level | group | N | caught | rate | Wilson 95% lower |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row in table(results):
        print(f"| {row['level']} | {row['group']} | {row['n']} | {row['caught']} | "
              f"{row['rate']:.1%} | {row['wilson_lower']:.1%} |")
    for subset, label in ((lambda r: r.message.real, "real runners' posts"),
                          (lambda r: not r.message.real, "written messages")):
        chosen = [r for r in results if subset(r)]
        if not chosen:
            continue
        by_level = defaultdict(lambda: [0, 0])
        for r in chosen:
            by_level[r.message.level][0] += r.caught
            by_level[r.message.level][1] += 1
        print(f"{label}: " + ", ".join(
            f"{level} {c}/{n}" for level, (c, n) in sorted(
                by_level.items(), key=lambda kv: -LEVELS.index(kv[0]))))
    ordered = sorted(times)
    if ordered:
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"detector time per message: median {ordered[len(ordered) // 2] * 1000:.2f} ms, "
              f"p95 {p95 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms")
    if name == "blind":
        seen = seen_in_tuning()
        untouched = [r for r in results if " ".join(r.message.text.split()).lower() not in seen]
        print(f"without the {len(results) - len(untouched)} blind messages also seen in a "
              "tuning corpus (tests/safety/blind_seen_in_tuning.yml): " + "; ".join(
                  f"{gate}: {figure}" for gate, (_, figure) in gates(untouched).items()))
    ok = True
    for gate, (passed, figure) in gates(results).items():
        print(f"gate {gate}: {figure} {'PASS' if passed else 'FAIL'}")
        ok = ok and passed
    if misses:
        wrong = [r for r in results if not r.caught]
        wrong.sort(key=lambda r: -LEVELS.index(r.message.level))
        print(f"misses ({len(wrong)}), first {misses}:")
        for r in wrong[:misses]:
            print(f"  [{r.message.level}/{r.message.group}] got {r.level} {list(r.signs)}: "
                  f"{r.message.text!r}")
    return ok


def report_second_opinion(detector: Any, results: List[Result]) -> None:
    """What the learned second opinion (which may only ask) adds to the rules."""
    from bot.nlu.second_opinion import SecondOpinionDetector
    from bot.triage.second_opinion import SecondOpinion, group_signs, load_examples

    model = SecondOpinion.train(load_examples())
    config = SecondOpinionDetector.get_default_config()
    threshold, min_words, groups = config["min_probability"], config["min_words"], group_signs()
    modifiers = {n for n, sign in detector.vocabulary.signs.items() if sign.modifier}
    asked = {}
    for r in results:
        if r.level == "none" and not (set(r.signs) - modifiers):
            asked[id(r)] = model.group_to_ask(r.message.text, groups, threshold,
                                              min_words) is not None
    serious = [r for r in results if r.message.level in ("urgent", "emergency")]
    see = [r for r in results if r.message.level == "see_professional"]
    ordinary = [r for r in results if r.message.level == "none"]
    def caught_or_asked(group: List[Result]) -> int:
        return sum(r.caught or asked.get(id(r), False) for r in group)
    print(f"second opinion (asks only, threshold {threshold}): emergency/urgent caught or "
          f"asked {caught_or_asked(serious)}/{len(serious)}; see-a-professional caught or "
          f"asked {caught_or_asked(see)}/{len(see)}; ordinary messages asked about "
          f"{sum(asked.get(id(r), False) for r in ordinary)}/{len(ordinary)}")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="blind")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-gate", action="store_true", help="report only")
    parser.add_argument("--second-opinion", action="store_true",
                        help="also train the learned second opinion and count what it asks")
    parser.add_argument("--repeat", type=int, default=3,
                        help="time each message this many times and keep the best")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    detector = make_detector()
    detector.detect_text("warm up")  # load the tables before timing
    results, times = run_detector(detector, load(SETS[args.set]), args.repeat)
    ok = report(args.set, results, times, args.misses)
    if args.second_opinion:
        report_second_opinion(detector, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "set": args.set, "table": table(results),
            "gates": {k: {"passed": v[0], "figure": v[1]} for k, v in gates(results).items()},
        }, indent=2))
    return 0 if ok or args.no_gate else 1


if __name__ == "__main__":
    sys.exit(main())
