"""OptimizationMonitor (SPEC §7.4): throttling, recording, rendered frames, display fallbacks."""

from __future__ import annotations

import gc
import io
import weakref

import numpy as np
import pytest
import torch
from PIL import Image

import oineus_diff as od
import oineus_diff.widgets as widgets_module
from oineus_diff import _core
from oineus_diff.widgets import _diagram_arrows


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(widgets_module, "_now", fake)
    return fake


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def circle(n=40, seed=0):
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(angle), np.sin(angle)], axis=1) + 0.05 * rng.normal(size=(n, 2))


def step_loss(pts):
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    for d in dgms:
        dgms[d].retain_grad()
    loss = -(dgms[1][:, 1] - dgms[1][:, 0]).sum()
    loss.backward()
    return dgms, loss


# ---------------------------------------------------------------------------------------------
# recording and throttling
# ---------------------------------------------------------------------------------------------


def test_every_update_records_and_redraws_follow_every_and_min_interval(clock):
    mon = od.OptimizationMonitor(every=5, min_interval=0.0)
    for step in range(50):
        mon.update(step, float(step) ** 0.5)
        clock.t += 0.01
    assert mon.history.steps == list(range(50))
    assert mon.history.losses == pytest.approx([s**0.5 for s in range(50)])
    assert mon.n_frames == 10  # steps 0, 5, …, 45

    mon = od.OptimizationMonitor(every=1, min_interval=1.0)
    for step in range(50):
        mon.update(step, 1.0)
        clock.t += 0.25  # a redraw at most every fourth step
    assert mon.n_frames == 13  # steps 0, 4, 8, …, 48
    mon.close()
    assert mon.n_frames == 14  # close draws the final state (step 49)
    mon.close()
    assert mon.n_frames == 14  # nothing new to draw


def test_loss_accepts_floats_numpy_scalars_and_0d_tensors(clock):
    mon = od.OptimizationMonitor()
    mon.update(0, 1.5)
    mon.update(1, torch.tensor(2.5, requires_grad=True) * 1.0)
    mon.update(2, np.float32(3.5))
    mon.update(3, np.array(4.5))
    assert mon.history.losses == [1.5, 2.5, 3.5, 4.5]
    with pytest.raises(TypeError, match="loss"):
        mon.update(4, "1.0")
    with pytest.raises(ValueError, match="loss"):
        mon.update(4, torch.ones(3))
    with pytest.raises(TypeError, match="step"):
        mon.update(1.5, 1.0)
    assert len(mon.history.steps) == 4


def test_context_manager_draws_the_final_state(clock):
    with od.OptimizationMonitor(min_interval=100.0) as mon:
        for step in range(5):
            mon.update(step, 5.0 - step)
    assert mon.n_frames == 2  # the first step, and the final state on exit
    assert mon.latest_frame is not None


def test_constructor_errors_name_the_parameter():
    for kwargs, error, name in [
        ({"every": 0}, ValueError, "every"),
        ({"every": 1.5}, TypeError, "every"),
        ({"every": True}, TypeError, "every"),
        ({"min_interval": -1.0}, ValueError, "min_interval"),
        ({"min_interval": float("nan")}, ValueError, "min_interval"),
        ({"min_interval": "0.1"}, TypeError, "min_interval"),
        ({"dims": ["1"]}, TypeError, "dims"),
        ({"dims": [-1]}, ValueError, "dims"),
        ({"log_loss": 1}, TypeError, "log_loss"),
        ({"figsize": (0.1, 4)}, ValueError, "figsize"),
        ({"figsize": 12}, TypeError, "figsize"),
    ]:
        with pytest.raises(error, match=name):
            od.OptimizationMonitor(**kwargs)


def test_update_errors_name_the_argument():
    mon = od.OptimizationMonitor()
    with pytest.raises(TypeError, match="data must be a torch.Tensor or numpy.ndarray, got list"):
        mon.update(0, 1.0, data=[[0.0, 1.0]])
    with pytest.raises(ValueError, match="data_grad must have the shape of data"):
        mon.update(0, 1.0, data=np.zeros((5, 2)), data_grad=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="data must be a point cloud"):
        mon.update(0, 1.0, data=np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="data_grad was given without data"):
        mon.update(0, 1.0, data_grad=np.zeros(3))
    with pytest.raises(TypeError, match="diagrams"):
        mon.update(0, 1.0, diagrams=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"dims \[2\]"):
        od.OptimizationMonitor(dims=2).update(0, 1.0, diagrams={0: torch.zeros(1, 2)})
    with pytest.raises(ValueError, match="3 rows but the diagram has 2"):
        mon.update(0, 1.0, diagrams={0: torch.zeros(2, 2)}, gradients={0: np.zeros((3, 2))})
    assert mon.history.steps == []


def test_no_graph_or_tensor_is_retained(clock):
    mon = od.OptimizationMonitor(min_interval=100.0)

    def one_step(step):
        pts = torch.tensor(circle(), requires_grad=True)
        dgms, loss = step_loss(pts)
        mon.update(step, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
        return weakref.ref(pts), weakref.ref(dgms[1])

    refs = [one_step(s) for s in range(3)]
    gc.collect()
    assert all(r() is None for pair in refs for r in pair)


def test_outside_a_notebook_nothing_is_displayed(capfd, clock):
    mon = od.OptimizationMonitor(min_interval=0.0)
    pts = torch.tensor(circle(), requires_grad=True)
    dgms, loss = step_loss(pts)
    mon.update(0, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
    mon.close()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert mon.n_frames == 1


def test_a_failing_display_never_raises(monkeypatch, clock):
    calls = []

    def broken(png):
        calls.append(len(png))
        raise RuntimeError("no frontend")

    monkeypatch.setattr(widgets_module, "_make_view", broken)
    mon = od.OptimizationMonitor(min_interval=0.0)
    for step in range(3):
        mon.update(step, 1.0)
    assert mon.n_frames == 3
    assert len(calls) == 1  # after one failure the monitor only records


def test_views_are_updated_in_place(monkeypatch, clock):
    shown = []

    class View:
        def __init__(self, png):
            shown.append(("display", png))

        def update(self, png):
            shown.append(("update", png))

    monkeypatch.setattr(widgets_module, "_make_view", View)
    mon = od.OptimizationMonitor(min_interval=0.0)
    for step in range(4):
        mon.update(step, 1.0 / (step + 1))
    assert [kind for kind, _ in shown] == ["display", "update", "update", "update"]
    assert shown[-1][1] == mon.latest_frame


# ---------------------------------------------------------------------------------------------
# rendered frames
# ---------------------------------------------------------------------------------------------


def test_frames_decode_to_figsize_and_change_between_steps(tmp_path, clock):
    mon = od.OptimizationMonitor(min_interval=0.0, figsize=(9, 3), dims=(1,), log_loss=True)
    pts = torch.tensor(circle(), requires_grad=True)
    opt = torch.optim.SGD([pts], lr=0.05)
    frames = []
    for step in range(3):
        opt.zero_grad()
        dgms, loss = step_loss(pts)
        mon.update(step, loss.abs() + 1.0, diagrams=dgms, data=pts, data_grad=pts.grad)
        frames.append(decode(mon.latest_frame))
        opt.step()
    assert frames[0].shape == (300, 900, 3)
    assert (frames[0] != frames[1]).any() and (frames[1] != frames[2]).any()
    path = tmp_path / "frame.png"
    mon.save(path)
    assert path.read_bytes() == mon.latest_frame
    np.testing.assert_array_equal(decode(path.read_bytes()), frames[-1])
    with pytest.raises(TypeError, match="path"):
        mon.save(3)


def test_save_renders_the_current_state_when_throttled(tmp_path, clock):
    mon = od.OptimizationMonitor(min_interval=100.0)
    mon.update(0, 1.0, data=np.zeros(5))
    first = mon.latest_frame
    mon.update(1, 0.5, data=np.arange(5.0))
    assert mon.latest_frame == first
    mon.save(tmp_path / "latest.png")
    assert (tmp_path / "latest.png").read_bytes() != first
    assert mon.history.steps == [0, 1]
    # A monitor with nothing recorded still saves a (blank) frame.
    od.OptimizationMonitor().save(tmp_path / "empty.png")
    assert decode((tmp_path / "empty.png").read_bytes()).shape == (400, 1200, 3)


@pytest.mark.parametrize(
    "data",
    [
        circle(),
        np.random.default_rng(1).normal(size=(30, 3)),
        np.random.default_rng(2).normal(size=(12, 16)),
        np.sin(np.arange(20.0)),
    ],
    ids=["cloud-2d", "cloud-3d", "field", "signal"],
)
def test_every_data_kind_draws_arrows(data, clock):
    grad = np.cos(data)
    with_grad = od.OptimizationMonitor(min_interval=0.0)
    with_grad.update(0, 1.0, data=torch.tensor(data), data_grad=torch.tensor(grad))
    plain = od.OptimizationMonitor(min_interval=0.0)
    plain.update(0, 1.0, data=data)
    assert (decode(with_grad.latest_frame) != decode(plain.latest_frame)).any()


def test_diagram_arrows_follow_the_plot_diagram_gradient_rules():
    points = np.array([[0.0, 1.0], [0.5, np.inf], [0.2, 0.4], [np.nan, 1.0]])
    grad = np.array([[1.0, -2.0], [3.0, np.nan], [np.inf, 0.0], [1.0, 1.0]])
    arrows = _diagram_arrows(points, grad)
    np.testing.assert_array_equal(arrows[0], [-1.0, 2.0])  # descent: −gradient
    np.testing.assert_array_equal(arrows[1], [-3.0, 0.0])  # essential: birth component only
    assert np.isnan(arrows[2]).all()  # non-finite gradient: not drawn
    assert np.isnan(arrows[3]).all()  # NaN point: not drawn


def test_explicit_gradients_and_retained_grads_change_the_frame(clock):
    dgm = torch.tensor([[0.0, 1.0], [0.2, 0.9]], requires_grad=True)
    plain = od.OptimizationMonitor(min_interval=0.0)
    plain.update(0, 1.0, diagrams={0: dgm})
    (dgm[:, 1] - dgm[:, 0]).sum().backward()
    retained = od.OptimizationMonitor(min_interval=0.0)
    retained.update(0, 1.0, diagrams={0: dgm})
    explicit = od.OptimizationMonitor(min_interval=0.0)
    explicit.update(0, 1.0, diagrams={0: dgm.detach()}, gradients={0: dgm.grad})
    assert explicit.latest_frame == retained.latest_frame
    assert retained.latest_frame != plain.latest_frame


def test_render_binding_checks_lengths_and_sizes():
    empty = np.zeros(0)
    with pytest.raises(ValueError, match="equal lengths"):
        _core.render_monitor_frame(600, 200, "", "none", empty, None, [0], [], [], empty, empty, False)
    with pytest.raises(ValueError, match="width"):
        _core.render_monitor_frame(10, 200, "", "none", empty, None, [], [], [], empty, empty, False)
    png = _core.render_monitor_frame(600, 200, "t", "none", empty, None, [], [], [], empty, empty, False)
    assert decode(png).shape == (200, 600, 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_cuda_tensors_are_accepted_and_not_retained(clock):
    mon = od.OptimizationMonitor(min_interval=0.0)
    pts = torch.tensor(circle(), device="cuda", requires_grad=True)
    dgms, loss = step_loss(pts)
    assert loss.device.type == "cuda"
    mon.update(0, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
    cpu = od.OptimizationMonitor(min_interval=0.0)
    pts_cpu = pts.detach().cpu().requires_grad_(True)
    dgms_cpu, loss_cpu = step_loss(pts_cpu)
    cpu.update(0, loss_cpu, diagrams=dgms_cpu, data=pts_cpu, data_grad=pts_cpu.grad)
    # Same picture up to a few pixels (gradients agree to rounding, not bitwise).
    differing = (decode(mon.latest_frame) != decode(cpu.latest_frame)).any(axis=2)
    assert differing.mean() < 1e-3


def test_the_font_licence_ships_with_the_package():
    # The monitor's frames embed DejaVu Sans; its licence must travel with the wheel.
    from pathlib import Path

    root = Path(od.__file__).resolve().parent
    shipped = (root / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera" in shipped
    assert shipped == (root.parent / "rust/core/src/render/fonts/LICENSE-DejaVu.txt").read_text()
