"""A dossier's papers: the Circular 01/2018 slips (``slips``) and the signed result
(``signing``: PAdES with the issuing agency's certificate, and its verification)."""
