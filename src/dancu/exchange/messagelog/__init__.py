"""The exchange's message log: every request and answer through the door, hash-chained and
signed in batches (as X-Road's security server does), verifiable offline."""
