"""Online public services: the procedure catalogue, dossiers, their slips, results and fees."""
