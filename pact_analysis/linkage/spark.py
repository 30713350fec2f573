"""A Spark session for ``linkage.backend: spark`` and for the warehouse SQL on Spark.

On a cluster (``spark-submit``, Databricks, EMR, Dataproc) a session already exists when the study
starts: :func:`session` uses it as it is, and only checks that Splink's similarity functions
(``jaro_winkler``, ``damerau_levenshtein``: a jar shipped inside the ``splink`` package, see
:func:`similarity_jar`) can be registered. Without one, :func:`session` starts PySpark in local mode
on this machine with the settings of ``params.yaml`` ``linkage.spark``: few cores, few shuffle
partitions, a modest driver heap, no web UI, bound to the loopback interface (no network), quiet
logs, and every scratch file (checkpoints, spill, the SQL warehouse folder) in one temporary folder
outside the checkout.

Spark needs a Java runtime (Java 17: Debian's ``openjdk-17-jre-headless``); :func:`java_available`
tells whether one is on the ``PATH`` or in ``JAVA_HOME``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pact_analysis.errors import StageError

#: Log4j 2 settings of a local session: errors only (Spark's start-up banner and warnings are noise here).
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
"""


def java_available() -> bool:
    """Tell whether a Java runtime is reachable (``JAVA_HOME/bin/java`` or ``java`` on the ``PATH``)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def similarity_jar() -> str:
    """Return the path of Splink's jar of Spark SQL similarity functions for the installed Spark.

    Raises
    ------
    StageError
        PySpark is not installed.
    """
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError as err:  # pragma: no cover - pyspark is a pinned dependency
        raise StageError("Spark was asked for but pyspark is not installed") from err
    return similarity_jar_location()


def local_conf(settings: Mapping[str, Any], scratch: Path) -> dict[str, str]:
    """Return the Spark configuration of a local session.

    Parameters
    ----------
    settings : mapping
        ``linkage.spark``: ``master`` (``local[2]``), ``driver_memory`` (``2g``),
        ``shuffle_partitions``.
    scratch : Path
        Folder for Spark's scratch files (spill, SQL warehouse, metastore) and the log settings.

    Returns
    -------
    dict of str to str
        Configuration keys and values, for ``SparkSession.builder.config``.
    """
    log4j = scratch / "log4j2.properties"
    log4j.write_text(_LOG4J, encoding="utf-8")
    java_options = f"-Dlog4j.configurationFile=file:{log4j} -Dderby.system.home={scratch / 'derby'}"
    partitions = str(int(settings["shuffle_partitions"]))
    return {
        "spark.master": str(settings["master"]),
        "spark.app.name": "pact-analysis",
        "spark.driver.memory": str(settings["driver_memory"]),
        "spark.sql.shuffle.partitions": partitions,
        "spark.default.parallelism": partitions,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.jars": similarity_jar(),
        "spark.local.dir": str(scratch / "local"),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.driver.extraJavaOptions": java_options,
        # dates and timestamps cross between pandas and Spark unchanged
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # as in Splink's own Spark tests: constraint propagation over unions fails after a checkpoint
        "spark.sql.constraintPropagation.enabled": "false",
        "spark.sql.adaptive.enabled": "false",
    }


def session(settings: Mapping[str, Any]) -> Any:
    """Return the active Spark session, or start a local one with ``settings``.

    Parameters
    ----------
    settings : mapping
        ``linkage.spark`` (see :func:`local_conf`; ``checkpoint_dir``: where Splink writes the
        intermediate tables of a run, empty for a temporary folder).

    Returns
    -------
    pyspark.sql.SparkSession
        With a checkpoint folder set (Splink's ``parquet`` lineage breaking writes there).

    Raises
    ------
    StageError
        PySpark is not installed, or no session is active and there is no Java runtime.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise StageError("linkage.backend is 'spark' but pyspark is not installed") from err
    active = SparkSession.getActiveSession()
    if active is not None:
        if settings.get("checkpoint_dir") and checkpoint_dir(active) is None:
            active.sparkContext.setCheckpointDir(str(settings["checkpoint_dir"]))
        return active
    if not java_available():
        raise StageError(
            "Spark needs a Java 17 runtime: install it (sudo apt-get install -y openjdk-17-jre-headless) "
            "or set JAVA_HOME"
        )
    scratch = Path(tempfile.mkdtemp(prefix="pact-analysis-spark-"))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in local_conf(settings, scratch).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    checkpoint = str(settings.get("checkpoint_dir") or "") or str(scratch / "checkpoints")
    spark.sparkContext.setCheckpointDir(checkpoint)
    return spark


def checkpoint_dir(spark: Any) -> str | None:
    """Return the session's checkpoint folder, or ``None`` when it has none."""
    found = spark.sparkContext._jsc.sc().getCheckpointDir()
    return None if found.isEmpty() else str(found.get())
