"""The topics the accounts emit (payloads in the comments)."""

from __future__ import annotations

# A citizen's account became usable (the phone confirmed, or a dependant's account opened
# by a guardian): {"account_id": int, "pid": str}. The procedures domain joins the
# citizen's earlier dossiers to it (notices, and the credentials of results already
# approved for the wallet).
ACCOUNT_ACTIVATED = "identity.account_activated"
