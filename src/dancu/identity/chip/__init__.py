"""Chip ID cards (ICAO 9303): the MRZ, EF.SOD, the CSCA trust list, passive authentication,
and the format a card reader hands to the level-2 desk."""
