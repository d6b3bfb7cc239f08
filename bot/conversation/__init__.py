"""The transport-neutral conversation: one inbound event in, the messages to send out.

Dependency rule: channels -> conversation -> records and storage."""
