"""Online public services: the procedure catalogue, citizens' dossiers (once-only data from
the registry and the wallet), inter-connected procedures, the officer console, working-day
deadlines, notifications and the figures the monitoring domain reads (docs/procedures.md).

Payment (``payment/``), slips and signed results (``documents/``) and the National Public
Service Portal adapters (``npsp/``) are sub-packages of their own.
"""
