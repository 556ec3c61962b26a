#!/bin/sh
# The README demo: start smtp-testd on a loopback port the kernel picks,
# pipe a message through the real postie binary, show what arrived.
# Run from the build directory (where cmd/postie was built).
set -eu
b=${top_builddir:-.}
d=$(mktemp -d "${TMPDIR:-/tmp}/postie-demo.XXXXXX")
"$b/tests/server/smtp-testd" --dir "$d/srv" --port-file "$d/port" \
    --sessions 1 --idle-exit 30 >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$d"' EXIT
mkdir -p "$d/srv"
i=0
while [ ! -s "$d/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cat >"$d/postie.conf" <<EOF2
account default
host 127.0.0.1
port $(cat "$d/port")
domain demo.example
from demo@demo.example
EOF2
printf 'From: demo@demo.example\nTo: you@example.org\nSubject: hello from postie\n\nIt works.\n' |
    "$b/cmd/postie" -C "$d/postie.conf" -v you@example.org
echo "postie exited with $?"
wait $pid || true
echo "--- the server's envelope:"
cat "$d/srv/msg-1.env"
echo "--- the message it received:"
cat "$d/srv/msg-1.eml"
echo "--- its transcript:"
cat "$d/srv/session-1.log"
