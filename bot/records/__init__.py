"""What the assistant keeps: the enquiry log, its spool and statistics, tickets, the report."""
