#!/bin/sh
# Installs the nanochat binary for this machine from a GitHub release:
#
#   curl -fsSL https://github.com/OWNER/nanochat/releases/latest/download/install.sh | sh
#   sh install.sh [DIR]
#
# It picks the binary for `uname -s` and `uname -m` (Linux or macOS, x86_64 or
# aarch64), downloads it and SHA256SUMS with curl or wget, and installs it as
# DIR/nanochat only if its SHA-256 checksum matches; otherwise nothing is
# installed.
#
# Environment:
#   NANOCHAT_INSTALL_DIR    where to install when no DIR is given
#                           (default: ~/.nanochat/bin)
#   NANOCHAT_DOWNLOAD_BASE  the URL the release files are under
#                           (default: the latest release, below)
#   NANOCHAT_OS, NANOCHAT_ARCH
#                           stand in for `uname -s` and `uname -m`; for tests
set -eu

# The GitHub repository that publishes the releases: replace OWNER when forking.
repo=OWNER/nanochat
release_page="https://github.com/$repo/releases"
download_base=${NANOCHAT_DOWNLOAD_BASE:-$release_page/latest/download}
install_dir=${1:-${NANOCHAT_INSTALL_DIR:-$HOME/.nanochat/bin}}

fail() {
  echo "nanochat install: $*" >&2
  exit 1
}

os=${NANOCHAT_OS:-$(uname -s)}
arch=${NANOCHAT_ARCH:-$(uname -m)}
case $os in
  Linux) os_part=unknown-linux-gnu ;;
  Darwin) os_part=apple-darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows*)
    fail "Windows is not supported by this script; download nanochat-x86_64-pc-windows-msvc.exe from $release_page" ;;
  *) fail "unsupported operating system $os; see $release_page for the available binaries" ;;
esac
case $arch in
  x86_64 | amd64) arch_part=x86_64 ;;
  aarch64 | arm64) arch_part=aarch64 ;;
  *) fail "unsupported CPU architecture $arch; see $release_page for the available binaries" ;;
esac
asset="nanochat-$arch_part-$os_part"

download() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "needs curl or wget to download"
  fi
}

sha256() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    fail "needs sha256sum or shasum to verify the download"
  fi
}

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

echo "Downloading $asset from $download_base"
download "$download_base/$asset" "$work_dir/$asset" || fail "cannot download $download_base/$asset"
download "$download_base/SHA256SUMS" "$work_dir/SHA256SUMS" ||
  fail "cannot download $download_base/SHA256SUMS"

expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$work_dir/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no checksum for $asset; nothing was installed"
actual=$(sha256 "$work_dir/$asset")
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $asset (expected $expected, got $actual); nothing was installed"

mkdir -p "$install_dir" || fail "cannot create $install_dir"
chmod +x "$work_dir/$asset"
mv -f "$work_dir/$asset" "$install_dir/nanochat" || fail "cannot install into $install_dir"
version=$("$install_dir/nanochat" --version) ||
  fail "installed $install_dir/nanochat, but it does not run on this machine"
echo "Installed $version as $install_dir/nanochat"

case ":$PATH:" in
  *":$install_dir:"*) ;;
  *)
    echo "To run it as nanochat, add its directory to PATH in your shell's profile:"
    echo "  export PATH=\"$install_dir:\$PATH\""
    ;;
esac
