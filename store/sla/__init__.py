"""Business hours (team schedules, holidays), SLA policies and the SLA clocks of tickets."""
