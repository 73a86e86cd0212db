#!/usr/bin/env bash
# Runs a built image for real, without Kubernetes: unpacks the demo-shop image
# and starts its payments service in a runc container (own PID, mount, IPC and
# UTS namespaces; the machine's network namespace, bound to loopback only),
# asks /pay and /ready over loopback, then stops it with SIGTERM.
#   bash tools/images/verify.sh      (root; needs runc, umoci, curl, python3)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ "$(id -u)" = 0 ] || { echo "[verify] runs as root (runc, chroot)" >&2; exit 1; }
for c in runc umoci curl python3; do command -v "$c" >/dev/null || { echo "[verify] needs $c" >&2; exit 1; }; done

archive="$(bash "$HERE/build.sh" demo-shop | cut -f2)"
layout="$(dirname "$archive")/oci"
work="$(mktemp -d)"
id="swb-verify-$$"
cleanup() {
  runc --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

umoci unpack --image "$layout:image" "$work/bundle" >/dev/null
rootfs="$work/bundle/rootfs"
echo "[verify] java in the image's rootfs (chroot, private /proc):"
unshare -m -p -f --mount-proc="$rootfs/proc" chroot "$rootfs" java -version 2>&1 | sed 's/^/  /'

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$work/bundle/config.json" "$port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
c = json.load(open(path))
p = c["process"]
p["terminal"] = False
p["args"] = ["java", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", "/app/payments.jar"]
p["env"] = [e for e in p.get("env", []) if not e.startswith(("PORT=", "BIND_ADDRESS="))] + ["PORT=" + port, "BIND_ADDRESS=127.0.0.1"]
# the machine's network namespace (loopback only); everything else private
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["linux"].setdefault("resources", {})["memory"] = {"limit": 256 * 1024 * 1024}
json.dump(c, open(path, "w"))
PY

start=$(date +%s%N)
runc --root "$work/state" run --detach --bundle "$work/bundle" "$id" >"$work/out.log" 2>&1 </dev/null
pid=$(runc --root "$work/state" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
echo "[verify] payments in runc (pid $pid) ready after $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "[verify] GET /pay -> $(curl -sf "http://127.0.0.1:$port/pay")"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "[verify] RSS ${rss} kB"
stop=$(date +%s%N)
runc --root "$work/state" kill "$id" TERM
for _ in $(seq 100); do
  [ "$(runc --root "$work/state" state "$id" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)" = stopped ] && break
  sleep 0.05
done
echo "[verify] stopped $(( ($(date +%s%N) - stop) / 1000000 )) ms after SIGTERM; its log:"
sed 's/^/  /' "$work/out.log"
