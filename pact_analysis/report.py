"""Rendering the analysis notebooks into the HTML reports evaluators read.

A report is a jupytext notebook under ``notebooks/`` executed by papermill, with its parameters cell
filled from ``params.yaml``, then rendered by nbconvert to HTML without code. Every report ends with a
provenance footer; ``reports/index.html`` links them all and states the provenance of the run (git
commit, parameters, data fingerprint, package versions).

Notebook parameters follow one naming rule: a notebook parameter ``disclosure_min_cell`` is filled from
``params.yaml`` key ``disclosure.min_cell`` (dots become underscores); ``root`` is the project root.

Tables are published only through :func:`publish_table`, which applies small-cell suppression and
keeps a CSV copy under ``reports/tables/<report>/`` for the disclosure check.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis.config import Paths, load_params
from pact_analysis.errors import StageError
from pact_analysis.io import atomic_file, write_json

KERNEL_NAME = "pact-analysis"

#: Tables longer than this are shown as searchable, paged tables.
LONG_TABLE = 40

#: Reports in reading order: notebook name -> title shown in the index.
REPORTS = {
    "00_overview": "Overview of the data: sources, dictionary, quality and calibration",
    "01_record_linkage": "Record linkage and pseudonymisation",
}

#: Packages whose versions are stated in the provenance.
KEY_PACKAGES = [
    "pandas", "numpy", "duckdb", "splink", "lifelines", "statsmodels", "scikit-learn", "pandera",
    "papermill", "nbconvert", "dvc",
]  # fmt: skip

_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", re.IGNORECASE)
_EXTERNAL_MODULE = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*https?://(?:(?!</script>).)*</script>", re.S
)


# --------------------------------------------------------------------------------------------------
# Rendering


def _leaves(params: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Return ``(dotted key, value)`` for every leaf of nested parameters."""
    leaves = []
    for key, value in params.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            leaves += _leaves(value, f"{dotted}.")
        else:
            leaves.append((dotted, value))
    return leaves


def flatten_params(params: dict[str, Any]) -> dict[str, Any]:
    """Flatten nested parameters into notebook parameter names (``a.b`` -> ``a_b``).

    Parameters
    ----------
    params : dict
        Nested parameters as read from ``params.yaml``.

    Returns
    -------
    dict
        Flat mapping; dates become ISO strings so papermill can pass them.
    """
    return {
        dotted.replace(".", "_"): value.isoformat() if hasattr(value, "isoformat") else value
        for dotted, value in _leaves(params)
    }


def dotted_names(params: dict[str, Any]) -> dict[str, str]:
    """Map each notebook parameter name to its ``params.yaml`` key (``a_b`` -> ``a.b``)."""
    return {dotted.replace(".", "_"): dotted for dotted, _ in _leaves(params)}


def declared_parameters(source: Path, workdir: Path) -> list[str]:
    """Return the parameter names declared in a jupytext notebook's ``parameters`` cell.

    Parameters
    ----------
    source : Path
        The ``notebooks/<name>.py`` file.
    workdir : Path
        Folder for the temporary ``.ipynb`` papermill inspects.
    """
    import papermill

    nb_path = to_ipynb(source, Path(workdir) / f"{Path(source).stem}.ipynb")
    return list(papermill.inspect_notebook(str(nb_path)))


def to_ipynb(source: Path, target: Path) -> Path:
    """Convert a jupytext notebook to ``.ipynb`` with the project's kernel set (papermill needs it).

    Parameters
    ----------
    source : Path
        The ``notebooks/<name>.py`` file.
    target : Path
        The ``.ipynb`` to write.
    """
    import jupytext

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python (pact-analysis)",
        "language": "python",
    }
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, target, fmt="ipynb")
    return Path(target)


def notebook_parameters(notebook: Path, params: dict[str, Any], root: Path) -> dict[str, Any]:
    """Return the values for the parameters a notebook declares in its ``parameters`` cell.

    Parameters
    ----------
    notebook : Path
        The executable ``.ipynb`` (converted from jupytext).
    params : dict
        Study parameters.
    root : Path
        Project root passed as ``root``.

    Raises
    ------
    StageError
        If the notebook declares a parameter that ``params.yaml`` does not define.
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    flat = flatten_params(params) | {"root": str(root)}
    missing = sorted(set(declared) - set(flat))
    if missing:
        raise StageError(f"{notebook.name}: parameters {missing} are not defined in params.yaml")
    return {name: flat[name] for name in declared}


def render_notebook(name: str, paths: Paths, params: dict[str, Any]) -> Path:
    """Execute ``notebooks/<name>.py`` with papermill and write ``reports/<name>.html``.

    Parameters
    ----------
    name : str
        Notebook name without extension, for example ``"00_overview"``.
    paths : Paths
        Project paths.
    params : dict
        Study parameters (``params.yaml``).

    Returns
    -------
    Path
        The HTML report.
    """
    import papermill

    source = paths.notebooks / f"{name}.py"
    if not source.exists():
        raise StageError(f"no notebook {source}")
    build = paths.root / "build" / "notebooks"
    unexecuted = to_ipynb(source, build / f"{name}.ipynb")
    executed = build / f"{name}.executed.ipynb"
    papermill.execute_notebook(
        str(unexecuted),
        str(executed),
        parameters=notebook_parameters(unexecuted, params, paths.root),
        kernel_name=KERNEL_NAME,
        cwd=str(paths.root),
        progress_bar=True,
        log_output=False,
    )
    target = paths.reports / f"{name}.html"
    with atomic_file(target) as fh:
        fh.write(notebook_html(executed))
    return target


def notebook_html(executed: Path) -> str:
    """Render an executed notebook to self-contained HTML without code or external requests."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = notebook_title(nb)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    return offline_html(body)


def notebook_title(nb: Any) -> str:
    """Return the first Markdown heading of a notebook (the report's title)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "pact-analysis report"


def offline_html(text: str) -> str:
    """Drop the scripts nbconvert loads from a CDN (require.js, MathJax, mermaid).

    The reports use static images and embedded tables only, so they read the same without a network
    and make no request when opened.
    """
    return _EXTERNAL_MODULE.sub("", _EXTERNAL_SCRIPT.sub("", text))


# --------------------------------------------------------------------------------------------------
# Provenance


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


def provenance(paths: Paths, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Collect what an evaluator needs to re-run a report exactly.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict, optional
        Study parameters; read from ``params.yaml`` when omitted.

    Returns
    -------
    dict
        ``git_commit``, ``params``, ``data_source``, ``data_fingerprint``, ``packages`` and
        ``generated_at`` (UTC).
    """
    params = params if params is not None else load_params(paths.params)
    packages = {}
    for package in KEY_PACKAGES:
        try:
            packages[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            packages[package] = "not installed"
    return {
        "git_commit": git_commit(paths.root),
        "data_source": params["data"]["source"],
        "data_fingerprint": data_fingerprint(paths.raw),
        "params": params,
        "packages": packages,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def provenance_html(prov: dict[str, Any]) -> str:
    """Format :func:`provenance` as an HTML block (used by the index and every report footer)."""
    packages = ", ".join(f"{k} {v}" for k, v in prov["packages"].items())
    params = html.escape(json.dumps(prov["params"], indent=1, sort_keys=True, default=str))
    return (
        '<section class="provenance"><h2>Provenance</h2><ul>'
        f"<li>Code: git commit <code>{html.escape(prov['git_commit'])}</code></li>"
        f"<li>Data: <b>{html.escape(prov['data_source'])}</b>, fingerprint of data/raw "
        f"<code>{prov['data_fingerprint'][:16]}</code></li>"
        f"<li>Packages: {html.escape(packages)}</li>"
        f"<li>Generated: {prov['generated_at']}</li></ul>"
        f"<details><summary>Parameters (params.yaml)</summary><pre>{params}</pre></details></section>"
    )


# --------------------------------------------------------------------------------------------------
# Index page

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pact-analysis reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem;
  color: #1b2631; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }} code, pre {{ font-size: .85rem; }} pre {{ background: #f4f6f7; padding: .5rem; }}
.missing {{ color: #7b7d7d; }} .banner {{ background: #fef5e7; border-left: 4px solid #f39c12; padding: .5rem 1rem; }}
</style></head><body>
<h1>PACT segmentation study: reports</h1>
<p>Reproducible study of the segmentation strategy of PACT (Pro-Active Case-based Targeted model for
social inclusion, Castilla y León, 2015-2018): linking persons across social-services sources,
profiles, chronicity on minimum income, alerts and the pilot evaluation.</p>
{banner}
<h2>Reports</h2><ol>{items}</ol>
{provenance}
</body></html>
"""


def build_index(paths: Paths, params: dict[str, Any]) -> Path:
    """Write ``reports/index.html`` linking every rendered report, with provenance.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Study parameters.

    Returns
    -------
    Path
        The index page.
    """
    items = []
    for name, title in REPORTS.items():
        if (paths.reports / f"{name}.html").exists():
            items.append(f'<li><a href="{name}.html">{html.escape(title)}</a></li>')
        else:
            items.append(f'<li class="missing">{html.escape(title)} (not rendered)</li>')
    banner = ""
    if params["data"]["source"] == "synthetic":
        banner = (
            '<p class="banner">These reports run on the <b>synthetic region</b> that the project generates '
            "(no real person is in it). Its figures test the methods against a known truth; they are "
            "not findings about Castilla y León.</p>"
        )
    target = paths.reports / "index.html"
    with atomic_file(target) as fh:
        fh.write(
            _PAGE.format(
                banner=banner, items="".join(items), provenance=provenance_html(provenance(paths, params))
            )
        )
    return target


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``index`` stage: write ``reports/index.html``."""
    build_index(paths, params)


# --------------------------------------------------------------------------------------------------
# Helpers called from the notebooks


def setup_notebook() -> None:
    """Apply the shared plot theme and table display options in a report notebook."""
    import matplotlib as mpl
    import seaborn as sns
    from itables import init_notebook_mode

    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 96, "figure.figsize": (8, 4.5), "savefig.bbox": "tight"})
    pd.set_option("display.max_rows", LONG_TABLE)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_colwidth", 120)
    os.environ.setdefault("MPLBACKEND", "Agg")
    init_notebook_mode(all_interactive=False, connected=False)  # DataTables embedded: works offline


def show_table(table: pd.DataFrame) -> None:
    """Display a table: a static HTML table, or a searchable one when longer than ``LONG_TABLE`` rows."""
    from IPython.display import display
    from itables import show

    if len(table) > LONG_TABLE:
        show(table, lengthMenu=[25, 100, 500], pageLength=25)
    else:
        display(table)


def publish_table(
    table: pd.DataFrame,
    name: str,
    report: str,
    root: str | Path,
    min_cell: int,
    count_columns: list[str] | None = None,
) -> pd.DataFrame:
    """Suppress small counts in a table, keep a CSV copy for the disclosure check, and return it.

    Parameters
    ----------
    table : DataFrame
        The table to publish.
    name : str
        File-safe table name, unique within the report.
    report : str
        Report (notebook) name.
    root : str or Path
        Project root.
    min_cell : int
        Minimum publishable count (``disclosure.min_cell``).
    count_columns : list of str, optional
        Columns holding counts of persons or records. ``None`` means the table holds no counts (for
        example a data dictionary or model coefficients) and is published as is.

    Returns
    -------
    DataFrame
        The table as published. Beside its CSV copy, ``<name>.json`` declares the count columns, so
        the disclosure check tests exactly those.
    """
    from pact_analysis import disclosure

    published = table
    if count_columns:
        published = disclosure.suppress_small_cells(table, min_cell, columns=count_columns)
    folder = Paths(Path(root)).reports / "tables" / report
    with atomic_file(folder / f"{name}.csv") as fh:
        published.to_csv(fh, index=True)
    write_json(folder / f"{name}.json", {"count_columns": list(count_columns or [])})
    return published


def publish(
    table: pd.DataFrame,
    name: str,
    report: str,
    root: str | Path,
    min_cell: int,
    count_columns: list[str] | None = None,
) -> pd.DataFrame:
    """Publish a table with :func:`publish_table` and display it; same parameters."""
    published = publish_table(table, name, report, root, min_cell, count_columns)
    show_table(published)
    return published


def footer(root: str | Path) -> None:
    """Display the provenance footer at the end of a report notebook."""
    from IPython.display import HTML, display

    paths = Paths(Path(root))
    display(HTML(provenance_html(provenance(paths))))
