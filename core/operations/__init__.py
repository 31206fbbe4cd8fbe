"""Running the back office: the outbox and its backlog, parked tasks, heartbeats, retention."""
