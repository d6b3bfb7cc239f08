"""Personal data out of everything logged: the patterns live with the matcher
(``intents/personal.py``), which takes the same data out before matching."""

from intents.personal import BANK_CARD, CREDIT_CODE, EMAIL, ID_CARD, PHONE, redact, redact_value

__all__ = ["BANK_CARD", "CREDIT_CODE", "EMAIL", "ID_CARD", "PHONE", "redact", "redact_value"]
