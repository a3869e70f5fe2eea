#!/usr/bin/env bash
# Makes sure this machine has what urnscan needs to build and test, installing Debian/Ubuntu
# packages when it can (as root, or with password-less sudo) and otherwise saying exactly
# what to install. Sourced by scripts/sample and scripts/test; safe to run on its own.
set -euo pipefail

# Build: a C toolchain and pkg-config for the -sys crates, libclang for bindgen, and
# Tesseract/Leptonica headers. Run: the French model. Tests and the scan generator: the
# fonts that draw the forms and the handwriting, and ImageMagick to make Group 4 fax scans.
# poppler-utils (pdftoppm) rasterises printed forms as a print shop would. The import tests:
# PostgreSQL's server and SQLite's shell.
PACKAGES=(
  build-essential pkg-config libclang-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-fra
  fonts-dejavu-core fonts-comic-neue fonts-klee fonts-sjfonts fonts-dancingscript fonts-kaushanscript
  imagemagick poppler-utils
  postgresql sqlite3
)
# The review report's test opens report.html in a headless Chromium (and skips that part
# without one). A Chrome or Chromium already on the PATH will do, e.g. Ubuntu's snap.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
  && ! command -v google-chrome >/dev/null 2>&1; then
  PACKAGES+=(chromium)
fi
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
