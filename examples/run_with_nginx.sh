#!/usr/bin/env bash
# Starts nginx on a free loopback port with a generated configuration,
# serving pages that fetch_pages writes, runs a command against it with
# PORT in its arguments replaced by the port, and stops nginx by its pid.
#   run_with_nginx.sh FETCH_PAGES N SIZE -- COMMAND ARGS...
set -euo pipefail
fetch_pages=$1 pages=$2 size=$3
shift 3
[[ ${1:-} == -- ]] && shift
nginx=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www" "$work/logs"
"$fetch_pages" make-pages "$work/www" "$pages" "$size"
chmod -R a+rX "$work"   # nginx's workers run as nobody when started by root
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log" &
pid=$!
for _ in $(seq 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/logs/error.log" >&2; exit 1; }
  sleep 0.05
done
args=()
for a in "$@"; do args+=("${a//PORT/$port}"); done
"${args[@]}"
