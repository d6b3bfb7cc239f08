"""Operations: live FAQ reloads, metrics and structured logs."""
