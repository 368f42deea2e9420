"""Assignment: which human gets a ticket that needs one (rules -> team -> agent), team queues,
and the admin's assignment and presence settings."""
