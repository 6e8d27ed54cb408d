#!/usr/bin/env bash
# Serve a class from N app processes on this machine (issue 16), without a system service:
#   - one redis-server that holds the classes (the teacher's step, the answers), on loopback, in
#     memory only (no snapshot, no append-only file): a class is live state, nothing to keep;
#   - N `streamlit run app.py` processes on loopback ports, all naming that Redis
#     (VAE_GEOM_CLASS_REDIS) and one user-models folder (VAE_GEOM_USER_MODELS);
#   - one nginx in the foreground with deploy/nginx/vae-geom.conf: sticky sessions over the N
#     processes, Streamlit's static bundle served from disk (gzipped, cached for a year), the
#     upload and connection limits, /_stcore/metrics closed.
# Everything is stopped when this script exits (Ctrl-C, SIGTERM, nginx or Redis stopping, or the
# last app process stopping). An app process that dies is NOT restarted: its students' tabs
# reconnect to the others, and their cookies keep routing them there; a restarted process would
# take those cookies back while the tabs' sessions live elsewhere.
#
#   scripts/serve_class.sh 4                       # http://127.0.0.1:8080, apps on 8501-8504
#   LISTEN=0.0.0.0 scripts/serve_class.sh 4        # let the class in
#   scripts/serve_class.sh 2 --config-only DIR     # only write DIR/nginx.conf (tests use this)
#
# Settings (environment): PORT (8080) the proxy's port, LISTEN (127.0.0.1) its address;
# APP_PORT (8501) the first app's port, app i on APP_PORT + i, or APP_PORTS="p1 p2 ..." (N of
# them); REDIS_PORT (6390); VAE_GEOM_CLASS_REDIS, a redis URL, to use a Redis server of your own
# instead of starting one (several machines: deploy/README.md); VAE_GEOM_USER_MODELS (the app's
# user_models/) the one folder every process saves to and reads; VAE_GEOM_MAX_TRAININGS
# (default: the cores shared among the N processes); NGINX, REDIS_SERVER the binaries;
# UPSTREAM_HEADER=1 adds an X-Vaegeom-Upstream response header naming the process that answered
# (tests only: it tells a client how the servers are laid out).
#
# With N = 1 no Redis is started: one process keeps its classes in memory (serve_behind_nginx.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITE="$ROOT/deploy/nginx/vae-geom.conf"
NGINX=${NGINX:-/usr/sbin/nginx}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
PY="$ROOT/.venv/bin/python"; [[ -x $PY ]] || PY=python3

N=${1:-}
[[ $N =~ ^[1-9][0-9]?$ ]] || { echo "usage: $0 N [--config-only DIR]  (N app processes, 1-99)" >&2; exit 2; }
shift
PORT=${PORT:-8080}
LISTEN=${LISTEN:-127.0.0.1}
APP_PORT=${APP_PORT:-8501}
if [[ -n ${APP_PORTS:-} ]]; then
  read -r -a PORTS <<<"$APP_PORTS"
else
  PORTS=(); for ((i = 0; i < N; i++)); do PORTS+=($((APP_PORT + i))); done
fi
((${#PORTS[@]} == N)) || { echo "serve_class: APP_PORTS names ${#PORTS[@]} ports for $N processes" >&2; exit 2; }
REDIS_PORT=${REDIS_PORT:-6390}
OWN_REDIS=""
if ((N > 1)) && [[ -z ${VAE_GEOM_CLASS_REDIS:-} ]]; then
  OWN_REDIS=1
  export VAE_GEOM_CLASS_REDIS="redis://127.0.0.1:$REDIS_PORT/0"
fi
export VAE_GEOM_USER_MODELS=${VAE_GEOM_USER_MODELS:-$ROOT/user_models}
CORES=$(nproc)
export VAE_GEOM_MAX_TRAININGS=${VAE_GEOM_MAX_TRAININGS:-$(((CORES + N - 1) / N))}

# The static folder of the streamlit package the apps run (nginx serves /static/ from it).
streamlit_static() {
  "$PY" -c 'import os, streamlit; print(os.path.join(os.path.dirname(streamlit.__file__), "static"))'
}

# DIR/static: a copy of Streamlit's static folder with a .gz beside each compressible file, so
# nginx's gzip_static sends every first load compressed without compressing it again (~2 s, once).
precompress() {
  local dir=$1
  rm -rf "$dir/static"
  cp -r "$(streamlit_static)" "$dir/static"
  find "$dir/static" -type f \( -name '*.js' -o -name '*.css' -o -name '*.json' -o -name '*.svg' \) \
    -size +1k -print0 | xargs -0 -r -P "$CORES" -n 32 gzip -k -6
  chmod -R a+rX "$dir/static"
}

# Write DIR/vae-geom.conf (the shipped site with its one-line settings pointed at our ports and
# folders) and DIR/nginx.conf (a foreground nginx that includes it and writes only under DIR).
write_config() {
  local dir=$1 servers="" p
  mkdir -p "$dir"
  chmod 755 "$dir"  # nginx's workers (nobody, when started by root) create their temp dirs here
  precompress "$dir"
  for p in "${PORTS[@]}"; do servers+="\\1server 127.0.0.1:$p;\\n"; done
  local header='\1add_header Set-Cookie $vaegeom_route_cookie always;\2'
  [[ ${UPSTREAM_HEADER:-} == 1 ]] && header+='\n\1add_header X-Vaegeom-Upstream $upstream_addr always;'
  # Each rule rewrites one line of the site file; every rewrite is checked below.
  sed -E \
    -e "s/^([[:space:]]*)listen 80;/\1listen $LISTEN:$PORT;/" \
    -e "s/^([[:space:]]*)server 127\.0\.0\.1:8501;$/${servers%\\n}/" \
    -e "s|^([[:space:]]*)root /usr/lib/python3/dist-packages/streamlit/static;|\1root $dir/static;|" \
    -e "s|^([[:space:]]*)access_log /var/log/nginx/vae-geom.access.log vaegeom;|\1access_log $dir/access.log vaegeom;|" \
    -e "s/^([[:space:]]*)add_header Set-Cookie \\\$vaegeom_route_cookie always;(.*)$/$header/" \
    "$SITE" >"$dir/vae-geom.conf"
  # Every rewrite must have happened, or nginx would serve the wrong ports or files without a word.
  local want=("listen $LISTEN:$PORT;" "root $dir/static;" "access_log $dir/access.log vaegeom;")
  for p in "${PORTS[@]}"; do want+=("server 127.0.0.1:$p;"); done
  [[ ${UPSTREAM_HEADER:-} == 1 ]] && want+=("add_header X-Vaegeom-Upstream \$upstream_addr always;")
  for line in "${want[@]}"; do
    grep -qF "$line" "$dir/vae-geom.conf" || {
      echo "serve_class: $SITE no longer has the line that becomes '$line'" >&2
      exit 1
    }
  done
  cat >"$dir/nginx.conf" <<CONF
# Generated by scripts/serve_class.sh: a foreground nginx that writes only under $dir.
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/vae-geom.conf;
}
CONF
}

if [[ ${1:-} == --config-only ]]; then
  write_config "${2:?usage: $0 N --config-only DIR}"
  exit 0
fi
[[ -z ${1:-} ]] || { echo "serve_class: unknown argument $1" >&2; exit 2; }

[[ -x $NGINX ]] || { echo "serve_class: $NGINX is missing: apt-get install nginx" >&2; exit 1; }
[[ -z $OWN_REDIS || -x $REDIS_SERVER ]] ||
  { echo "serve_class: $REDIS_SERVER is missing: apt-get install redis-server" >&2; exit 1; }
DIR=$(mktemp -d -t vae-geom-class.XXXXXX)
write_config "$DIR"
"$NGINX" -t -q -e stderr -c "$DIR/nginx.conf"
mkdir -p "$VAE_GEOM_USER_MODELS"

declare -A ROLE=()  # pid -> what it is
stop() {
  trap - EXIT INT TERM
  set +e  # stop everything whatever fails
  local pid
  for pid in "${!ROLE[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n $OWN_REDIS ]]; then
  mkdir -p "$DIR/redis"
  "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --dir "$DIR/redis" \
    --save '' --appendonly no --maxmemory 256mb --maxmemory-policy noeviction \
    --loglevel warning --logfile '' --daemonize no &
  ROLE[$!]="redis on 127.0.0.1:$REDIS_PORT"
  for _ in $(seq 50); do  # until it answers PING (0.1 s apart): the apps' first class needs it
    if { exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"; } 2>/dev/null; then
      printf 'PING\r\n' >&3
      read -r -t 1 pong <&3 || true
      exec 3>&-
      [[ ${pong:-} == +PONG* ]] && break
    fi
    sleep 0.1
  done
fi

# One secret for every process: cookies one signs (st.login's) must be valid in the others.
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
for p in "${PORTS[@]}"; do
  (cd "$ROOT" && exec "$PY" -m streamlit run app.py --server.headless true \
    --server.address 127.0.0.1 --server.port "$p") &
  ROLE[$!]="app on 127.0.0.1:$p"
  echo "app $! on 127.0.0.1:$p"
done
"$NGINX" -e stderr -c "$DIR/nginx.conf" &
ROLE[$!]="nginx"
CLASSES=${VAE_GEOM_CLASS_REDIS:-memory}
echo "vae-geom behind nginx: http://$LISTEN:$PORT ($N app processes on 127.0.0.1:${PORTS[*]}," \
  "classes in $CLASSES, user models in" \
  "$VAE_GEOM_USER_MODELS, nginx files in $DIR)"

APPS=$N
while true; do
  dead="" status=0
  wait -n -p dead || status=$?
  [[ -n $dead ]] || exit 1  # no child left
  role=${ROLE[$dead]}
  unset "ROLE[$dead]"
  if [[ $role == app* ]]; then
    APPS=$((APPS - 1))
    echo "serve_class: the $role (pid $dead) stopped ($status); its students reconnect to" \
      "the $APPS left" >&2
    ((APPS > 0)) && continue
  fi
  echo "serve_class: $role stopped ($status): stopping everything" >&2
  exit "$((status ? status : 1))"
done
