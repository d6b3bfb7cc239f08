"""The web side of cbec-bot: the phone-first chat, its API, the staff dashboard and /staff/sql."""
