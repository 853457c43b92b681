#!/usr/bin/env bash
# The GPU measurements of issue 14, as one short run on a machine with a CUDA GPU (about 8 minutes):
#   bash benchmarks/gpu.sh [OUT_DIR]
# Needs the project's venv (make install) with a CUDA build of torch. Writes the two benchmarks' output
# to OUT_DIR (default: .) and prints them.
set -euo pipefail
out="${1:-.}"
py="${PYTHON:-.venv/bin/python}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())" \
  | tee -a "$out/gpu.txt"
# MD: 10 replicas (the oracle's 2 mechanisms x 5 temperatures) one after another vs in lockstep, on the GPU
"$py" benchmarks/md_throughput.py --device cuda --steps 200 --replicas 10 | tee "$out/md_throughput_gpu.txt"
# relaxation: today's CPU default against the candidate on the GPU, 20 demo compounds, batches of 64
"$py" benchmarks/relax_throughput.py --n 20 --device cuda --candidate-batch-size 64 --compile 0 \
  | tee "$out/relax_throughput_gpu.txt"
