# t0008: secrets: a private state directory, values never written or printed, keyed through an HMAC, and a warning
# for what looks secret but is not declared so.
. "$(dirname "$0")/../lib/lib.sh"

VALUE="s3cr3t-$$-Value"
OTHER="0ther-$$-Value"
ENVKEY="shared-key-for-every-runner-$$"
# nowhere: the value is not in the state directory, the task's output or what sindri-build printed
nowhere() {
	! grep -rqF -- "$1" .sindri-build out.txt "$T_OUT" 2>/dev/null
}
# private: the state directory 0700, every directory in it 0700 and every file 0600
private() {
	test "$(stat -c %a .sindri-build)" = 700 &&
		test -z "$(find .sindri-build -mindepth 1 \( -type d ! -perm 700 \) -o \( ! -type d ! -perm 600 \))"
}

cat >sindri-build.lua <<'LUA'
task "use" {
  secrets = { "NPM_TOKEN" },
  env = { "FLAVOR" },
  outputs = { "out.txt" },
  -- the task sees the secret (it writes its length only), and never SINDRI_BUILD_SECRET_KEY
  run = 'echo "len=${#NPM_TOKEN} flavor=$FLAVOR key=${SINDRI_BUILD_SECRET_KEY:-none}" > out.txt',
}
default "use"
LUA

export NPM_TOKEN="$VALUE" FLAVOR=vanilla
sb -t key
check "read-only before any build: says keys are provisional" out_has "no secret key yet in '.sindri-build/secret-key'"
check "read-only before any build: writes nothing" test ! -e .sindri-build
sb -d explain -v
check "a task with a secret runs" ran_is "use"
check "the task gets the secret in its environment" test "$(cat out.txt)" = "len=${#VALUE} flavor=vanilla key=none"
check "the state directory is private" private
check "the secret key file is made, mode 0600" test "$(stat -c %a .sindri-build/secret-key)" = 600
check "the secret key file holds 64 hex digits" grep -Eqx '[0-9a-f]{64}' .sindri-build/secret-key
keyfile=$(cat .sindri-build/secret-key)
keyino=$(stat -c %i .sindri-build/secret-key)
check "no value in the state, the output or the messages" nowhere "$VALUE"

sb
check "an unchanged secret: nothing runs" ran_is ""
check "the secret key file is made once" test "$(cat .sindri-build/secret-key)" = "$keyfile" -a \
	"$(stat -c %i .sindri-build/secret-key)" = "$keyino"

NPM_TOKEN="$OTHER" sb -t explain
check "explain names the changed secret" out_has "secret NPM_TOKEN changed"
check "explain shows no value" nowhere "$VALUE"
check "explain shows no new value" nowhere "$OTHER"
NPM_TOKEN="$OTHER" sb -n -d explain
check "a dry run shows no value" nowhere "$OTHER"
NPM_TOKEN="$OTHER" sb -t key
check "-t key shows no value" nowhere "$OTHER"
NPM_TOKEN="$OTHER" sb -d explain
check "a changed secret reruns the task" ran_is "use"
check "-d explain names it, without values" out_has "explain use: secret NPM_TOKEN changed"
check "still no value anywhere" nowhere "$OTHER"
check "nor the earlier one" nowhere "$VALUE"
NPM_TOKEN= sb
check "an empty secret is keyed (reruns)" ran_is "use"
(unset NPM_TOKEN; sb)
check "an unset secret is keyed apart from an empty one (reruns)" ran_is "use"
(unset NPM_TOKEN; sb)
check "unset again: nothing runs" ran_is ""

# the key text of the definition names the secret, never its value; so does -t query
sb -t query use
check "-t query shows no value" nowhere "$VALUE"

# SINDRI_BUILD_SECRET_KEY: two checkouts (two machines' keys) agree only through it, and no one else sees it
mkdir copy
cp sindri-build.lua copy/
here=$("$SB" -t key 2>/dev/null)
there=$(cd copy && "$SB" use >/dev/null 2>&1 && "$SB" -t key 2>/dev/null)
check "two checkouts: their own keys differ" test -n "$here" -a -n "$there" -a "$here" != "$there"
here=$(SINDRI_BUILD_SECRET_KEY=$ENVKEY "$SB" -t key 2>/dev/null)
there=$(cd copy && SINDRI_BUILD_SECRET_KEY=$ENVKEY "$SB" -t key 2>/dev/null)
check "two checkouts: SINDRI_BUILD_SECRET_KEY makes them agree" test -n "$here" -a "$here" = "$there"
SINDRI_BUILD_SECRET_KEY=$ENVKEY sb -v
check "with SINDRI_BUILD_SECRET_KEY the task reruns (another key)" ran_is "use"
check "the task does not see SINDRI_BUILD_SECRET_KEY" grep -q "key=none" out.txt
check "SINDRI_BUILD_SECRET_KEY is written nowhere" nowhere "$ENVKEY"
SINDRI_BUILD_SECRET_KEY=$ENVKEY sb
check "with the same SINDRI_BUILD_SECRET_KEY: nothing runs" ran_is ""
SINDRI_BUILD_SECRET_KEY=$keyfile sb
check "the key file's text as SINDRI_BUILD_SECRET_KEY is the same key" ran_is "use"
sb
check "so the machine's own key finds it current" ran_is ""
SINDRI_BUILD_SECRET_KEY=short sb -n
check "a short SINDRI_BUILD_SECRET_KEY is warned about" out_has "SINDRI_BUILD_SECRET_KEY is shorter than 16 characters"

# what looks secret but is not declared so: a warning naming file:line; what only resembles it: none
cat >warn.lua <<'LUA'
task "w" {
  env = { "GITHUB_TOKEN", "KEYBOARD_LAYOUT", "MONKEY", "DB_PASSWORD" },
  run = "true",
}
LUA
rm -rf .sindri-build
GITHUB_TOKEN="$VALUE" sb -f warn.lua -d explain w
check "a secret-looking env entry: warned with file:line and what to do" \
	out_has "warning: warn.lua:1: task 'w': env 'GITHUB_TOKEN' looks like a secret; declare it with secrets = { \"GITHUB_TOKEN\" }"
check "DB_PASSWORD: warned too" out_has "env 'DB_PASSWORD' looks like a secret"
check "KEYBOARD_LAYOUT: no warning" out_lacks "KEYBOARD_LAYOUT"
check "MONKEY: no warning" out_lacks "MONKEY"
check "one line per name" test "$(grep -c 'looks like a secret' "$T_OUT")" = 2
check "its value is not kept" nowhere "$VALUE"
check "and the state is private" private
GITHUB_TOKEN="$OTHER" sb -f warn.lua -d explain w
check "an undeclared secret-looking env: its change is named" out_has "environment variable GITHUB_TOKEN changed"
check "an undeclared secret-looking env: its values are not shown" nowhere "$OTHER"
check "nor kept" nowhere "$VALUE"
printf 'task "ok" { env = { "FLAVOR" }, secrets = { "API_KEY" }, run = "true" }\n' >ok.lua
sb -f ok.lua ok
check "a declared secret: no warning" out_lacks "looks like a secret"

printf 'task "x" { env = { "NPM_TOKEN" }, secrets = { "NPM_TOKEN" }, run = "true" }\n' >bad.lua
sb -f bad.lua x
check "a name in env and secrets: exit 2" rc_is 2
check "a name in env and secrets: says what to do" out_has "bad.lua:1: task 'x': 'NPM_TOKEN' is in both env and secrets; keep it in secrets only"
printf 'task "x" { secrets = { "NPM-TOKEN" }, run = "true" }\n' >bad.lua
sb -f bad.lua x
check "a bad secret name: exit 2" rc_is 2
check "a bad secret name: named" out_has "bad.lua:1: task 'x': secret 'NPM-TOKEN' must be an environment variable's name"

finish
