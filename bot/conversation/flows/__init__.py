"""The conversation's flows: one small module per thing a user can do."""
