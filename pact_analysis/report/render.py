"""Executing the report notebooks with papermill and rendering them to HTML in every language.

A report is a jupytext notebook under ``notebooks/`` executed once per language by papermill (both
languages in one kernel, emptied between them: :func:`report_kernel`), with its parameters cell filled from ``params.yaml`` (a notebook parameter ``disclosure_min_cell`` is the
key ``disclosure.min_cell``; ``root`` is the project root; ``lang`` the language), then exported by
nbconvert without code into the shared page (:mod:`.shell`) as ``reports/<lang>/<name>.html``.
"""

from __future__ import annotations

import ast
import html
import logging
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pact_analysis.errors import StageError
from pact_analysis.io import atomic_file, write_json
from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.report.page import short_name
from pact_analysis.report.shell import page

log = logging.getLogger(__name__)

KERNEL_NAME = "pact-analysis"

_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", re.IGNORECASE)
_EXTERNAL_MODULE = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*https?://(?:(?!</script>).)*</script>", re.S
)


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


def notebook_parameters(notebook: Path, params: dict[str, Any], root: Path, lang: str) -> dict[str, Any]:
    """Return the values for the parameters a notebook declares in its ``parameters`` cell.

    Parameters
    ----------
    notebook : Path
        The executable ``.ipynb`` (converted from jupytext).
    params : dict
        Study parameters.
    root : Path
        Project root passed as ``root``.
    lang : str
        Report language passed as ``lang``.

    Raises
    ------
    StageError
        If the notebook declares a parameter that ``params.yaml`` does not define.
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    flat = flatten_params(params) | {"root": str(root), "lang": lang}
    missing = sorted(set(declared) - set(flat))
    if missing:
        raise StageError(f"{notebook.name}: parameters {missing} are not defined in params.yaml")
    return {name: flat[name] for name in declared}


@contextmanager
def report_kernel(root: Path, preload: str = "") -> Iterator[Any]:
    """A kernel of the project's environment, started in ``root``, that renders every language.

    Starting a kernel and importing the scientific stack takes most of a small report's time; the
    languages of one report share them. Between two languages the kernel's namespace is emptied and
    its figures closed (:func:`reset_kernel`), so each language runs the notebook from a clean slate.

    ``preload`` (the notebook's imports, :func:`notebook_imports`) is sent to the kernel as soon as it
    starts, silently (no output, no execution count), and the kernel runs it while this process
    converts the notebook; the caller empties the namespace before the first language too. A
    preload that fails is not reported here: the notebook's own import cell then fails with its
    error.

    Parameters
    ----------
    root : Path
        Project root (the notebooks' working directory).
    preload : str
        Python code to run first (imports only).
    """
    from jupyter_client.manager import KernelManager
    from jupyter_client.session import Session

    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(root))
    kc = None
    try:
        if preload:
            # The client stays open while the kernel lives: closing it could drop a request the
            # kernel, still starting, has not received yet. It has a session of its own: clients of
            # one session share an identity on the kernel's sockets, and the kernel would send the
            # replies meant for the other clients (the reset's, papermill's) to this one.
            kc = km.client(session=Session(key=km.session.key, signature_scheme=km.session.signature_scheme))
            kc.start_channels()
            kc.execute(preload, silent=True, store_history=False)
        yield km
    finally:
        if kc is not None:
            kc.stop_channels()
        km.shutdown_kernel(now=True)


def notebook_imports(source: Path) -> str:
    """The top-level import statements of a jupytext notebook, one per line ("" if it does not parse).

    Parameters
    ----------
    source : Path
        The ``notebooks/<name>.py`` file (percent format: its markdown cells are comments).
    """
    try:
        tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    except SyntaxError:  # an IPython magic, say: no preload, the notebook runs as it is
        return ""
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom))


#: Seconds a reset waits for the kernel to answer, and again for the reset.
RESET_TIMEOUT = 60.0

#: Seconds the first reset waits: the kernel imports the notebook's modules first (about 2.5 s on an
#: idle machine; a machine that swaps can take many times that).
PRELOAD_TIMEOUT = 600


def reset_kernel(km: Any, timeout: float = RESET_TIMEOUT) -> None:
    """Empty the namespace of a :func:`report_kernel` and close its figures (modules stay imported).

    Parameters
    ----------
    km : jupyter_client.KernelManager
        The kernel.
    timeout : float
        Seconds to wait for the kernel, once for it to answer and once for the reset; the first reset
        also waits for the preload (:data:`PRELOAD_TIMEOUT`).

    Raises
    ------
    StageError
        If the kernel does not answer in time or the reset fails.
    """
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive(_RESET, timeout=timeout, output_hook=lambda _msg: None)
        if reply["content"]["status"] != "ok":
            raise StageError(f"could not reset the report kernel: {reply['content'].get('ename')}")
    except (RuntimeError, TimeoutError) as err:
        raise StageError(f"the report kernel did not answer within {timeout:g} s: {err}") from err
    finally:
        kc.stop_channels()


_RESET = "get_ipython().reset(new_session=False, aggressive=False)\nimport matplotlib.pyplot\nmatplotlib.pyplot.close('all')"


def execute(unexecuted: Path, paths: Paths, params: dict[str, Any], lang: str, km: Any = None) -> Path:
    """Execute a report notebook in ``lang`` with papermill; return the executed notebook.

    Parameters
    ----------
    unexecuted : Path
        The notebook as ``.ipynb`` (:func:`to_ipynb`), ``build/notebooks/<name>.ipynb``.
    paths : Paths
        Project paths.
    params : dict
        Study parameters.
    lang : str
        Report language.
    km : KernelManager, optional
        A started kernel to run in (:func:`report_kernel`); by default papermill starts its own.
    """
    import papermill

    name = Path(unexecuted).stem
    executed = Path(unexecuted).with_name(f"{name}.{lang}.executed.ipynb")
    log.info("executing %s (%s)", name, lang)
    papermill.execute_notebook(
        str(unexecuted),
        str(executed),
        parameters=notebook_parameters(unexecuted, params, paths.root, lang),
        kernel_name=KERNEL_NAME,
        cwd=str(paths.root),
        progress_bar=True,
        log_output=False,
        **({"km": km} if km is not None else {}),
    )
    return executed


def not_delivered(name: str, paths: Paths) -> list[str]:
    """The extracts whose absence kept ``name``'s analysis from running, as file names.

    Only the pilot evaluation needs optional extracts; its stage decides, once, whether it could run
    and records which files were missing in ``data/pilot/results.json``
    (:func:`pact_analysis.pilot.not_evaluated`). Every other report needs only required extracts.
    """
    if name != "05_pilot_evaluation":
        return []
    from pact_analysis import pilot

    return pilot.not_evaluated(paths.pilot)


def unavailable_html(name: str, lang: str, missing: list[str]) -> str:
    """The page of a report whose extracts were not delivered: its title and why it is empty."""
    from pact_analysis.report.page import markdown_html
    from pact_analysis.report.references import cited_by, references_html

    title = i18n.t(f"{short_name(name)}.title", lang)
    text = i18n.t("common.unavailable", lang, files=", ".join(missing))
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f'<section class="findings"><h2>{html.escape(i18n.t("common.findings", lang))}</h2>'
        f"{markdown_html(text)}</section>"
    ) + references_html(cited_by(name), lang)
    return offline_html(page(body, lang, title, f"{name}.html"))


def write_unavailable(name: str, paths: Paths, missing: list[str]) -> list[Path]:
    """Write the pages and index summaries of a report whose extracts were not delivered (:func:`not_delivered`)."""
    folder = paths.tables(name)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*"):  # tables of an earlier run with the extracts must not stay published
        if stale.is_dir():
            shutil.rmtree(stale)  # the copies of each language (reports/tables/<name>/<lang>/)
        else:
            stale.unlink()
    written = []
    for lang in i18n.LANGUAGES:
        target = paths.reports / lang / f"{name}.html"
        with atomic_file(target) as fh:
            fh.write(unavailable_html(name, lang, missing))
        write_json(
            folder / f"summary.{lang}.json",
            {"report": name, "index": "common.unavailable", "values": {"files": ", ".join(missing)}},
        )
        written.append(target)
    log.warning("%s: not written, extracts not delivered: %s", name, ", ".join(missing))
    return written


def render_notebook(name: str, paths: Paths, params: dict[str, Any]) -> list[Path]:
    """Execute a report notebook in every language and write ``reports/<lang>/<name>.html``.

    The languages run one after the other in one kernel (:func:`report_kernel`), emptied between
    them. Running them at once, each in a kernel of its own, was measured and dropped: starting a
    second kernel and importing the scientific stack again cost as much as it saved (20,000 persons:
    the seven reports took 86 s against 75 s one after the other, with twice the CPU and memory).
    The kernel starts first and imports the notebook's modules while this process converts the
    notebook (:func:`report_kernel`'s ``preload``).
    A report whose optional extracts were not delivered (:func:`not_delivered`) is not executed: its page
    says which extracts are missing (:func:`write_unavailable`).

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
    list of Path
        The HTML reports, one per language.
    """
    missing = not_delivered(name, paths)
    if missing:
        return write_unavailable(name, paths, missing)
    source = paths.notebooks / f"{name}.py"
    if not source.exists():
        raise StageError(f"no notebook {source}")
    written = []
    with report_kernel(paths.root, preload=notebook_imports(source)) as km:
        unexecuted = to_ipynb(source, paths.root / "build" / "notebooks" / f"{name}.ipynb")
        exporter = html_exporter()
        for number, lang in enumerate(i18n.LANGUAGES):
            reset_kernel(km, timeout=RESET_TIMEOUT if number else PRELOAD_TIMEOUT)
            executed = execute(unexecuted, paths, params, lang, km)
            target = paths.reports / lang / f"{name}.html"
            with atomic_file(target) as fh:
                fh.write(notebook_html(executed, name, lang, exporter))
            written.append(target)
    return written


def report_cells(nb: Any) -> Any:
    """Keep what a reader should see: what the report displays, without warnings or stray values.

    Markdown cells are developer notes (the report's words come from the catalogues), so they are
    dropped; stderr is logged, not published; so is the value of a cell's last expression (an
    ``execute_result``, such as the ``True`` a call returns): a page shows only what the report
    displays (:class:`~pact_analysis.report.page.Report`). Cells are numbered in order so the HTML is
    the same bytes on every run.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                log.warning("notebook stderr: %s", output.get("text", "")[:500])
            elif output.get("output_type") == "execute_result":
                shown = output.get("data", {}).get("text/plain", "")
                log.debug("a cell's last value was not published: %s", str(shown)[:200])
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _displayed(o)]
    nb.cells = [cell for cell in nb.cells if cell.cell_type == "code" and cell.get("outputs")]
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"  # nbformat draws random ids: same run, same bytes
    return nb


def _displayed(output: Any) -> bool:
    """Whether a cell output is something the report displayed (not stderr, not a stray value)."""
    kind = output.get("output_type")
    return kind != "execute_result" and not (kind == "stream" and output.get("name") == "stderr")


def html_exporter() -> Any:
    """nbconvert's exporter of the pages' bodies (no code, no prompts), its templates already compiled.

    One exporter renders every language of a report; :func:`render_notebook` makes it while the
    kernel is still importing.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    exporter.from_notebook_node(nbformat.v4.new_notebook())  # loads and compiles the templates
    return exporter


def notebook_html(executed: Path, name: str, lang: str, exporter: Any) -> str:
    """Render an executed notebook to a self-contained page without code or external requests.

    Parameters
    ----------
    executed : Path
        The executed ``.ipynb``.
    name : str
        Notebook name without extension.
    lang : str
        Language of the page.
    exporter : nbconvert.HTMLExporter
        From :func:`html_exporter`.
    """
    import nbformat

    nb = report_cells(nbformat.read(executed, as_version=4))
    body, _ = exporter.from_notebook_node(nb)
    title = i18n.t(f"{short_name(name)}.title", lang)
    return offline_html(page(body, lang, title, f"{name}.html"))


def offline_html(text: str) -> str:
    """Drop any script a library would load from a CDN (require.js, MathJax, mermaid)."""
    return _EXTERNAL_MODULE.sub("", _EXTERNAL_SCRIPT.sub("", text))
