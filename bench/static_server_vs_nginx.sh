#!/usr/bin/env bash
# examples/static_server beside nginx (2 workers, sendfile) on the same 100
# files of 4 KiB, each loaded by wrk -t2 -c64 for 3 s, alternately, twice.
#   bench/static_server_vs_nginx.sh build/release/bin/static_server [CONTEXTS]
set -euo pipefail
server=$1 contexts=${2:-0}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www"
for i in $(seq 0 99); do head -c 4096 /dev/urandom > "$work/www/page-$i.html"; done
chmod -R a+rX "$work"   # nginx's workers run as nobody when started by root
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" &
pids+=($!)
"$server" "$work/www" --contexts "$contexts" > "$work/server.txt" &
pids+=($!)
for _ in $(seq 100); do
  [[ -s $work/server.txt ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
ours=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.txt")
rate() { wrk -t2 -c64 -d3s "http://127.0.0.1:$1/page-7.html" | sed -n 's/^Requests\/sec: *//p'; }
for round in 1 2; do
  s=$(rate "$ours") n=$(rate "$port")
  python3 -c "print(f'round $round: static_server {float(\"$s\"):.0f} req/s, nginx {float(\"$n\"):.0f} req/s, ratio {float(\"$s\") / float(\"$n\"):.2f}')"
done
