-- Call history lists calls by their call.arrived rows, newest first.
CREATE INDEX events_kind ON events (kind, seq);
