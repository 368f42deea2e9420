"""The outbox: how a committed event reaches everyone who must hear of it, at least once.

Events are written by the store services in the same transaction as the change
(store.outbox.service.emit). The dispatcher (dispatcher.py) fans each one out into deliveries
(store.outbox.deliveries): a signed webhook POST per subscription (webhook.py) and a job per row
of the declared table (table.py: which event starts which job); it pushes events to socket.io
listeners, and runs the deliveries here or through RQ (worker.py). Sending a reply on its
channel is one of those jobs (send.py).
"""
