#!/usr/bin/env bash
# Installs the system peers used by `npm run test:interop`: tshark (Wireshark's dissector as an
# oracle), xl2tpd (a real L2TPv2 peer), iproute2 (network namespaces for captures), iputils-ping
# (the TAP ping tests), iperf3 (TCP through the PPP VPN, test/interop/ppp-vpn.test.ts), l2tpns
# and freeradius (an LNS terminating PPP and its RADIUS, test/interop/l2tpns-ppp.test.ts), chromium
# and a font (headless, for the API site check in test/interop/api-site.test.ts), and builds
# examples/linux-host (its TAP addon and raw-socket; needs a C++ compiler, make and python3,
# installed too when missing).
# Idempotent and non-interactive; needs root (or sudo) on Debian/Ubuntu. Does nothing when every
# tool is already present. Set PEERS_FORCE=1 to run apt-get even then.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# examples/linux-host: npm ci compiles the TAP addon (binding.gyp) and raw-socket with npm's
# bundled node-gyp. Skipped when both binaries are newer than the lockfile and the addon source.
build_linux_host() {
  local dir="$root/examples/linux-host"
  local tap="$dir/build/Release/tap.node" raw="$dir/node_modules/raw-socket/build/Release/raw.node"
  if [ "${PEERS_FORCE:-0}" != 1 ] && [ -f "$tap" ] && [ -f "$raw" ] &&
    [ "$tap" -nt "$dir/package-lock.json" ] && [ "$tap" -nt "$dir/src/tap.cc" ]; then
    echo 'install-peers: examples/linux-host already built'
    return
  fi
  npm ci --prefix "$dir" --no-audit --no-fund
}

packages=(tshark xl2tpd iproute2 iputils-ping iperf3 l2tpns freeradius chromium
  fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != 'install ok installed' ]; then
    missing+=("$pkg")
  fi
done
# Build tools for the addons: checked as commands (python3 may come from elsewhere than apt).
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v python3 >/dev/null 2>&1 || missing+=(python3)

if [ "${#missing[@]}" -eq 0 ] && [ "${PEERS_FORCE:-0}" != 1 ]; then
  echo "install-peers: already installed: ${packages[*]}"
  build_linux_host
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -E); else
    echo 'install-peers: need root or sudo to install' "${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer "no" up front.
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
  "${SUDO[@]}" debconf-set-selections

# Only refresh the package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
  "${SUDO[@]}" apt-get update -q
fi

"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]:-${packages[@]}}"

# xl2tpd's package starts a system daemon on port 1701 where systemd/init is present; the
# captures and tests start their own instances on other ports, so stop it if it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet xl2tpd 2>/dev/null; then
  "${SUDO[@]}" systemctl stop xl2tpd || true
fi
# l2tpns (UDP 1701, tun0) and freeradius (1812/1813) run only in the namespaces the test makes;
# their packages enable and start system services: stop and disable them.
for svc in l2tpns freeradius; do
  if [ -d /run/systemd/system ]; then
    "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    "${SUDO[@]}" "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done

# Report versions; sed/awk read all input, so no SIGPIPE under pipefail.
tshark --version 2>/dev/null | sed -n 1p
xl2tpd -v 2>&1 | awk '/version/ && !n++' || true
dpkg-query -W -f='${Package} ${Version}\n' l2tpns freeradius 2>/dev/null || true
ping -V 2>&1 | sed -n 1p
iperf3 --version 2>/dev/null | sed -n 1p || true
chromium --version 2>/dev/null | sed -n 1p || true

build_linux_host
