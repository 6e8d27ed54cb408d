#!/usr/bin/env bash
# Serve vae-geom behind nginx with deploy/nginx/vae-geom.conf, as a class would see it, without a
# system service: one `streamlit run app.py` on a loopback port, Debian's nginx in the foreground on
# another, both stopped when this script exits (Ctrl-C, SIGTERM, or either process dying). It is
# scripts/serve_class.sh with one app process (which keeps its classes in memory: no Redis).
#
#   scripts/serve_behind_nginx.sh                 # http://127.0.0.1:8080 -> app on 127.0.0.1:8501
#   PORT=9000 APP_PORT=9001 scripts/serve_behind_nginx.sh
#   scripts/serve_behind_nginx.sh --config-only DIR   # only write DIR/nginx.conf (tests use this)
#
# The generated nginx.conf keeps its pid, logs and temporary files in its own folder (DIR, or a
# temporary one removed on exit), so it needs neither root nor /etc/nginx. LISTEN (default
# 127.0.0.1) is the proxy's address; set LISTEN=0.0.0.0 to let the class in.
exec "$(dirname "$0")/serve_class.sh" 1 "$@"
