#!/usr/bin/env bash
# The README's run command: installs the system packages derin-nn needs if they are
# missing (libhdf5-dev, pkg-config, a C compiler, DejaVu Sans; see scripts/system-deps),
# then trains the MNIST CNN of nn/examples/mnist.rs on the bundled digits.
set -euo pipefail
cd "$(dirname "$0")"
scripts/system-deps
exec cargo run --release -p derin-nn --example mnist -- "$@"
