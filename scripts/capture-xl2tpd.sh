#!/usr/bin/env bash
# Re-creates the real-peer fixtures in test/fixtures/xl2tpd/: two xl2tpd 1.3.18 instances (LAC and
# LNS) on 127.0.0.1 with non-default ports, captured on loopback with tshark. xl2tpd runs in
# user-space mode; without /dev/ppp the LNS's pppd exits at once, so the LNS ends the call with CDN.
# The LAC's pppd is replaced (bind mount in a private mount namespace) by a stub that just waits;
# otherwise both sides race to send CDN and xl2tpd ends up retransmitting.
#   basic.pcap  SCCRQ SCCRP SCCCN ICRQ ICRP ICCN CDN HELLO StopCCN ZLB   (waits ~65 s for HELLO)
#   auth.pcap   the same handshake with tunnel Challenge / Challenge Response and hidden AVPs
# Usage: scripts/capture-xl2tpd.sh [outdir]   (root; run scripts/install-peers.sh first)
# Afterwards refresh test/fixtures/xl2tpd.ts and docs/fixtures.md from the new captures.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$repo/test/fixtures/xl2tpd}")"
# The tunnel secret of auth.pcap. A test secret, recorded in docs/fixtures.md.
SECRET='l2tp-core-test-secret'
HELLO_WAIT="${HELLO_WAIT:-65}" # xl2tpd sends HELLO after 60 s of silence (no config knob)

for tool in xl2tpd tshark pppd unshare; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-peers.sh" >&2; exit 1; }
done
mkdir -p "$out"
work="$(mktemp -d /tmp/l2tp-capture.XXXXXX)"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# wait_for FILE REGEX SECONDS: poll a log until REGEX appears.
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -qE "$2" "$1" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timeout waiting for /$2/ in $1" >&2
      cat "$1" >&2
      return 1
    fi
    sleep 0.2
  done
}

# stop PID...: SIGTERM, then reap, so nothing outlives the scenario.
stop() {
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# scenario NAME LNS_PORT LAC_PORT EXTRA_CONF: one LAC->LNS tunnel with one call.
scenario() {
  local name="$1" lns_port="$2" lac_port="$3" extra="$4" hello_wait="$5"
  local d="$work/$name"
  mkdir -p "$d"
  printf '* * %s\n' "$SECRET" >"$d/l2tp-secrets"
  chmod 600 "$d/l2tp-secrets"
  cat >"$d/lns.conf" <<CONF
[global]
port = $lns_port
listen-addr = 127.0.0.1
auth file = $d/l2tp-secrets
access control = no
debug tunnel = yes
debug state = yes

[lns default]
ip range = 10.99.0.2-10.99.0.10
local ip = 10.99.0.1
hostname = lns.test
length bit = yes
require authentication = no
$extra
CONF
  cat >"$d/lac.conf" <<CONF
[global]
port = $lac_port
listen-addr = 127.0.0.1
auth file = $d/l2tp-secrets
access control = no
debug tunnel = yes
debug state = yes

[lac loop]
lns = 127.0.0.1:$lns_port
hostname = lac.test
length bit = yes
autodial = no
redial = no
$extra
CONF

  tshark -i lo -f "udp port $lns_port" -F pcap -w "$d/$name.pcap" >"$d/tshark.log" 2>&1 &
  local tshark_pid=$!
  pids+=("$tshark_pid")
  wait_for "$d/tshark.log" 'Capturing on' 10
  sleep 0.5

  xl2tpd -D -c "$d/lns.conf" -p "$d/lns.pid" -C "$d/lns.ctl" >"$d/lns.log" 2>&1 &
  local lns_pid=$!
  pids+=("$lns_pid")
  printf '#!/bin/sh\nexec sleep 300\n' >"$d/pppd-stub"
  chmod 755 "$d/pppd-stub"
  unshare --mount --propagation private sh -c \
    'mount --bind "$0" /usr/sbin/pppd && exec xl2tpd -D -c "$1" -p "$2" -C "$3"' \
    "$d/pppd-stub" "$d/lac.conf" "$d/lac.pid" "$d/lac.ctl" >"$d/lac.log" 2>&1 &
  local lac_pid=$!
  pids+=("$lac_pid")
  wait_for "$d/lns.log" "port $lns_port" 10
  wait_for "$d/lac.log" "port $lac_port" 10

  echo 'c loop' >"$d/lac.ctl"
  # pppd fails (no /dev/ppp), the LNS sends CDN, the LAC acknowledges it with a ZLB.
  wait_for "$d/lac.log" 'Call-Disconnect-Notify' 20
  sleep 1
  if [ "$hello_wait" -gt 0 ]; then
    echo "$name: waiting ${hello_wait}s for HELLO"
    sleep "$hello_wait"
    wait_for "$d/lac.log" 'Hello\(6\)' 10
  fi
  echo 'd loop' >"$d/lac.ctl"
  wait_for "$d/lac.log" 'closing down tunnel' 10
  sleep 1

  stop "$lac_pid" "$lns_pid"
  sleep 0.5
  stop "$tshark_pid"
  install -m 644 "$d/$name.pcap" "$out/$name.pcap"
  mkdir -p "$work/logs"
  cp "$d/lns.log" "$work/logs/$name-lns.log"
  cp "$d/lac.log" "$work/logs/$name-lac.log"
  echo "$name: $(tshark -r "$out/$name.pcap" 2>/dev/null | wc -l) frames -> $out/$name.pcap"
}

scenario basic 17010 17011 '' "$HELLO_WAIT"
scenario auth 17020 17021 $'challenge = yes\nhidden bit = yes' 0

for name in basic auth; do
  port=$([ "$name" = basic ] && echo 17010 || echo 17020)
  echo "== $name.pcap"
  tshark -r "$out/$name.pcap" -d "udp.port==$port,l2tp" 2>/dev/null
done
dpkg-query -W -f='${Package} ${Version}\n' xl2tpd ppp tshark
date -u +%Y-%m-%dT%H:%MZ
