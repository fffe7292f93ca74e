"""The supervisor's live board: what waits, what is open, which units are free, what went
wrong (escalations, undelivered alerts) and today's figures — read-only, no tables of its own."""
