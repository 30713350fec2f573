"""Whether the Spark tests can run here: skipped without pyspark or Java, failed without them in CI."""

from __future__ import annotations

import os

import pytest

from pact_analysis.linkage import spark as linkage_spark


def require_spark() -> None:
    """Skip without pyspark or a Java runtime, unless in CI (``CI`` set), where their absence fails.

    ``.ci/run`` installs Debian's ``openjdk-17-jre-headless``; pyspark is in the lock file.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed"
    else:
        missing = None if linkage_spark.java_available() else "no Java runtime (openjdk-17-jre-headless)"
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run the Spark tests: {missing}")
    if missing:
        pytest.skip(missing)
