#!/usr/bin/env sh
# Installs the PyTorch peer of `pnpm bench` from Debian: the CPU build of PyTorch and OpenBLAS (pthreads), which
# @vtx/backend-native also loads at run time for its GEMMs. Needs root (apt).
set -eu
apt-get update -qq
apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread
/usr/bin/python3 -c 'import torch; print("pytorch", torch.__version__, "threads", torch.get_num_threads())'
