"""Personal data out of everything logged: the patterns live with the matcher
(``intents/personal.py``), which takes the same data out before matching.

``redact`` here remembers its recent answers: a turn redacts the same user text three times (the
state's recent messages, the ticket transcript, the log row) and the assistant's replies are the
FAQ's few hundred answers, so most calls are a dictionary look-up instead of a regex pass."""

import functools

from intents.personal import BANK_CARD, CREDIT_CODE, EMAIL, ID_CARD, PHONE, redact_value
from intents.personal import redact as _redact

__all__ = ["BANK_CARD", "CREDIT_CODE", "EMAIL", "ID_CARD", "PHONE", "redact", "redact_value"]

redact = functools.lru_cache(maxsize=4096)(_redact)
