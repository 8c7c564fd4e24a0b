#!/bin/sh
# Container entrypoint: show the banner, then run the given command (or idle).
set -eu
[ -r /opt/sindri/embedded/motd.txt ] && cat /opt/sindri/embedded/motd.txt
if [ "$#" -gt 0 ]; then
	exec "$@"
fi
trap 'exit 0' TERM INT
while :; do sleep 1; done
