"""OptimizationMonitor in a real Jupyter kernel (nbclient): one display area, updated in place.

The notebook runs 50 optimisation steps with a monitor that redraws at every step; the saved
notebook must hold a single display output whose content is the final frame: the ipywidgets
``Image`` model's value when ipywidgets is importable, and an ``image/png`` display updated
through its display id when it is not.
"""

from __future__ import annotations

import base64
import textwrap

import nbformat
import pytest
from nbclient import NotebookClient

N_STEPS = 50

LOOP = """
import torch, oineus_diff as od
torch.manual_seed(0)
pts = torch.randn(40, 2, dtype=torch.float64).requires_grad_(True)
opt = torch.optim.SGD([pts], lr=0.02)
mon = od.OptimizationMonitor(dims=(1,), min_interval=0.0)
for step in range({n_steps}):
    opt.zero_grad()
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    dgms[1].retain_grad()
    loss = -(dgms[1][:, 1] - dgms[1][:, 0]).sum()
    loss.backward()
    mon.update(step, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
    opt.step()
mon.close()
mon.save({path!r})
assert mon.n_frames == {n_steps}, mon.n_frames
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run the two-cell notebook once: first with ipywidgets, then with it blocked."""
    workdir = tmp_path_factory.mktemp("monitor-notebook")
    widget_cell = LOOP.format(n_steps=N_STEPS, path="widget.png")
    # Blocking the module makes `import ipywidgets` fail, so the monitor falls back to a
    # display handle.
    block = "import sys\nsys.modules['ipywidgets'] = None\n"
    handle_cell = block + LOOP.format(n_steps=20, path="handle.png")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in (widget_cell, handle_cell)]
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=240,
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    nbformat.write(nb, str(workdir / "executed.ipynb"))
    return nbformat.read(str(workdir / "executed.ipynb"), as_version=4), workdir


def test_the_widget_cell_has_one_display_area_holding_the_final_frame(executed):
    nb, workdir = executed
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"]
    model_id = outputs[0].data["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    image = state[model_id]
    assert image["model_name"] == "ImageModel"
    assert image["state"]["format"] == "png"
    (buffer,) = [b for b in image["buffers"] if b["path"] == ["value"]]
    assert base64.b64decode(buffer["data"]) == (workdir / "widget.png").read_bytes()


def test_without_ipywidgets_one_display_is_updated_through_its_id(executed):
    nb, workdir = executed
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data"]
    png = base64.b64decode(outputs[0].data["image/png"])
    assert png == (workdir / "handle.png").read_bytes()
    assert png[1:4] == b"PNG"
