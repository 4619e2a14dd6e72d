"""`rasa data validate`, failing on any warning that is not an expected one.

Rasa's validator only sees stories and rules, so it reports as "not used" the
responses that the form asks with (utter_ask_*), that actions send
(utter_why_*, utter_disclaimer, utter_offer_resume), that EscalationPolicy
predicts (utter_escalate_*, ...), that Rasa's built-in action_restart sends
(utter_restart), that the correction actions send (utter_change_*, utter_undo*,
utter_undone, utter_answers_updated; actions/corrections.py, actions/explanation.py),
the yes/no intents that the policy reads, and the command intents that are
recognised by phrase rather than learned (change_answer).
Those are listed here; every other warning fails the check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_UNUSED = re.compile(
    r"The (utterance 'utter_(ask_|why_|escalate_|disclaimer|offer_resume|signs_heard|"
    r"possible_signs_confirmed|check_sign|sign_check_clear|emergency_reminder|"
    r"resume_declined|default|stale_button|answer_not_read|restart|change_|undo|undone|"
    r"answers_updated)[a-z_]*'|"
    r"intent '(affirm|deny)') "
    r"is not used in any story or rule"
    # commands recognised by phrase (bot/knowledge/commands.yml), never learned
    r"|The intent '(change_answer)' is listed in the domain file, but is not found in the "
    r"NLU training data"
)


def main() -> int:
    result = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=ROOT,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "UserWarning:" in line]
    unexpected = [w for w in warnings if not EXPECTED_UNUSED.search(w)]
    for line in unexpected:
        print(line.split("UserWarning:", 1)[1].strip())
    print(f"rasa data validate: exit {result.returncode}, {len(warnings)} warnings, "
          f"{len(warnings) - len(unexpected)} expected, {len(unexpected)} unexpected")
    if result.returncode != 0:
        print(output[-3000:])
    return 1 if result.returncode != 0 or unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
