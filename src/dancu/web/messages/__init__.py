"""Vietnamese texts of each domain, one module per domain so that domains grow them apart.

``web/i18n.py`` merges every module's ``VI`` into the one table pages translate with.
"""
