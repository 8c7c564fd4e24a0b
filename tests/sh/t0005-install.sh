# t0005: an installed sindri-build finds its stock recipes next to itself, and a Sindri checkout without a recipe
# of its own uses them; a project's own sindri-build.lua wins.
. "$(dirname "$0")/../lib/lib.sh"

mkdir -p prefix/bin prefix/share/sindri-build proj/v3
cp "$SB" prefix/bin/sindri-build
cp -R "$T_TOP/recipes" prefix/share/sindri-build/recipes
printf '[workspace.package]\nversion = "9.8.7"\n' >proj/v3/Cargo.toml
SB="$T_ROOT/prefix/bin/sindri-build"

sb -C proj -t targets --all
check "a Sindri checkout without a recipe uses the stock recipes" out_has "^  cycle-fast: "
check "the v3- names answer too" out_has "(also: v3-docker-build-base-ubuntu, docker-build-base, v3-docker-build-base)"
sb -C proj -t graph docker-build-fast
check "the fast image is the dev target" out_has '"docker-build-dev-ubuntu"'
sb -C proj -t graph docker-build-dev-ubuntu@local-base
check "its image on the local base depends on the base" out_has '"docker-build-base-ubuntu" -> "docker-build-dev-ubuntu@local-base"'
SINDRI_BUILD_RECIPES="$T_ROOT/nowhere" sb -C proj -t targets
check "SINDRI_BUILD_RECIPES overrides where the stock recipes are" rc_is 2
check "and a missing stock recipe is named" out_has "nowhere/sindri.lua"
printf 'task "mine" { run = { "true" } }\n' >proj/sindri-build.lua
sb -C proj -t targets
check "a project's own recipe wins" out_has "^mine"
check "and does not load the stock ones unless it requires them" out_lacks "cycle-fast"

finish
