#!/usr/bin/env bash
# The GPU path, proven on a machine with an NVIDIA GPU and the project installed (under 8 minutes):
#   1. `diffviz info` on the CUDA provider (probe timing at N = 1M);
#   2. the CUDA-marked tests: IOBinding against the CPU path, a DDPM run on CUDA matching the CPU run of the same
#      x_T and noise (≤ 1e-3), one call at N = 1M — here a skip is a failure;
#   3. benchmarks/bench_engine.py on CUDA up to N = 1M, against the torch-on-CUDA notebook loop.
# Run from anywhere: bash benchmarks/gpu_check.sh
# --dry-run: the same steps on the CPU at small sizes, the CUDA tests allowed to skip (the test suite runs this).
# A lent GPU machine has no internet: ../shared/tools/gpu-ort-parts explains how onnxruntime-gpu travels there.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
if [[ "${1:-}" == "--dry-run" ]]; then
    device=cpu info_n=1000 bench=(--quick --sizes 1000) require=0
else
    device=cuda info_n=1000000 bench=() require=1
fi
started=$SECONDS
step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - started)); }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
"$py" -c "import onnxruntime as o, numpy as n; print('onnxruntime', o.__version__, o.get_available_providers(), 'numpy', n.__version__)"

step "diffviz info on $device"
DIFFVIZ_PROVIDER=$device timeout 180 "$py" -m diffviz info swiss_roll --n "$info_n"

step "CUDA-marked tests"
DIFFVIZ_CUDA_REQUIRED=$require timeout 240 "$py" -m pytest -q -rs -m cuda -p no:cacheprovider tests/runtime/test_cuda.py

step "engine benchmark on $device"
timeout 300 "$py" benchmarks/bench_engine.py --device "$device" "${bench[@]}"

step "done"
