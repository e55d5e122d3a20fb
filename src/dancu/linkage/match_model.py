"""The Splink model of the probabilistic stage: its blocking rules (and the blocked pairs
computed from them in DuckDB) and its comparisons (``match_splink`` trains and runs it)."""

from __future__ import annotations

import re
from typing import Any


def blocking_rules() -> list[Any]:
    """The union of blocking rules: a true pair needs to survive only one of them.

    Each rule keeps a handful of citizens per record at a million citizens (a birth date
    alone would keep ~30, a family name + given name + birth year ~40), and together they
    let through a pair with one error in any field: a name typo (the date and the other
    names), a date typo within the month, a year typo (the full name and the month-day),
    swapped day and month, a partial or missing date (the full name and year, or the
    names and commune), given and family names swapped, both names mistyped (the date and
    commune), an ID number typo (all but its last 3 or first 6 digits). A missing middle
    name matches any.
    """
    from splink import block_on

    middle_ok = "(l.middle = r.middle or l.middle is null or r.middle is null)"
    return [
        f"l.birth_date = r.birth_date and l.family = r.family and {middle_ok}",
        block_on("birth_date", "given"),
        f"l.birth_date_swapped = r.birth_date and l.family = r.family and {middle_ok}",
        block_on("birth_date", "commune_code"),
        block_on("name_folded", "birth_ym"),
        block_on("name_folded", "birth_md"),
        "l.birth_ym is null and l.name_folded = r.name_folded and l.birth_year = r.birth_year",
        "r.birth_ym is null and l.name_folded = r.name_folded and l.birth_year = r.birth_year",
        # Names and commune where the full-name rules cannot reach: a date or a middle
        # name missing on one side (one rule per side, so the filter runs before the join).
        "(l.birth_year is null or l.middle is null) and l.family = r.family"
        " and l.given = r.given and l.commune_code = r.commune_code",
        "(r.birth_year is null or r.middle is null) and l.family = r.family"
        " and l.given = r.given and l.commune_code = r.commune_code",
        "l.family = r.given and l.given = r.family",
        block_on("phone"),
        block_on("address"),
        block_on("pid"),
        "left(l.pid, length(l.pid) - 3) = left(r.pid, length(r.pid) - 3)",
        "right(l.pid, 6) = right(r.pid, 6)",
    ]


def _rule_sql(rule: Any) -> str:
    return rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql


def _mirror(sql: str) -> str:
    """The rule with ``l.`` and ``r.`` swapped."""
    return re.sub(r"\b([lr])\.", lambda m: {"l": "r.", "r": "l."}[m.group(1)], sql)


def _canonical(sql: str) -> frozenset[str]:
    """A rule's conjuncts with equalities and disjunctions written in a sorted order:
    equal sets mean the same condition."""

    def one(part: str) -> str:
        part = part.strip()
        while part.startswith("(") and part.endswith(")") and part.count("(") == 1:
            part = part[1:-1].strip()
        if re.search(r"\sor\s", part, flags=re.I):
            return " or ".join(sorted(one(x) for x in re.split(r"\sor\s", part, flags=re.I)))
        sides = part.split(" = ")
        return " = ".join(sorted(x.strip() for x in sides)) if len(sides) == 2 else part

    return frozenset(one(x) for x in re.split(r"\sand\s", sql, flags=re.I))


# A record's candidates from one blocking rule are cut to this many (the most alike by a
# cheap agreement score) when more citizens share the rule's key: a common name with a
# birth date, a village address or a shared phone would otherwise pair one record with
# hundreds of citizens, and the pairs (and the time to score them) grow with the square of
# how often names repeat. A record with more equal candidates than this cannot be told
# apart by the model anyway (each gets at most 1 / CAP of the probability).
BLOCK_CAP = 50

# How alike a candidate is, from what the rules did not already fix: the tie-breaker that
# picks the BLOCK_CAP kept from an oversized block.
_AGREE_SQL = " + ".join(
    f"coalesce(cast(l.{c} = r.{c} as int), 0) * {w}"
    for c, w in (
        ("pid", 8),
        ("birth_date", 4),
        ("commune_code", 3),
        ("given", 2),
        ("family", 2),
        ("middle", 1),
        ("birth_ym", 1),
        ("birth_year", 1),
        ("sex", 1),
        ("province_code", 1),
    )
)


def _rule_conditions() -> list[str]:
    """Each blocking rule with the sector as ``l`` and its mirror (``l.`` and ``r.``
    swapped), each distinct condition once: the pairs Splink's own blocking would find
    whichever table it puts on the left."""
    out, seen = [], set()
    for rule in map(_rule_sql, blocking_rules()):
        for sql in (rule, _mirror(rule)):
            if (key := _canonical(sql)) not in seen:
                seen.add(key)
                out.append(sql)
    return out


def blocked_sql() -> str:
    """Table ``blocked`` (sector ``lid``, citizen ``rid``): the union of the rules' pairs,
    computed in DuckDB with one join per condition, each record's block per rule cut to
    :data:`BLOCK_CAP` candidates; ``cut`` counts the records whose block was cut.

    The joins carry the two keys only; the agreement score that picks the kept candidates
    is computed for the pairs of oversized blocks alone, and only they are ranked (at a
    million citizens: 9 s → 3 s, the same pairs — ranking every pair and carrying every
    compared column through every join was most of the work)."""
    joins = "\n    union all\n    ".join(
        f"select l.unique_id as lid, r.unique_id as rid, {i} as rule"
        f" from left_pred l join right_in r on {sql}"
        for i, sql in enumerate(_rule_conditions())
    )
    return f"""
    create table blocked as
    with raw as materialized (
    {joins}
    ), oversized as (
      select lid, rule from raw group by all having count(*) > {BLOCK_CAP}
    ), kept as (
      select lid, rid, false as cut from raw anti join oversized using (lid, rule)
      union all
      select lid, rid, true from (
        select x.lid, x.rid,
               row_number() over (partition by x.lid, x.rule
                                  order by {_AGREE_SQL} desc, hash(x.rid)) as rank
        from (select * from raw semi join oversized using (lid, rule)) x
        join left_pred l on l.unique_id = x.lid
        join right_in r on r.unique_id = x.rid)
      where rank <= {BLOCK_CAP}
    )
    select lid, rid, bool_or(cut) as cut from kept group by lid, rid
    """


def _name(col: str, other: str) -> Any:
    """Splink's name comparison (exact with term frequencies, Jaro-Winkler 0.92/0.88/0.7)
    with a level for the name found in the other column (given and family swapped)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ExactMatchLevel(col, term_frequency_adjustments=True),
            cll.ColumnsReversedLevel(col, other, symmetrical=True),
            cll.JaroWinklerLevel(col, 0.92),
            cll.JaroWinklerLevel(col, 0.88),
            cll.JaroWinklerLevel(col, 0.7),
            cll.ElseLevel(),
        ],
    )


def settings(prior: float, *, phone: bool = True, address: bool = False) -> Any:
    """The Splink model: comparisons with term-frequency adjustments on names."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    middle = cl.CustomComparison(
        output_column_name="middle",
        comparison_levels=[
            cll.NullLevel("middle"),
            cll.ExactMatchLevel("middle", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("middle", 0.9),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel("birth_date_swapped_l = birth_date_r", "day and month swapped"),
            cll.And(cll.ExactMatchLevel("birth_ym"), cll.DamerauLevenshteinLevel("birth_date", 1)),
            cll.DamerauLevenshteinLevel("birth_date", 1),
            cll.CustomLevel(
                "(birth_date_l is null or birth_date_r is null) and birth_ym_l = birth_ym_r",
                "same month, one date partial",
            ),
            cll.CustomLevel(
                "(birth_ym_l is null or birth_ym_r is null) and birth_year_l = birth_year_r",
                "same year, one date partial",
            ),
            cll.ExactMatchLevel("birth_year"),
            cll.ElseLevel(),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.NullLevel("commune_code"),
            cll.ExactMatchLevel("commune_code"),
            cll.ExactMatchLevel("province_code"),
            cll.ElseLevel(),
        ],
    )
    # The ID number of a record the deterministic stage did not settle: a typo in it is
    # evidence, agreement alone is not (the name and date disagreed). Its m values are
    # stated, not estimated: the labelled pairs all agree on it by construction.
    pid = cl.CustomComparison(
        output_column_name="pid",
        comparison_levels=[
            cll.NullLevel("pid"),
            cll.ExactMatchLevel("pid").configure(m_probability=0.6, fix_m_probability=True),
            cll.DamerauLevenshteinLevel("pid", 1).configure(
                m_probability=0.3, fix_m_probability=True
            ),
            cll.ElseLevel().configure(m_probability=0.1, fix_m_probability=True),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=blocking_rules(),
        comparisons=[
            _name("family", "given"),
            _name("given", "family"),
            middle,
            birth,
            cl.ExactMatch("sex"),
            place,
            pid,
            *([cl.ExactMatch("phone")] if phone else []),
            *([cl.JaroWinklerAtThresholds("address", [0.9, 0.7])] if address else []),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
