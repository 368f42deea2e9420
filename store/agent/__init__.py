"""The agent's admin-edited data: bot settings, escalation and routing rules, tools, checkpoints."""
