"""``diffviz import-diffusers DIR -o model.onnx``: a diffusers UNet2DModel as a contract-conforming ONNX model."""

from __future__ import annotations

import argparse
import sys

HELP = (
    "Convert a diffusers UNet2DModel saved with save_pretrained (a UNet folder with its scheduler_config.json, "
    "or a DDPMPipeline folder with unet/ and scheduler/) into an ONNX model under the diffviz contract; the "
    "scheduler config fills the metadata. Needs the diffusers extra. Exit code 2 on bad input."
)
INSTALL_HINT = (
    'install the diffusers extra: pip install torch==2.13.0 -e ".[diffusers]" (from a clone of diffviz) '
    'or pip install "diffviz[diffusers]"'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="the folder written by UNet2DModel.save_pretrained (or a pipeline's)")
    parser.add_argument("-o", "--output", required=True, help="the ONNX file to write")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists (a regular file only)")
    parser.add_argument("--name", help="model name in the metadata (default: the folder name)")
    parser.add_argument("--description", help="free-text description in the metadata")
    parser.add_argument("--data", help="name of the training data, recorded as diffviz.data (e.g. digits)")
    parser.add_argument(
        "--atol",
        type=float,
        default=1e-4,
        help="largest ONNX Runtime vs torch difference accepted on random inputs (default 1e-4)",
    )


def _fail(message: str) -> int:
    print(f"diffviz import-diffusers: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from diffviz.core.atomic import OutputPathError, check_output
    from diffviz.zoo.diffusers_bridge import DiffusersImportError, import_unet, locate

    try:
        locate(args.folder)
        out = check_output(args.output, force=args.force)
    except (DiffusersImportError, OutputPathError) as exc:
        return _fail(str(exc))
    try:
        import diffusers  # noqa: F401
        import onnx  # noqa: F401
        import torch  # noqa: F401

        from diffviz.zoo.export import ExportError
    except ImportError as exc:
        return _fail(f"importing needs {exc.name or 'diffusers'}, which is not installed; {INSTALL_HINT}")
    try:
        meta, diff = import_unet(
            args.folder, out, name=args.name, description=args.description, data=args.data, atol=args.atol
        )
    except (DiffusersImportError, ExportError) as exc:
        return _fail(f"{exc}; nothing was written")
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}")
    print(
        f"wrote {out} ({meta['diffviz.prediction_type']}, {meta['diffviz.beta_schedule']} "
        f"{meta['diffviz.beta_start']}→{meta['diffviz.beta_end']}, T={meta['diffviz.num_train_timesteps']}; "
        f"ONNX vs torch max abs diff {diff:.2g})"
    )
    return 0
