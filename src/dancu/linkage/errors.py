"""Every error code the linkage domain raises, declared once (the API's stable codes).

Each has a Vietnamese message in the translations; ``tests/architecture/test_error_codes.py``
fails on a code without one, and on a ``code="..."`` literal anywhere outside this module.
"""

from __future__ import annotations

from enum import StrEnum


class LinkageErrorCode(StrEnum):
    """The linkage domain's error codes (a ``str``: compare and serialize as the code)."""

    ALREADY_DECIDED = "linkage.already_decided"
    AREA = "linkage.area"
    BAD_FORMAT = "linkage.bad_format"
    DUPLICATE_COLUMN = "linkage.duplicate_column"
    EMPTY_FILE = "linkage.empty_file"
    FIELD = "linkage.field"
    FILTER_INVALID = "linkage.filter_invalid"
    IMPORT_INTERRUPTED = "linkage.import_interrupted"
    IMPORT_NOT_FOUND = "linkage.import_not_found"
    JOB_NOT_FOUND = "linkage.job_not_found"
    JOB_NOT_QUEUED = "linkage.job_not_queued"
    LINES_LOST = "linkage.lines_lost"
    MAPPING_JSON = "linkage.mapping_json"
    MISSING_COLUMN = "linkage.missing_column"
    NOTHING_TO_ACCEPT = "linkage.nothing_to_accept"
    NOTHING_SELECTED = "linkage.nothing_selected"
    TOO_MANY_SELECTED = "linkage.too_many_selected"
    PROVINCE = "linkage.province"
    RECORD_NOT_FOUND = "linkage.record_not_found"
    RESULT_NOT_FOUND = "linkage.result_not_found"
    RUN_ACTIVE = "linkage.run_active"
    SOURCE_NOT_FOUND = "linkage.source_not_found"
    TOO_LARGE = "linkage.too_large"
    UNKNOWN_FIELD = "linkage.unknown_field"
    UNKNOWN_SOURCE_TYPE = "linkage.unknown_source_type"
    UNPACKED_TOO_LARGE = "linkage.unpacked_too_large"
    VALUE_INVALID = "linkage.value_invalid"
