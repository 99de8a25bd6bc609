#!/usr/bin/env bash
# Build meshlite in release mode and install the binary.
#   ./install.sh                 # installs to ~/.local/bin/meshlite
#   PREFIX=/usr/local ./install.sh   # installs to /usr/local/bin/meshlite
# Running it again rebuilds and replaces the binary; nothing else is touched.
set -euo pipefail
cd "$(dirname "$0")"
prefix="${PREFIX:-$HOME/.local}"
bindir="$prefix/bin"

command -v cargo >/dev/null 2>&1 || { echo "install.sh: cargo is not installed (https://rustup.rs)" >&2; exit 1; }
echo "Building meshlite (release)…"
cargo build --release --locked
mkdir -p "$bindir"
install -m 0755 target/release/meshlite "$bindir/meshlite.new"
mv -f "$bindir/meshlite.new" "$bindir/meshlite"
echo "Installed $bindir/meshlite ($("$bindir/meshlite" --version))"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "Note: $bindir is not on your PATH; add it, e.g.  export PATH=\"$bindir:\$PATH\"" ;;
esac
echo "Next: meshlite up"
