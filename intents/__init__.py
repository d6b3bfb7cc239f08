"""Matching enquiries to FAQ intents and building the reply every channel shows.

``intents.respond.Responder(faq).respond(text, region=None, today=None) -> Reply`` is the one
entry point; ``get_responder()`` / ``swap_responder()`` hold the process-wide one. See
docs/matching.md for the pipeline, the calibration and the thresholds.
"""
