"""Render ``models/README.md`` (the model cards) from the figures that ``build_zoo`` measured."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .quality import SWD_BOUND

DATA_TEXT = {
    "moons": "`make_dataset('moons')`: two interleaved half circles, noise σ = 0.05, centred and scaled by (1.3, 1.6)",
    "swiss_roll": "`make_dataset('swiss_roll')`: (u cos u, u sin u)/7, u ∈ [1.5π, 4.5π], noise σ = 0.3/7",
    "8gaussians": "`make_dataset('8gaussians')`: 8 isotropic Gaussians (σ = 0.1) at radius 2",
    "checkerboard": "`make_dataset('checkerboard')`: uniform on the 8 black unit squares of a 4×4 board on [-2, 2]²",
    "rings": "`make_dataset('rings')`: circles of radius 1 and 2 (equal density along each), jitter σ = 0.04",
    "spiral": "`make_dataset('spiral')`: a two-armed spiral out to radius 2, noise σ = 0.05",
    "digits": "scikit-learn's bundled 8×8 digits (`load_digits`, 1797 images, no download), 0..16 scaled to "
    "[-1, 1], upsampled ×2 bilinearly to 16×16",
}


def _arch_text(cfg: dict[str, Any]) -> str:
    a = cfg["arch"]
    if cfg["data"] == "digits":
        c0, c1 = a["channels"]
        return (
            f"`SmallUNet`: space-to-depth ×{a['patch']} (16×16×1 → 8×8×4), ResBlocks (GroupNorm, SiLU, 3×3 "
            f"convs, time embedding added) at 8×8 ({c0} ch), 4×4 ({c1} ch) and two at 2×2, skip connections, "
            f"nearest upsampling, depth-to-space back to 16×16; sinusoidal time embedding → MLP ({4 * c0})"
        )
    widths = "→".join(["2"] + [str(a["hidden"])] * a["depth"] + ["2"])
    return f"`TimeMLP` {widths}, SiLU; sinusoidal time embedding ({a['emb_dim']}) projected into every hidden layer"


def _schedule_text(cfg: dict[str, Any]) -> str:
    if cfg["schedule"] == "squaredcos_cap_v2":
        return f"squaredcos_cap_v2 (cosine, s = 0.008), T = {cfg['num_train_timesteps']}"
    return f"{cfg['schedule']} β {cfg['beta_start']:g} → {cfg['beta_end']:g}, T = {cfg['num_train_timesteps']}"


def _fmt_counts(counts: Sequence[int]) -> str:
    return " ".join(f"{d}:{c}" for d, c in enumerate(counts))


SAMPLER_LABELS = {"ddpm_1000": "DDPM 1000", "ddpm_100": "DDPM 100", "ddim_50": "DDIM 50 (η = 0)", "heun_50": "Heun 50"}


def _quality_lines(name: str, f: dict[str, Any]) -> list[str]:
    q = f.get("quality")
    if not q:
        return ["- Quality: not measured in this build."]
    if name == "digits":
        ref = q["classifier"]
        lines = [
            f"- Judge: logistic regression on RBF (Nyström) features of the 16×16 digits; on held-out real "
            f"digits {100 * ref['held_out_accuracy']:.1f} % correct, "
            f"{100 * ref['held_out_confident_fraction']:.1f} % labelled with confidence ≥ 0.8; "
            f"uniform noise {100 * ref['noise_confident_fraction']:.0f} %, blank "
            f"images {100 * ref['blank_confident_fraction']:.0f} %."
        ]
        for steps in (1000, 100):
            d = q[f"ddpm_{steps}"]
            lines.append(
                f"- DDPM, {steps} steps, clip_sample, {sum(d['class_counts'])} samples: "
                f"**{100 * d['confident_fraction']:.1f} %** labelled with confidence ≥ 0.8; "
                f"confident per class {_fmt_counts(d['confident_class_counts'])} "
                f"(sampling {d['seconds']:.0f} s)"
            )
        return lines
    d = q["ddpm_1000"]
    lines = [
        f"- Sliced Wasserstein SW₁, 5000 DDPM samples (1000 steps) vs 5000 fresh data points: "
        f"**{d['model']:.4f}**; two independent data draws: {d['data_floor']:.4f}; N(0, I) samples: "
        f"{d['gaussian']:.4f} (sampling {d['seconds']:.0f} s)"
    ]
    s = q.get("samplers")
    if s:
        ratios = ", ".join(f"{SAMPLER_LABELS[k]} **{s[k] / s['floor']:.2f}**" for k in SAMPLER_LABELS)
        lines.append(
            f"- Every sampler, as the app runs it (the model's schedule, trailing spacing), SW₁ ÷ data floor "
            f"(mean of {s['runs']} runs of {s['n']} samples; floor {s['floor']:.4f}): {ratios}"
        )
    return lines


def _card(entry: Any, default: str, f: dict[str, Any] | None) -> list[str]:
    title = f"## `{entry.name}`" + (" (default)" if entry.name == default else "")
    lines = [title, "", entry.description + ".", ""]
    if f is None:
        return lines + ["Not built yet.", ""]
    cfg = f["config"]
    lines += [
        f"- Data: {DATA_TEXT[entry.data]}.",
        f"- Predicts: `{cfg['prediction_type']}`; training schedule: {_schedule_text(cfg)}; time input: step "
        "index (int64).",
        f"- Architecture: {_arch_text(cfg)}; {f['parameters']:,} parameters.",
        f"- Training: {cfg['steps']:,} steps, batch {cfg['batch_size']}, AdamW, peak lr {cfg['lr']:g} "
        f"({cfg['warmup_steps']} warm-up steps, cosine decay to 0), gradient clip {cfg['grad_clip']:g}, EMA "
        f"{cfg['ema_decay']:g} (exported), seed {cfg['seed']}, {cfg['threads']} thread(s): "
        f"**{f['train_seconds']:.0f} s** on the build machine (shared, `nice`d); loss {f['loss_first_500']:.3f} "
        f"(first 500 steps) → {f['loss_last_500']:.3f} (last 500).",
        *_quality_lines(entry.name, f),
        f"- File: `{entry.name}.onnx`, {f['file_bytes'] / 1e3:.0f} kB, opset 18, dynamic batch; ONNX Runtime vs "
        f"torch max abs diff {f['onnx_max_abs_diff']:.1e}; loads (session + contract check + probe) in "
        f"{1e3 * f['load_seconds']:.0f} ms"
        + (
            f" ({1e3 * f['load_seconds_first']:.0f} ms the first time in a fresh process)"
            if "load_seconds_first" in f
            else ""
        )
        + ".",
        "",
    ]
    return lines


def render_readme(entries: Sequence[Any], default: str, figures: dict[str, Any]) -> str:
    models = figures.get("models", {})
    env = figures.get("environment", {})
    total = sum(m["file_bytes"] for m in models.values())
    rows = []
    for e in entries:
        f = models.get(e.name)
        if f is None:
            continue
        q = (f.get("quality") or {}).get("ddpm_1000", {})
        quality = (
            f"{100 * q['confident_fraction']:.0f} % confident"
            if e.data == "digits" and q
            else f"SW₁ {q['model']:.3f} (floor {q['data_floor']:.3f})"
            if q
            else "–"
        )
        rows.append(
            f"| `{e.name}` | {e.data} | `{f['config']['prediction_type']}` | {f['config']['schedule']} | "
            f"{f['parameters']:,} | {f['file_bytes'] / 1e3:.0f} kB | {f['train_seconds']:.0f} s | "
            f"{quality} | {1e3 * f['load_seconds']:.0f} ms |"
        )
    untrained = figures.get("untrained_swd_moons")
    gauss = [m["quality"]["ddpm_1000"]["gaussian"] for n, m in models.items() if n != "digits" and m.get("quality")]
    first_loads = [m["load_seconds_first"] for m in models.values() if "load_seconds_first" in m]
    out = [
        "# Bundled models (`diffviz.zoo`)",
        "",
        "Real, trained models that ship with diffviz. This file is generated by `python -m diffviz.zoo.build_zoo`,",
        "which retrains every model from fixed seeds, exports it under the model contract",
        "(`docs/model-format.md`), measures it and rewrites `zoo.json`, `figures.json` and these cards.",
        "Train your own with `diffviz train DATASET -o model.onnx` (needs the `train` extra).",
        "",
        "| model | data | predicts | schedule | parameters | file | training | quality | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"All bundled models together: **{total / 1e6:.2f} MB**. Built with torch {env.get('torch', '?')}, "
        f"Python {env.get('python', '?')} on {env.get('machine', '?')} (2 CPU cores shared with other jobs, "
        "so times are upper bounds).",
        "",
        "How quality is measured (`diffviz.zoo.quality`):",
        "",
        "- 2D: 5000 samples drawn with the engine's DDPM sampler (`diffviz.core.sample`, the model's own",
        "  1000-step schedule, `fixed_small`) through ONNX Runtime, compared with 5000 fresh data points by the",
        "  sliced Wasserstein distance SW₁ (`diffviz.core.metrics.sliced_wasserstein`, 256 directions). The",
        '  "floor" is the same distance between two independent data draws: a perfect model scores about that.',
        f"  The tests require SW₁ ≤ {SWD_BOUND:g} from every bundled 2D model"
        + (f"; samples from N(0, I) score {min(gauss):.2f}–{max(gauss):.2f}" if gauss else "")
        + (f" and an untrained network {untrained:.3g} (moons)" if untrained is not None else "")
        + ".",
        "- every sampler (each card): DDPM with 1000 and 100 steps, DDIM (η = 0) and Heun with 50, on the model's own",
        "  schedule with trailing spacing as the app runs them; SW₁ to fresh data averaged over 4 runs of 2000",
        "  samples, divided by the floor averaged over 4 pairs of draws (one draw alone moves SW₁ by up to 1.7× even",
        "  for the exact score). The tests require ≤ 1.5× for every 2D model but the teaching model",
        "  `8gaussians_eps_cosine`, whose DDIM is meant to fail (ε on a cosine schedule: ᾱ_T ≈ 0 divides the ε error",
        "  by √ᾱ_T in the first deterministic step; Lin et al. 2024).",
        "- digits: 500 samples; a classifier fitted on the digits data labels them; the figure is the share",
        "  labelled with confidence ≥ 0.8 (the tests require ≥ 70 % and all ten classes, at 100 steps).",
        "- load: `diffviz.runtime.load_model` (ONNX Runtime session, contract check, one probe run); the table",
        "  gives the best of 3 in a warm process"
        + (
            f", the first load in a fresh process took {1e3 * min(first_loads):.0f}–{1e3 * max(first_loads):.0f} ms"
            " (onnxruntime already imported)"
            if first_loads
            else ""
        )
        + ".",
        "",
    ]
    for e in entries:
        out += _card(e, default, models.get(e.name))
    return "\n".join(out)
