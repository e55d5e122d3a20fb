"""The National Public Service Portal (Cổng Dịch vụ công quốc gia), both ways.

``inbound``: dossiers submitted on the portal arrive as JSON and become dossiers here, once
each (the portal's dossier id is unique). ``outbound``: every status change is queued in
``npsp_delivery`` by an outbox handler and delivered by a job through a publisher
(``publishers``: HTTP with retries and back-off, or a JSON-lines file), in order per
dossier, retried until delivered, each with an idempotency key so none counts twice.
"""
