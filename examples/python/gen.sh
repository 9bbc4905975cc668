#!/usr/bin/env bash
# Generates the Python gRPC stubs from the repository's proto/ into examples/python/generated/
# (not committed). client.py runs the same generation by itself when the stubs are missing or
# older than a .proto file, so this script is only needed to look at the stubs.
# Usage: examples/python/gen.sh   ($PYTHON, default python3, must have grpcio-tools)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
protos="$(cd "$here/../../proto" && pwd)"
out="$here/generated"
rm -rf "$out"
mkdir -p "$out"
cd "$protos"
# shellcheck disable=SC2046
"${PYTHON:-python3}" -m grpc_tools.protoc -I "$protos" \
    --python_out="$out" --grpc_python_out="$out" --pyi_out="$out" \
    $(find . -name '*.proto' | sed 's|^\./||' | sort)
touch "$out/.stamp"
echo "gen.sh: stubs in $out"
