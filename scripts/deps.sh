#!/usr/bin/env bash
# Makes sure this machine has what urnscan needs, installing Debian/Ubuntu packages when it
# can (as root, or with password-less sudo) and otherwise saying exactly what to install.
#
#   source scripts/deps.sh sample   what building urnscan and reading scans need (scripts/sample)
#   source scripts/deps.sh test     that, and what the tests, the scan generator and the
#                                   benchmarks need (scripts/test, scripts/bench...)
#   scripts/deps.sh [sample|test]   the same on its own (default: test)
#
# Callers name the profile: a script sourcing this file without arguments would hand it its
# own arguments.
set -euo pipefail

deps_profile=${1:-test}

# sample: a C toolchain and pkg-config for the -sys crates, libclang for bindgen, and
# Tesseract/Leptonica headers to build; Tesseract's French model (printed footers) and
# wfrench, the French word list that urnscan's handwriting network decodes with, to run
# (the handwriting models are built into the binary; without wfrench the network reads
# its best path alone, a little worse). Reading scans needs nothing more: no fonts (only drawing
# forms does), no external tools.
SAMPLE_PACKAGES=(
  build-essential pkg-config libclang-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-fra wfrench
)
# test: the fonts that draw the forms (DejaVu: also `urnscan forms print`) and the
# generator's handwriting, and ImageMagick to make Group 4 fax scans. poppler-utils
# (pdftoppm) rasterises printed forms as a print shop would. The import tests: PostgreSQL's
# server and SQLite's shell.
TEST_PACKAGES=(
  fonts-dejavu-core fonts-comic-neue fonts-klee fonts-sjfonts fonts-dancingscript fonts-kaushanscript
  imagemagick poppler-utils
  postgresql sqlite3
)

case "$deps_profile" in
  sample)
    PACKAGES=("${SAMPLE_PACKAGES[@]}")
    ;;
  test)
    PACKAGES=("${SAMPLE_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
    # The review report's test opens report.html in a headless Chromium. A Chrome or
    # Chromium already on the PATH will do, e.g. Ubuntu's snap.
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
      && ! command -v google-chrome >/dev/null 2>&1; then
      PACKAGES+=(chromium)
    fi
    # The review app's browser test drives that Chromium from Node (puppeteer-core, in
    # tests/browser/, installed below with npm ci). Debian ships npm apart from nodejs;
    # NodeSource's nodejs brings its own npm.
    if ! command -v node >/dev/null 2>&1; then
      PACKAGES+=(nodejs)
      command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
    elif ! command -v npm >/dev/null 2>&1; then
      PACKAGES+=(npm)
    fi
    ;;
  *)
    echo "scripts/deps.sh: unknown profile '$deps_profile' (sample or test)" >&2
    exit 2
    ;;
esac
# Scripts that need more (benchmarks against other tools) name it here before sourcing.
PACKAGES+=(${URNSCAN_EXTRA_PACKAGES:-})

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  # Not Debian: check what matters directly and name what is needed.
  pkg-config --exists tesseract lept 2>/dev/null || missing+=("tesseract+leptonica development files")
  [ -f "${TESSDATA_PREFIX:-/usr/share/tesseract-ocr/5/tessdata}/fra.traineddata" ] || missing+=("Tesseract French model (fra.traineddata)")
  if [ "$deps_profile" = test ]; then
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=("Node.js 18 or newer, with npm")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "urnscan: missing system packages: ${missing[*]}" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "urnscan: this is not a Debian/Ubuntu machine: install the equivalents of the packages above, then run again." >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    echo "urnscan: run this once as an administrator, then run again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "urnscan: installing them with apt-get..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

need_rust="1.92"
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "urnscan: no Rust toolchain (cargo) found: install Rust $need_rust or newer with rustup" >&2
    echo "  (https://rustup.rs), or Debian 13's packages: sudo apt-get install cargo rustc" >&2
    exit 1
  fi
fi

have_rust=$(rustc --version 2>/dev/null | awk '{print $2}')
if [ -n "$have_rust" ] && [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -n1)" != "$need_rust" ]; then
  echo "urnscan: Rust $have_rust is too old: urnscan needs $need_rust or newer." >&2
  echo "  With rustup: rustup update stable. Distribution packages may be older than that." >&2
  exit 1
fi

# The browser test's Node packages (tests/browser/package-lock.json, puppeteer-core: no
# browser download), installed again when the lockfile is newer than what npm last
# installed. Without them (offline, say) that one test is skipped, or fails under CI: said
# here, not fatal.
if [ "$deps_profile" = test ]; then
  browser_tests="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
  node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
  if [ -n "$node_major" ] && [ "$node_major" -lt 18 ]; then
    echo "urnscan: Node.js $(node --version) is too old for the browser test (puppeteer-core needs 18 or newer)." >&2
  fi
  if [ ! -f "$browser_tests/node_modules/.package-lock.json" ] \
    || [ "$browser_tests/package-lock.json" -nt "$browser_tests/node_modules/.package-lock.json" ]; then
    echo "urnscan: installing the browser test's Node packages (npm ci in tests/browser)..." >&2
    if ! npm ci --prefix "$browser_tests" --no-audit --no-fund >&2; then
      echo "urnscan: npm ci failed: the review app's browser test cannot run (skipped, or failed under CI)." >&2
      echo "  Once npm's registry can be reached: npm ci --prefix tests/browser --no-audit --no-fund" >&2
    fi
  fi
fi
