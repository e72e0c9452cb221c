#!/usr/bin/env bash
# Packs the Node/Dawn benchmark for the device machine into bench/device/pack/ (see prepare.mjs and
# bench/device/README.md). Run from anywhere inside the repository after `npm ci`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec node bench/device/prepare.mjs "$@"
