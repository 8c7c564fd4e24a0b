# t0056: a remote engine over tcp:// with TLS, as a shared build host: a second dockerd listening on 127.0.0.1 with
# --tlsverify and certificates made here with openssl. An image task run with DOCKER_HOST=tcp://...,
# DOCKER_TLS_VERIFY and DOCKER_CERT_PATH builds on that engine (not on the local one), the next run does nothing,
# and a client that does not trust the server, or that the server does not trust, gets exit 3 and a clear message.
. "$(dirname "$0")/../lib/lib.sh"
need_docker
unset CI PUSH DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH

P="sbtest-$$"
CERTS="$T_ROOT/certs"
sh "$T_TOP/tests/lib/engine2-setup.sh" certs "$CERTS" || { echo "$T_NAME: cannot make certificates"; echo "$T_NAME: 0 passed, 1 failed"; exit 1; }
PORT=$(free_port 31000)
E2="$T_ROOT/engine2"
need_engine2 "$E2" "$CERTS" "$PORT"
at_exit 'rmi_named "$P"'
REMOTE="tcp://127.0.0.1:$PORT"
local2() { env DOCKER_HOST="$E2_HOST" "$DOCKER" "$@"; }
tls() {
	d=$1
	shift
	env DOCKER_HOST="$REMOTE" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$d" "$@"
}

# The build host has its own base image.
"$DOCKER" save busybox:local | local2 load >/dev/null
check "the build host has the base" test -n "$(local2 image ls -q busybox:local)"

mkdir -p app
printf 'FROM busybox:local\nRUN echo remote > /where\n' >app/Dockerfile
cat >sindri-build.lua <<LUA
image "app" { context = "app", tags = { "$P-app:1" } }
default "app"
LUA
label() { "$@" image inspect -f '{{index .Config.Labels "org.sindri-build.key"}}' "$P-app:1" 2>/dev/null; }

tls "$CERTS" "$SB" -t key app >"$T_OUT" 2>&1
key=$(cat "$T_OUT")
check "-t key over TLS" grep -Eq '^[0-9a-f]{32}$' "$T_OUT"
tls "$CERTS" "$SB" app >"$T_OUT" 2>&1; RC=$?
check "a build on the remote engine succeeds" rc_is 0
check "it ran the image task" ran_is "app"
check "the image is on the remote engine, with its key" equal "$(label local2)" "$key"
check "and not on the local one" test "$(image_id "$P-app:1")" = none
check "it was built there" sh -c "env DOCKER_HOST='$E2_HOST' '$DOCKER' run --rm '$P-app:1' cat /where | grep -q remote"
tls "$CERTS" "$SB" app >"$T_OUT" 2>&1; RC=$?
check "the next run over TLS does nothing" ran_is ""
check "and succeeds" rc_is 0

# A client that does not trust the server's certificate: another CA.
sh "$T_TOP/tests/lib/engine2-setup.sh" certs "$T_ROOT/other"
tls "$T_ROOT/other" "$SB" app >"$T_OUT" 2>&1; RC=$?
check "a wrong CA: exit 3, the engine unreachable" rc_is 3
check "a wrong CA: the message names the engine and TLS" out_has "cannot reach the Docker engine at '$REMOTE': TLS failed"
check "a wrong CA: and says what to check" out_has "check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY"
check "a wrong CA: nothing ran" ran_is ""

# A client the server does not trust: the right CA, but no client certificate.
mkdir -p nocert
cp "$CERTS/ca.pem" nocert/
tls "$T_ROOT/nocert" "$SB" app >"$T_OUT" 2>&1; RC=$?
check "no client certificate: exit 3" rc_is 3
check "no client certificate: the message names the engine and TLS" out_has "cannot reach the Docker engine at '$REMOTE': TLS failed"
check "no client certificate: and says what is missing" out_has "DOCKER_CERT_PATH has no cert.pem and key.pem"

# Plain HTTP to the TLS port: the hint is DOCKER_TLS_VERIFY.
env DOCKER_HOST="$REMOTE" "$SB" app >"$T_OUT" 2>&1; RC=$?
check "without DOCKER_TLS_VERIFY: exit 3" rc_is 3
check "without DOCKER_TLS_VERIFY: it says TLS is expected" out_has "'$REMOTE': it expects TLS; set DOCKER_TLS_VERIFY=1"

finish
