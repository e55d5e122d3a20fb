"""The Spark backend of the matcher: one local (or configured) Spark session for Splink.

Selected with ``DANCU_LINKAGE_BACKEND=spark``. The session is created once per process;
``DANCU_SPARK_MASTER`` (default ``local[2]``) points it at a cluster,
``DANCU_SPARK_PARTITIONS`` (default 4) sets the shuffle partitions. Splink registers its
string-similarity UDFs (Jaro-Winkler, Damerau-Levenshtein) from the jar it ships.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def spark_session() -> Any:
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = os.environ.get("DANCU_SPARK_MASTER", "local[2]")
    return (
        SparkSession.builder.master(master)
        .appName("dancu-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", os.environ.get("DANCU_SPARK_PARTITIONS", "4"))
        .config("spark.default.parallelism", os.environ.get("DANCU_SPARK_PARTITIONS", "4"))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("DANCU_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )


def spark_api() -> Any:
    """A fresh Splink ``SparkAPI`` on the shared session."""
    from splink import SparkAPI

    # Intermediate tables are persisted (memory, spilling to disk) rather than written as
    # Parquet checkpoints: no files to clean up, and faster in local mode.
    return SparkAPI(
        spark_session=spark_session(),
        break_lineage_method="persist",
        num_partitions_on_repartition=int(os.environ.get("DANCU_SPARK_PARTITIONS", "4")),
    )
