"""The notebooks: committed without outputs, in step with their source, and each one executed
top to bottom (nbclient, the venv's python3 kernel) against a generated sample world. A cell
that raises fails the test with the cell's traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _builder():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_chart(output: dict) -> bool:
    """An altair chart as displayed: the Vega-Lite mimetype, or the HTML renderer's vega-embed."""
    data = output.get("data", {})
    return any(k.startswith("application/vnd.vegalite") for k in data) or "vega-embed" in str(data.get("text/html", ""))


def test_the_notebooks_are_there() -> None:
    names = {p.name for p in PATHS}
    assert names == set(_builder().NOTEBOOKS), "run python notebooks/build_notebooks.py"
    assert len(names) == 5


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.id} has an execution count"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebooks_match_their_source() -> None:
    builder = _builder()
    for name, nb in builder.build().items():
        assert (NOTEBOOKS / name).read_text(encoding="utf-8") == builder.render(nb), (
            f"{name} differs from notebooks/build_notebooks.py: run python notebooks/build_notebooks.py"
        )


def _kernel_env() -> dict[str, str]:
    """JUPYTER_PATH with this venv's share/jupyter first, so that "python3" is its ipykernel."""
    share = Path(sys.prefix) / "share" / "jupyter"
    return {"JUPYTER_PATH": os.pathsep.join([str(share)] + [p for p in [os.environ.get("JUPYTER_PATH")] if p])}


def test_the_python3_kernel_is_this_interpreters(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    for key, value in _kernel_env().items():
        monkeypatch.setenv(key, value)
    spec = KernelSpecManager().get_kernel_spec("python3")
    # jupyter_client runs a bare "python" as sys.executable (the kernel of the venv's ipykernel)
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv
    assert "ipykernel" in " ".join(spec.argv)
    assert spec.argv[0] == sys.executable or Path(spec.resource_dir).is_relative_to(sys.prefix), spec.resource_dir


@pytest.fixture(scope="module")
def world_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from api_world import sample_world

    world = sample_world(tmp_path_factory.getbasetemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDOFFICE_")}
    env.update(world.env)
    env.update(_kernel_env())
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


@pytest.mark.slow
@pytest.mark.xdist_group("api_world")
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_top_to_bottom(path: Path, world_env: dict[str, str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    for key, value in world_env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute(env=world_env)
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed\n{exc}")
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code_cells)
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert errors == []
    charts = [o for c in code_cells for o in c.outputs if o.output_type in ("display_data", "execute_result") and _is_chart(o)]
    assert charts, f"{path.name} draws no chart"
    # the executed copy stays in tmp_path; the committed notebook keeps no outputs
    nbformat.write(nb, tmp_path / path.name)
