"""Names shared by the escalation policy (Rasa side) and actions (SDK side)."""

LEVELS = ("none", "see_professional", "urgent", "emergency")
ACTION_LISTEN = "action_listen"
DETECTOR = "RedFlagDetector"
FORM = "assessment_form"
ESCALATE_PREFIX = "utter_escalate_"
HEARD = "utter_signs_heard"
HEARD_CONFIRMED = "utter_possible_signs_confirmed"
CHECK = "utter_check_sign"
CHECK_CLEAR = "utter_sign_check_clear"
SIGN_INFO = "utter_when_to_see_someone"
EMERGENCY_REMINDER = "utter_emergency_reminder"
RESUME_DECLINED = "utter_resume_declined"
ESCALATE_ACTION = "action_escalate"
CLOSING_INTENTS = frozenset({"thanks", "goodbye"})
