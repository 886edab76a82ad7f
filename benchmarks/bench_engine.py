"""Engine speed: particle-steps per second of DDPM over a bundled-size MLP, ONNX Runtime against torch and matmul.

The network mirrors the bundled 2D models (2 → 128 → 128 → 128 → 2, SiLU, a 32-dim sinusoidal time embedding
projected and added before every hidden activation), with random weights. For N = 1k, 10k, 100k it measures, in
one run and interleaved so background load hits all of them alike:

Every figure is the best of its repetitions and rounds (see :func:`seconds`).

- the machine's fp32 matmul rate: numpy and torch ``(N, 128) @ (128, 128)``, the best of the two as the baseline;
- one model call through diffviz's ONNX Runtime session (``diffviz.runtime.load_model``: the CPU or CUDA provider
  that runs here, graph optimizations on, worker threads not spinning), in GFLOP/s and as % of the matmul rate;
- the same network in torch eager (``torch.inference_mode``, same thread count), and the ratio ORT / torch;
- a whole DDPM run with ``diffviz.sample`` (no score-field grid): particle-steps per second, and the share of a
  step spent outside the model call (schedule lookup, ε̂/s/x̂_0 conversions, update, noise, recording).

Tuning variants (threads, spinning, IOBinding on CPU, optimization level) are timed at N = 10k.

Targets: ORT ≥ 60 % of the matmul rate at N = 10k, ≥ 2× torch eager, non-model time ≤ 10 % of a step.

Run: ``python benchmarks/bench_engine.py`` (``--quick`` for a short run, ``--sizes`` to pick N).
"""

from __future__ import annotations

import argparse
import math
import operator
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

HIDDEN, DEPTH, EMB, DIM, T = 128, 3, 32, 2, 1000


def model_flops(n: int) -> float:
    """Multiply-adds × 2 of the linear layers (activations and the embedding's sin/cos are not counted)."""
    per_sample = DIM * HIDDEN + (DEPTH - 1) * HIDDEN * HIDDEN + HIDDEN * DIM + DEPTH * EMB * HIDDEN
    return 2.0 * per_sample * n


def build_mlp() -> Any:
    import torch
    from torch import nn
    from torch.nn import functional as F

    class TimeMLP(nn.Module):
        freqs: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            half = EMB // 2
            self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half) / half))
            widths = [DIM] + [HIDDEN] * DEPTH
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
            self.time_proj = nn.ModuleList(nn.Linear(EMB, HIDDEN) for _ in range(DEPTH))
            self.out = nn.Linear(HIDDEN, DIM)

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            args = t.to(torch.float32)[:, None] * self.freqs[None]
            e = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
            h = x
            for layer, proj in zip(self.layers, self.time_proj, strict=True):
                h = F.silu(layer(h) + proj(e))
            return self.out(h)

    torch.manual_seed(0)
    return TimeMLP().eval()


def export(module: Any, path: Path) -> Path:
    import logging

    import onnx
    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    x, t = torch.randn(16, DIM), torch.zeros(16, dtype=torch.int64)
    batch = torch.export.Dim("N", min=1, max=1 << 30)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (x, t),
            str(path),
            dynamo=True,
            opset_version=18,
            input_names=["x", "t"],
            output_names=["out"],
            dynamic_shapes={"x": {0: batch}, "t": {0: batch}},
            verbose=False,
        )
    proto = onnx.load(str(path))
    for k, v in {
        "diffviz.prediction_type": "epsilon",
        "diffviz.num_train_timesteps": str(T),
        "diffviz.beta_schedule": "linear",
        "diffviz.beta_start": "0.0001",
        "diffviz.beta_end": "0.02",
        "diffviz.name": "bench-mlp",
    }.items():
        proto.metadata_props.add(key=k, value=v)
    onnx.save(proto, str(path))
    return path


def seconds(fn: Callable[[], Any], min_time: float = 0.3, min_reps: int = 5) -> float:
    """Best seconds per call over enough repetitions to fill ``min_time`` (after one warm-up call).

    The minimum, as ``timeit`` advises: background load only ever adds time, so the fastest call is the closest
    to what the code itself costs (this benchmark usually shares its cores with other jobs).
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


class Timed:
    """A Denoiser wrapper that adds up the wall time spent inside the model call."""

    def __init__(self, model: Any) -> None:
        self.model, self.inside = model, 0.0
        self.name, self.prediction_type = model.name, model.prediction_type
        self.data_shape, self.train_schedule = model.data_shape, model.train_schedule
        self.card = model.card

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        return self.model.model_time(alpha_bar)  # type: ignore[no-any-return]

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.model(x, t)
        self.inside += time.perf_counter() - t0
        return out  # type: ignore[no-any-return]


def sampler_step(model: Any, n: int, steps: int) -> tuple[float, float]:
    """(particle-steps per second, share of the step outside the model call) of a DDPM run of ``steps`` steps."""
    from diffviz import Schedule, sample

    schedule = Schedule.from_name("linear", T).subsample(steps, "trailing")
    timed = Timed(model)
    sample(timed, schedule, "ddpm", n=n, seed=0, field_grid=0)  # warm-up (allocations, page faults)
    timed.inside = 0.0
    t0 = time.perf_counter()
    sample(timed, schedule, "ddpm", n=n, seed=0, field_grid=0)
    total = time.perf_counter() - t0
    return n * steps / total, 1.0 - timed.inside / total


def ort_variants(path: Path, n: int, threads: int) -> list[tuple[str, float]]:
    """Seconds per call of raw ORT sessions with other settings than diffviz's, at batch ``n``."""
    import onnxruntime as ort

    x = np.random.default_rng(0).standard_normal((n, DIM), dtype=np.float32)
    t = np.full(n, 500, dtype=np.int64)
    results = []
    # (label, allow_spinning, optimization level, threads (0: ORT's default), IOBinding)
    configs = [
        ("one run, diffviz's options (ENABLE_ALL, no spin)", "0", "ALL", threads, False),
        ("  + IOBinding, output into a preallocated array", "0", "ALL", threads, True),
        ("  spinning threads", "1", "ALL", threads, False),
        ("  1 thread", "0", "ALL", 1, False),
        ("  ORT default threads (one per core)", "0", "ALL", 0, False),
        ("  ENABLE_BASIC optimizations only", "0", "BASIC", threads, False),
        ("  optimizations off", "0", "DISABLE", threads, False),
    ]
    levels = {
        "ALL": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        "BASIC": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "DISABLE": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    }
    for label, spin, level, n_threads, bind in configs:
        so = ort.SessionOptions()
        so.graph_optimization_level = levels[level]
        so.intra_op_num_threads = n_threads
        so.add_session_config_entry("session.intra_op.allow_spinning", spin)
        session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        if bind:
            binding = session.io_binding()
            binding.bind_cpu_input("x", x)
            binding.bind_cpu_input("t", t)
            out = np.empty_like(x)
            binding.bind_output("out", "cpu", 0, np.float32, list(out.shape), out.ctypes.data)
            results.append((label, seconds(partial(session.run_with_iobinding, binding))))
        else:
            results.append((label, seconds(partial(session.run, ["out"], {"x": x, "t": t}))))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--steps", type=int, default=50, help="DDPM steps per timed run (default 50)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved measurement rounds (default 4)")
    parser.add_argument("--threads", type=int, help="threads for numpy, torch and ORT alike (default: torch's)")
    parser.add_argument("--quick", action="store_true", help="one round, 10 steps, no tuning table")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.steps = 1, 10

    import onnxruntime as ort
    import torch

    from diffviz.runtime import OnnxDenoiser

    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    os.environ["DIFFVIZ_THREADS"] = str(threads)  # diffviz's ORT sessions
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)  # numpy's BLAS
    except ImportError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    module = build_mlp()
    with tempfile.TemporaryDirectory() as tmp:
        path = export(module, Path(tmp) / "bench_mlp.onnx")
        model = OnnxDenoiser(path)
        print(
            f"diffviz engine benchmark — MLP {DIM}→{HIDDEN}×{DEPTH}→{DIM}, {EMB}-dim time embedding per layer, "
            f"{model_flops(1) / 1e3:.1f} kFLOP per sample"
        )
        print(
            f"onnxruntime {ort.__version__} on {model.provider}; torch {torch.__version__}; numpy {np.__version__}; "
            f"{threads} threads; {os.cpu_count()} CPUs; load average {load:.2f} at start"
        )
        if load > 0.5:
            print(
                "warning: other processes are running; figures are lower and noisier than on an idle machine, "
                "and multi-threaded torch (OpenMP barriers) suffers most: --threads 1 gives steadier ratios"
            )
        rows = []
        for n in args.sizes:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((n, DIM), dtype=np.float32)
            a = rng.standard_normal((n, HIDDEN), dtype=np.float32)
            w = rng.standard_normal((HIDDEN, HIDDEN), dtype=np.float32)
            xt, tt = torch.from_numpy(x), torch.full((n,), 500, dtype=torch.int64)
            at, wt = torch.from_numpy(a), torch.from_numpy(w)
            m: dict[str, list[float]] = {k: [] for k in ("np_mm", "torch_mm", "ort", "torch", "pps", "outside")}
            steps = args.steps if n <= 10_000 else max(args.steps // 5, 5)
            for _ in range(args.rounds):
                m["np_mm"].append(seconds(partial(operator.matmul, a, w)))
                with torch.inference_mode():
                    m["torch_mm"].append(seconds(partial(operator.matmul, at, wt)))
                m["ort"].append(seconds(partial(model, x, 500.0)))
                with torch.inference_mode():
                    m["torch"].append(seconds(partial(module, xt, tt)))
                pps, outside = sampler_step(model, n, steps)
                m["pps"].append(pps)
                m["outside"].append(outside)
            best_round = int(np.argmax(m["pps"]))
            med = {k: min(v) for k, v in m.items()}
            med["pps"], med["outside"] = m["pps"][best_round], m["outside"][best_round]
            mm_flops = 2.0 * n * HIDDEN * HIDDEN
            mm_rate = max(mm_flops / med["np_mm"], mm_flops / med["torch_mm"]) / 1e9
            ort_rate = model_flops(n) / med["ort"] / 1e9
            torch_rate = model_flops(n) / med["torch"] / 1e9
            rows.append(
                (
                    n,
                    mm_flops / med["np_mm"] / 1e9,
                    mm_flops / med["torch_mm"] / 1e9,
                    mm_rate,
                    med["ort"],
                    ort_rate,
                    med["torch"],
                    torch_rate,
                    med["pps"],
                    med["outside"],
                )
            )
        print()
        print(
            f"{'N':>8} | {'matmul GFLOP/s':>22} | {'ORT call':>18} | {'torch eager':>18} | {'ORT/':>5} | "
            f"{'DDPM sampler':>24}"
        )
        print(
            f"{'':>8} | {'numpy  torch   best':>22} | {'ms   GFLOP/s  %mm':>18} | {'ms   GFLOP/s':>18} | "
            f"{'torch':>5} | {'particle-steps/s  outside':>24}"
        )
        for n, np_mm, t_mm, best, ort_s, ort_rate, t_s, t_rate, pps, outside in rows:
            print(
                f"{n:>8} | {np_mm:6.1f} {t_mm:6.1f} {best:6.1f} | {ort_s * 1e3:7.3f} {ort_rate:6.1f} "
                f"{100 * ort_rate / best:3.0f}% | {t_s * 1e3:7.3f} {t_rate:6.1f}     | {t_s / ort_s:5.3g} | "
                f"{pps:14.3g} {100 * outside:7.1f}%"
            )
        at_10k = [r for r in rows if r[0] == 10_000]
        if at_10k:
            n, _, _, best, ort_s, ort_rate, t_s, _, _, outside = at_10k[0]
            print("\ntargets at N = 10k:")
            print(
                f"  ORT ≥ 60 % of matmul GFLOP/s : {100 * ort_rate / best:5.1f} %  "
                f"{'met' if ort_rate >= 0.6 * best else 'MISSED'}"
            )
            print(f"  ORT ≥ 2× torch eager         : {t_s / ort_s:5.2f}×  {'met' if t_s >= 2 * ort_s else 'MISSED'}")
            print(f"  non-model time ≤ 10 % of step: {100 * outside:5.1f} %  {'met' if outside <= 0.1 else 'MISSED'}")
        if not args.quick and model.provider == "CPUExecutionProvider":
            n = 10_000
            print(f"\nORT session variants at N = {n:,} (ms per call, GFLOP/s):")
            x = np.random.default_rng(0).standard_normal((n, DIM), dtype=np.float32)
            chunked = seconds(partial(model, x, 500.0))
            label = f"diffviz OnnxDenoiser (chunks ≤ {model._runner.max_rows} rows)"
            print(f"  {label:<48} {chunked * 1e3:7.3f} ms  {model_flops(n) / chunked / 1e9:6.1f}")
            for label, sec in ort_variants(path, n, threads):
                print(f"  {label:<48} {sec * 1e3:7.3f} ms  {model_flops(n) / sec / 1e9:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
