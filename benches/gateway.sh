#!/usr/bin/env bash
# The ingress gateway's HTTP data path under load, against baselines measured in the same run.
#
# Run with: `bash benches/gateway.sh` (from anywhere; prints figures, asserts no goal).
#
# One load generator (wrk, same threads, connections and duration for every target) against
# one fast upstream, meshlite's built-in `web` sample (image `nginx`: a small static page):
#   (a) the upstream directly, on its pod's host port;
#   (b) the ingress gateway → the upstream, no sidecar (one hop), `Host: direct.local`;
#   (c) the ingress gateway → the upstream's sidecar → the upstream (the mesh path), `Host: mesh.local`;
#   (d) Debian's nginx as a reverse proxy to the same address as (a) (one hop, keep-alive
#       connections to the upstream).
# For each: requests/s, p50 and p99 latency; then the (b)/(d) requests/s ratio (goal >= 1.2)
# and p99 of (c) minus p99 of (a) (goal <= +1 ms). Goals are printed next to the figures and
# never fail the run; errors do (non-2xx/3xx answers or socket errors reported by wrk, a pod or
# URL that never becomes ready, a missing tool that cannot be installed).
#
# Everything runs on this machine and binds 127.0.0.1 only: `meshlite up` on a temporary data
# dir with free gateway ports, and nginx as an unprivileged foreground process with its own
# prefix and config in the temporary dir (the system's nginx service is never touched). On
# exit (also on Ctrl-C) both are stopped and the temporary dir removed.
#
# Needs: wrk, nginx, curl (installed with apt-get when missing, via `sudo -n` unless root),
# python3 or bash's /dev/tcp for port checks, and a release build (`cargo build --release
# --locked`, run here unless MESHLITE_BIN names a binary).
#
# Environment:
#   BENCH_DURATION     measured run per target (wrk -d), default 10s
#   BENCH_CONNECTIONS  open connections (wrk -c), default 32
#   BENCH_THREADS      wrk threads (wrk -t), default 2
#   BENCH_WARMUP       warm-up run per target before measuring, default 2s
#   BENCH_HOST_PORTS   meshlite's --host-ports, default 41000-41199
#   BENCH_NODE_PORTS   meshlite's --service-node-port-range, default 32600-32700
#   MESHLITE_BIN       the meshlite binary to run (skips the build)

set -euo pipefail

DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2s}
HOST_PORTS=${BENCH_HOST_PORTS:-41000-41199}
NODE_PORTS=${BENCH_NODE_PORTS:-32600-32700}
READY_TIMEOUT=120 # seconds for pods and URLs to become ready

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# nginx lives in /usr/sbin, which an unprivileged user's PATH may lack.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

say() { printf '%s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# --- tools --------------------------------------------------------------------------------

# need COMMAND PACKAGE: install PACKAGE with apt-get when COMMAND is missing.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    local as=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "$1 is missing and there is no sudo: install the Debian package $2"
        as=(sudo -n)
    fi
    say "installing $2 (apt-get) ..."
    if ! ${as[@]+"${as[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2; then
        ${as[@]+"${as[@]}"} apt-get update -qq >&2 || true
        ${as[@]+"${as[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2 ||
            die "cannot install $2 (run as root, or with passwordless sudo)"
    fi
    command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after installing $2"
}

need wrk wrk
need nginx nginx
need curl curl

if [ -n "${MESHLITE_BIN:-}" ]; then
    BIN=$MESHLITE_BIN
else
    say "building (cargo build --release --locked) ..."
    (cd "$ROOT" && cargo build --release --locked >&2) || die "the release build failed"
    BIN=$ROOT/target/release/meshlite
fi
[ -x "$BIN" ] || die "no meshlite binary at $BIN"

# A port free right now on 127.0.0.1.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for _ in $(seq 200); do
        p=$((45000 + RANDOM % 5000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

# --- clean-up -----------------------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/meshlite-gateway-bench.XXXXXX")
DATA=$TMP/data
UP_PID=
NGINX_PID=

# Pids of processes started for this run: their command line names the temp dir, or (pods)
# their environment carries the data dir.
ours() {
    {
        pgrep -f "$TMP" || true
        local e pid
        for e in /proc/[0-9]*/environ; do
            pid=${e#/proc/}
            pid=${pid%/environ}
            if grep -qzxF "MESHLITE_DATA_DIR=$DATA" "$e" 2>/dev/null; then
                echo "$pid"
            fi
        done
    } | sort -un | grep -vx "$$" || true
}

# stop PID SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop() {
    local pid=$1 limit=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq $((limit * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local code=$?
    trap - EXIT INT TERM
    [ -n "$NGINX_PID" ] && stop "$NGINX_PID" 5
    # `up` stops its pods (each with its grace period, at most 10 s) before it exits.
    [ -n "$UP_PID" ] && stop "$UP_PID" 20
    local left
    left=$(ours)
    if [ -n "$left" ]; then
        say "warning: processes of this run still there, killing them: ${left//$'\n'/ }"
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
        sleep 0.5
        left=$(ours)
        [ -n "$left" ] && say "error: still running: ${left//$'\n'/ }" && code=1
    fi
    rm -rf "$TMP"
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- meshlite up ----------------------------------------------------------------------------

ml() { "$BIN" --data-dir "$DATA" "$@"; }

GW_HTTP=$(free_port)
GW_HTTPS=$(free_port)
while [ "$GW_HTTPS" = "$GW_HTTP" ]; do GW_HTTPS=$(free_port); done

say "starting meshlite up (data dir $DATA, gateway on 127.0.0.1:$GW_HTTP) ..."
"$BIN" --data-dir "$DATA" up --api-port 0 --http-port "$GW_HTTP" --https-port "$GW_HTTPS" \
    --host-ports "$HOST_PORTS" --service-node-port-range "$NODE_PORTS" >"$TMP/up.log" 2>&1 &
UP_PID=$!

up_failed() {
    say "--- meshlite up's output (last 30 lines) ---"
    tail -n 30 "$TMP/up.log" >&2 || true
    die "$*"
}

# The API is there once up.json names this pid and the kubeconfig is written.
for i in $(seq 300); do
    kill -0 "$UP_PID" 2>/dev/null || up_failed "meshlite up exited"
    if [ -s "$DATA/kubeconfig" ] && grep -q "\"pid\":${UP_PID}[,}]" "$DATA/up.json" 2>/dev/null; then
        break
    fi
    [ "$i" = 300 ] && up_failed "meshlite up did not start its API within 30 s"
    sleep 0.1
done

# --- the workloads ----------------------------------------------------------------------------

# Both upstream Deployments carry a readinessProbe, as production ones do. It also keeps the
# kubelet's probe task for the container alive: without any probe, `up` currently busy-polls
# once the container is ready (a full core per such container), which would take CPU from the
# data path being measured. The "meshlite up's own CPU" line at the end shows that kind of noise.
ml apply -f - >&2 <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet: {path: /, port: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-mesh
spec:
  replicas: 1
  selector:
    matchLabels: {app: web-mesh}
  template:
    metadata:
      labels:
        app: web-mesh
        sidecar.istio.io/inject: "true"
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet: {path: /, port: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web-mesh
spec:
  selector: {app: web-mesh}
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bench-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: direct
spec:
  hosts: [direct.local]
  gateways: [bench-gateway]
  http:
  - route:
    - destination:
        host: web
        port:
          number: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: mesh
spec:
  hosts: [mesh.local]
  gateways: [bench-gateway]
  http:
  - route:
    - destination:
        host: web-mesh
        port:
          number: 80
EOF

# Every pod (the gateway, web, web-mesh) Running with all its containers ready.
say "waiting for the pods ..."
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
    kill -0 "$UP_PID" 2>/dev/null || up_failed "meshlite up exited"
    table=$(ml get pods -A 2>/dev/null || true)
    if printf '%s\n' "$table" | awk '
        NR > 1 { n++; split($3, r, "/"); if (r[1] != r[2] || $4 != "Running") bad++
                 if ($2 ~ /^istio-ingressgateway-/) gw++; if ($2 ~ /^web-mesh-/) mesh++; else if ($2 ~ /^web-/) web++ }
        END { exit !(n > 0 && !bad && gw == 1 && web == 1 && mesh == 1) }'; then
        break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        say "$table"
        up_failed "the pods were not all ready within ${READY_TIMEOUT} s"
    fi
    sleep 0.5
done
ml get pods -A >&2

containers=$(ml get pod -l app=web-mesh -o jsonpath='{.items[0].spec.containers[*].name}')
case " $containers " in
*" istio-proxy "*) ;;
*) die "web-mesh has no sidecar (containers: $containers)" ;;
esac

# The web pod's host port for containerPort 80 (the annotation is a JSON map containerPort → hostPort).
ports=$(ml get pod -l app=web -o jsonpath='{.items[0].metadata.annotations.meshlite\.io/host-ports}')
WEB_PORT=$(printf '%s' "$ports" | sed -nE 's/.*"80"[[:space:]]*:[[:space:]]*"?([0-9]+).*/\1/p')
[ -n "$WEB_PORT" ] || die "no host port for web's port 80 in its annotation: '$ports'"

# --- nginx ----------------------------------------------------------------------------------------

NGX=$TMP/nginx
mkdir -p "$NGX/logs" "$NGX/temp"
NGINX_PORT=$(free_port)
# worker_processes auto: one worker per CPU. The gateway is one process whose async runtime
# runs one worker thread per CPU, so this gives both proxies the same parallelism (with 1
# worker nginx would be capped at one core while the gateway may use all of them).
# access_log stays on (nginx's default, one unbuffered write per request) because the gateway
# writes an access-log line per request too.
cat >"$NGX/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log $NGX/logs/access.log;
    client_body_temp_path $NGX/temp/client_body;
    proxy_temp_path $NGX/temp/proxy;
    fastcgi_temp_path $NGX/temp/fastcgi;
    uwsgi_temp_path $NGX/temp/uwsgi;
    scgi_temp_path $NGX/temp/scgi;
    upstream web {
        server 127.0.0.1:$WEB_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
nginx -p "$NGX" -c "$NGX/nginx.conf" -t -q 2>"$NGX/test.log" || {
    cat "$NGX/test.log" >&2
    die "nginx refused the config"
}
nginx -p "$NGX" -c "$NGX/nginx.conf" >"$NGX/logs/stdout.log" 2>&1 &
NGINX_PID=$!

# --- readiness of every URL ---------------------------------------------------------------------

URL_A=http://127.0.0.1:$WEB_PORT/
URL_GW=http://127.0.0.1:$GW_HTTP/
URL_D=http://127.0.0.1:$NGINX_PORT/

# wait_200 URL HOST: until URL answers 200 with that Host header.
wait_200() {
    local code deadline=$((SECONDS + READY_TIMEOUT))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Host: $2" "$1" || true)
        [ "$code" = 200 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            [ -n "$NGINX_PID" ] && ! kill -0 "$NGINX_PID" 2>/dev/null && cat "$NGX/logs/stdout.log" "$NGX/logs/error.log" >&2
            die "$1 (Host: $2) did not answer 200 within ${READY_TIMEOUT} s (last: $code)"
        fi
        sleep 0.2
    done
}
say "waiting for the URLs to answer 200 ..."
wait_200 "$URL_A" web
wait_200 "$URL_GW" direct.local
wait_200 "$URL_GW" mesh.local
wait_200 "$URL_D" web

# --- measurements ---------------------------------------------------------------------------------

# parse FILE: "rps p50_ms p99_ms" from wrk's output (Requests/sec; Latency Distribution 50%, 99%).
parse() {
    awk '
        function ms(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s") return n * 1000
            if (u == "m") return n * 60000
            if (u == "h") return n * 3600000
            return -1
        }
        /^Requests\/sec:/ { rps = $2 }
        /^[[:space:]]+50%[[:space:]]/ { p50 = ms($2) }
        /^[[:space:]]+99%[[:space:]]/ { p99 = ms($2) }
        END {
            if (rps == "" || p50 == "" || p99 == "" || p50 < 0 || p99 < 0) exit 1
            printf "%s %.3f %.3f\n", rps, p50, p99
        }' "$1"
}

# CPU time (user + system, in clock ticks) `up` itself has used so far: the API server,
# controllers, kubelet (with the log pumps of every container) and the Service listeners; not
# the pods, which are processes of their own.
up_ticks() {
    awk '{ print $14 + $15 }' "/proc/$UP_PID/stat" 2>/dev/null || echo 0
}
UP_TICKS=0

# CPU time (clock ticks) of this run's proxies so far: the gateway's and the sidecars'
# `pilot-agent` processes.
proxy_ticks() {
    local pid total=0 t
    for pid in $(ours); do
        grep -qa pilot-agent "/proc/$pid/cmdline" 2>/dev/null || continue
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}
PROXY_TICKS=0

# check FILE LABEL: fail on errors wrk reports.
check() {
    local bad
    bad=$(grep -E 'Non-2xx or 3xx responses|Socket errors' "$1" || true)
    if [ -n "$bad" ]; then
        cat "$1" >&2
        die "$2: wrk reported errors: ${bad//$'\n'/; }"
    fi
    grep -qE '^[[:space:]]*[1-9][0-9]* requests in' "$1" || {
        cat "$1" >&2
        die "$2: wrk completed no requests"
    }
}

# measure KEY LABEL URL HOST: warm up, then one measured wrk run; sets R_KEY="rps p50 p99".
measure() {
    local key=$1 label=$2 url=$3 host=$4 out=$TMP/wrk-$1.txt
    say "$label: warm-up $WARMUP, then $DURATION (wrk -t$THREADS -c$CONNECTIONS, Host: $host) ..."
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "Host: $host" "$url" >"$TMP/warmup-$key.txt" 2>&1 ||
        { cat "$TMP/warmup-$key.txt" >&2; die "$label: wrk failed in the warm-up"; }
    check "$TMP/warmup-$key.txt" "$label (warm-up)"
    local before proxies_before
    before=$(up_ticks)
    proxies_before=$(proxy_ticks)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Host: $host" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "$label: wrk failed"; }
    UP_TICKS=$((UP_TICKS + $(up_ticks) - before))
    PROXY_TICKS=$((PROXY_TICKS + $(proxy_ticks) - proxies_before))
    check "$out" "$label"
    local r
    r=$(parse "$out") || { cat "$out" >&2; die "$label: cannot read wrk's output"; }
    printf -v "R_$key" '%s' "$r"
}

R_a='' R_b='' R_c='' R_d='' # "rps p50 p99" of each target, set by measure
LABEL_A="(a) upstream direct"
LABEL_B="(b) gateway -> upstream"
LABEL_C="(c) gateway -> sidecar -> up"
LABEL_D="(d) nginx -> upstream"

measure a "$LABEL_A" "$URL_A" web
measure b "$LABEL_B" "$URL_GW" direct.local
measure c "$LABEL_C" "$URL_GW" mesh.local
measure d "$LABEL_D" "$URL_D" web

# (c) really crossed the sidecar: its access log has inbound requests for mesh.local.
sidecar_lines=$(ml logs deploy/web-mesh -c istio-proxy --tail 1000 2>/dev/null | grep '"mesh.local"' | grep -c 'inbound|' || true)
[ "${sidecar_lines:-0}" -gt 0 ] || die "(c): web-mesh's sidecar logged no requests; the mesh path did not go through it"

# --- report -----------------------------------------------------------------------------------

ncpu=$(nproc 2>/dev/null || echo '?')
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up each); $ncpu CPUs shared by wrk, proxies and upstream"
printf '%-30s %10s %9s %9s\n' target rps p50 p99
for k in a b c d; do
    label_var=LABEL_${k^^}
    r_var=R_$k
    read -r rps p50 p99 <<<"${!r_var}"
    printf '%-30s %10.1f %7.2fms %7.2fms\n' "${!label_var}" "$rps" "$p50" "$p99"
done
read -r _ _ p99_a <<<"$R_a"
read -r rps_b _ _ <<<"$R_b"
read -r _ _ p99_c <<<"$R_c"
read -r rps_d _ _ <<<"$R_d"
echo
awk -v b="$rps_b" -v d="$rps_d" 'BEGIN {
    r = (d > 0) ? b / d : 0
    printf "(b)/(d) rps ratio: %.2f (goal >= 1.2)%s\n", r, (r >= 1.2 ? "" : "  [below goal]") }'
awk -v a="$p99_a" -v c="$p99_c" 'BEGIN {
    x = c - a
    printf "p99 (c) - (a): %+.2f ms (goal <= +1 ms)%s\n", x, (x <= 1 ? "" : "  [above goal]") }'
awk -v t="$UP_TICKS" -v p="$PROXY_TICKS" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" 'BEGIN {
    printf "meshlite up'"'"'s own CPU during the 4 measured runs: %.1f CPU-s (API, kubelet and log pumps; pods not included)\n", t / hz
    r = (p > 0) ? 100 * t / p : 0
    printf "the proxies'"'"' CPU (gateway and sidecars) in the same runs: %.1f CPU-s; up = %.1f%% of it (goal < 2%%)%s\n", p / hz, r, (r < 2 ? "" : "  [above goal]") }'

# Allocations per request, counted in-process by the allocation benchmark (its own build).
if [ -z "${BENCH_SKIP_ALLOCS:-}" ]; then
    echo
    (cd "$ROOT" && cargo bench --locked --bench allocs 2>&1 >/dev/null | grep -v -E '^ *(Compiling|Finished|Running)') ||
        say "warning: the allocation benchmark failed"
fi
