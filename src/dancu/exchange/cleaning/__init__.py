"""Customer-record cleaning for banks: a bank uploads its customer list and gets back, per
record, matched / mismatched (which fields) / not found / deceased, through the linkage
engine (exact by ID number, then probabilistic), as a job with progress."""
