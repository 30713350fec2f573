"""Provenance of a run: git commit, code, data and key fingerprints, parameters, package versions, date.

Printed at the end of every report (:meth:`pact_analysis.report.page.Report.finish`) and on the index.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.report.shell import markdown_html

#: Packages whose versions are stated in the provenance.
KEY_PACKAGES = [
    "pandas", "numpy", "scipy", "duckdb", "splink", "lifelines", "statsmodels", "scikit-learn", "pandera",
    "papermill", "nbconvert", "dvc", "babel",
]  # fmt: skip


def data_fingerprint(folder: Path) -> str:
    """Return a SHA-256 over the relative paths and contents of every file in ``folder``.

    Parameters
    ----------
    folder : Path
        Usually ``data/raw``.

    Returns
    -------
    str
        Hex digest, or ``"missing"`` if the folder does not exist.
    """
    folder = Path(folder)
    if not folder.exists():
        return "missing"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def git_commit(root: Path) -> str:
    """Return the git commit of the checkout, with ``+changes`` if the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+changes" if dirty else "")


def params_used(params: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters a run used: the ``synthetic`` block only when the data are synthetic."""
    if params.get("data", {}).get("source") == "synthetic":
        return params
    return {k: v for k, v in params.items() if k != "synthetic"}


def key_fingerprint(paths: Paths) -> str:
    """Return the non-secret fingerprint of the pseudonymisation key of this run (``metrics/key.json``)."""
    path = paths.metrics / "key.json"
    if not path.exists():
        return "unknown"
    return str(json.loads(path.read_text(encoding="utf-8")).get("key_fingerprint", "unknown"))


def code_fingerprint(root: Path) -> str:
    """Return a SHA-256 over the study's code: the package (modules, SQL, codebook, catalogues) and notebooks.

    Unlike the git commit, it does not change when only ``dvc.lock`` or the documentation changes,
    so a report (a DVC output) is the same bytes when re-run from the commit that recorded it.
    """
    root = Path(root)
    files = [
        p
        for folder in (root / "pact_analysis", root / "notebooks")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix in {".py", ".yaml", ".po", ".sql", ".css", ".csv"}
        and "__pycache__" not in p.parts
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def blas_kernels() -> str:
    """The OpenBLAS builds this process computes with, each named by the package that ships it, with
    its version and kernels, then the threads (``numpy: 0.3.31 Haswell; ...; OPENBLAS_NUM_THREADS=1``): both round
    differently, so they belong to what a re-run must match (see
    :func:`pact_analysis.blas.pin_blas`)."""
    import numpy  # noqa: F401  (loads OpenBLAS)
    import scipy.linalg  # noqa: F401  (loads its own OpenBLAS)
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i["internal_api"] == "openblas"]
    found = {
        f"{Path(i['filepath']).parent.name.removesuffix('.libs')}: {i.get('version')} {i.get('architecture')}"
        for i in blas
    }
    threads = sorted({str(i.get("num_threads")) for i in blas})
    # names and numbers only, the same on a page in any language
    return "; ".join([*sorted(found), f"OPENBLAS_NUM_THREADS={'/'.join(threads)}"]) if blas else "–"


def provenance(paths: Paths, used: dict[str, Any], run: bool = False) -> dict[str, Any]:
    """Collect what an evaluator needs to re-run a report exactly.

    Parameters
    ----------
    paths : Paths
        Project paths.
    used : dict
        The parameters the report or run used (see :func:`params_used`).
    run : bool
        Also state the git commit and the time of the run (the index does; a report does not, so that
        the same inputs give the same bytes and ``dvc.lock`` stays unchanged on a re-run).

    Returns
    -------
    dict
        ``code_fingerprint``, ``params``, ``data_fingerprint``, ``key_fingerprint``, ``packages``, and
        with ``run``: ``git_commit`` and ``generated_at`` (UTC).
    """
    packages = {}
    for package in KEY_PACKAGES:
        try:
            packages[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            packages[package] = "not installed"
    packages["OpenBLAS"] = blas_kernels()
    prov = {
        "code_fingerprint": code_fingerprint(paths.root),
        "data_fingerprint": data_fingerprint(paths.raw),
        "key_fingerprint": key_fingerprint(paths),
        "params": used,
        "packages": packages,
    }
    if run:
        prov |= {
            "git_commit": git_commit(paths.root),
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
    return prov


def provenance_html(prov: dict[str, Any], lang: str) -> str:
    """Format :func:`provenance` as an HTML block in ``lang`` (the index and every report footer)."""
    packages = ", ".join(f"{k} {v}" for k, v in prov["packages"].items())
    params = html.escape(json.dumps(prov["params"], indent=1, sort_keys=True, default=str))
    text = markdown_html(
        i18n.t(
            "common.provenance.text",
            lang,
            code=f"`{prov['code_fingerprint'][:16]}`",
            data=f"`{prov['data_fingerprint'][:16]}`",
            key=f"`{prov['key_fingerprint']}`",
            packages=packages,
        )
    )
    if "git_commit" in prov:
        text += markdown_html(
            i18n.t(
                "common.provenance.run",
                lang,
                commit=f"`{prov['git_commit']}`",
                generated=prov["generated_at"],
            )
        )
    return (
        f'<section class="provenance"><h2>{html.escape(i18n.t("common.provenance", lang))}</h2>{text}'
        f"<details><summary>{html.escape(i18n.t('common.provenance.params', lang))}</summary>"
        f"<pre>{params}</pre></details></section>"
    )
