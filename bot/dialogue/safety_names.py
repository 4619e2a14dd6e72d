"""Names shared by the escalation policy (Rasa side) and actions (SDK side)."""

LEVELS = ("none", "see_professional", "urgent", "emergency")
ACTION_LISTEN = "action_listen"
DETECTOR = "RedFlagDetector"
SECOND_OPINION = "SecondOpinionDetector"
FORM = "assessment_form"
DISCLAIMER = "action_show_disclaimer"
ESCALATE_PREFIX = "utter_escalate_"
HEARD = "utter_signs_heard"
HEARD_CONFIRMED = "utter_possible_signs_confirmed"
CHECK = "utter_check_sign"
CHECK_CLEAR = "utter_sign_check_clear"
SIGN_INFO = "utter_when_to_see_someone"
EMERGENCY_REMINDER = "utter_emergency_reminder"
RESUME_DECLINED = "utter_resume_declined"
ESCALATE_ACTION = "action_escalate"
CLOSING_INTENTS = frozenset({"thanks", "goodbye", "thanks+goodbye"})

# Everything the escalation policy may predict. Training and the start-up preflight
# fail when the domain lacks one (a missing response would silently drop a warning).
REQUIRED_ACTIONS = (
    *(f"{ESCALATE_PREFIX}{level}" for level in LEVELS[1:]),
    HEARD, HEARD_CONFIRMED, CHECK, CHECK_CLEAR, SIGN_INFO, EMERGENCY_REMINDER,
    RESUME_DECLINED, ESCALATE_ACTION, FORM, DISCLAIMER,
)


def missing_safety_actions(action_names: "object") -> list[str]:
    """The required safety actions and responses that ``action_names`` lacks."""
    names = set(action_names)  # type: ignore[call-overload]
    return [name for name in REQUIRED_ACTIONS if name not in names]
