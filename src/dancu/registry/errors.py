"""Every error code the registry domain raises, declared once (the API's stable codes).

Each has a Vietnamese message in the translations; ``tests/architecture/test_error_codes.py``
fails on a code without one, and on a ``code="..."`` literal anywhere outside this module.
"""

from __future__ import annotations

from enum import StrEnum


class RegistryErrorCode(StrEnum):
    """The registry domain's error codes (a ``str``: compare and serialize as the code)."""

    AREA_PROVINCE_REQUIRED = "area.province_required"
    BIRTH_NO_PARENT = "birth.no_parent"
    BIRTH_PARENT_SEX = "birth.parent_sex"
    BIRTH_PARENT_YOUNGER = "birth.parent_younger"
    BIRTH_PID_TAKEN = "birth.pid_taken"
    BIRTH_DATE_FUTURE = "birth_date.future"
    BIRTH_DATE_INVALID = "birth_date.invalid"
    BIRTH_DATE_TOO_OLD = "birth_date.too_old"
    CARD_ACTION = "card.action"
    CARD_DATE = "card.date"
    CARD_EXISTS = "card.exists"
    CARD_HOLDER_DECEASED = "card.holder_deceased"
    CARD_IN_PROGRESS = "card.in_progress"
    CARD_NOT_FOUND = "card.not_found"
    CARD_TRANSITION = "card.transition"
    CARD_TRANSITION_DATE = "card.transition_date"
    CITIZEN_NOT_FOUND = "citizen.not_found"
    COMMUNE_UNKNOWN = "commune.unknown"
    DEATH_ALREADY_REGISTERED = "death.already_registered"
    DIVORCE_NOT_MARRIED = "divorce.not_married"
    DIVORCED_ON_BEFORE_MARRIAGE = "divorced_on.before_marriage"
    HOUSEHOLD_HEAD_EXISTS = "household.head_exists"
    HOUSEHOLD_NOT_FOUND = "household.not_found"
    IMPORT_COLUMNS = "import.columns"
    IMPORT_CSV = "import.csv"
    IMPORT_DUPLICATE_COLUMN = "import.duplicate_column"
    IMPORT_EMPTY = "import.empty"
    IMPORT_ENCODING = "import.encoding"
    IMPORT_FORMAT = "import.format"
    IMPORT_PARQUET = "import.parquet"
    IMPORT_ROW_SHAPE = "import.row_shape"
    MARRIAGE_ALREADY_MARRIED = "marriage.already_married"
    MARRIAGE_DECEASED = "marriage.deceased"
    MARRIAGE_SAME_PERSON = "marriage.same_person"
    MARRIAGE_SAME_SEX = "marriage.same_sex"
    MARRIAGE_UNDER_AGE = "marriage.under_age"
    NAME_INVALID = "name.invalid"
    NATIONALITY_INVALID = "nationality.invalid"
    PID_DUPLICATE = "pid.duplicate"
    RESIDENCE_DECEASED = "residence.deceased"
    SEARCH_EMPTY = "search.empty"
    SEX_INVALID = "sex.invalid"
