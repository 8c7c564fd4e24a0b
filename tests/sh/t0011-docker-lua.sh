# t0011: the docker.* recipe API against the real Docker engine; each task writes what it saw into files.
. "$(dirname "$0")/../lib/lib.sh"
need_docker

P="sbtest-lua-$$"
at_exit '"$DOCKER" rm -f "$P-c" >/dev/null 2>&1'
at_exit '"$DOCKER" rmi -f "$P-tag:1" "$P-cache:1" >/dev/null 2>&1'
at_exit '"$DOCKER" volume rm -f "$P-vol" "$P-v2" >/dev/null 2>&1'

# one file per observation: out/NAME holds tostring(value)
cat >sindri-build.lua <<'LUA'
local P = var("P")
os.execute("mkdir -p out")
local function put(name, ...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  local f = assert(io.open("out/" .. name, "w"))
  f:write(table.concat(t, " "), "\n")
  f:close()
end

task "ping" { always = true, run = function()
  put("ping", docker.ping())
  put("host", docker.host())
  put("null", type(docker.null))
end }

task "version" { always = true, run = function()
  local v = assert(docker.get("/version"))
  put("apiversion", type(v.ApiVersion))
  put("get_missing", docker.get("/no/such/route") == nil)
end }

task "images" { always = true, run = function()
  local l = assert(docker.images{"reference=busybox:local"})
  put("images_n", #l)
  put("images_tag", l[1].RepoTags[1])
  put("images_size", math.type(l[1].Size))
  put("images_none", #assert(docker.images{"reference=" .. P .. "-nothing"}))
  put("images_all", #assert(docker.images()) >= 1)
end }

task "inspect" { always = true, run = function()
  local t = assert(docker.inspect_image("busybox:local"))
  put("inspect_id", t.Id)
  put("inspect_missing", docker.inspect_image(P .. "-missing:1"))
end }

task "tag" { always = true, run = function()
  put("tag", docker.tag("busybox:local", P .. "-tag:1"))
  put("tag_id", assert(docker.inspect_image(P .. "-tag:1")).Id)
  put("tag_missing", docker.tag(P .. "-none:1", P .. "-x:1"))
  put("rmi", docker.rmi(P .. "-tag:1", { noprune = true }))
  put("rmi_again", docker.rmi(P .. "-tag:1", { force = false }))
end }

task "container" { always = true, run = function()
  local id = assert(docker.create_container{
    name = P .. "-c", image = "busybox:local", cmd = { "sleep", 60 },
    labels = { ["org.sindri-build.test"] = P, tier = "unit" },
    env = { "A=1", B = 2 }, binds = { P .. "-vol:/data" }, volumes = { "/anon" }, workdir = "/data",
  })
  put("c_id", id)
  put("c_start", docker.start(id))
  local c = assert(docker.inspect_container(P .. "-c"))
  put("c_running", c.State.Running)
  put("c_label", c.Config.Labels["org.sindri-build.test"], c.Config.Labels.tier)
  put("c_bind", c.HostConfig.Binds[1])
  put("c_env", table.concat(c.Config.Env, " "))
  put("c_cmd", table.concat(c.Config.Cmd, " "))
  local l = assert(docker.containers { "name=^/" .. P .. "-c$" })
  put("c_list", #l, l[1].Id, l[1].State, l[1].Labels.tier, l[1].ImageID == c.Image)
  put("c_list_prefix", #assert(docker.containers { "name=^/" .. P .. "$" }))
  put("c_stop", docker.stop(id, 1))
  put("c_stopped", assert(docker.inspect_container(id)).State.Running)
  put("c_list_stopped", assert(docker.containers { "name=^/" .. P .. "-c$", "label=tier=unit" })[1].State)
  put("c_rm", docker.rm(id, { volumes = true }))
  put("c_rm_again", docker.rm(id))
  put("c_start_missing", docker.start(id))
  put("c_inspect_missing", docker.inspect_container(id))
end }

task "volume" { always = true, run = function()
  local v = assert(docker.volume_create(P .. "-v2", { ["org.sindri-build.test"] = P }))
  put("v_name", v.Name)
  put("v_label", assert(docker.inspect_volume(P .. "-v2")).Labels["org.sindri-build.test"])
  put("v_rm", docker.volume_rm(P .. "-v2", { force = true }))
  put("v_rm_again", docker.volume_rm(P .. "-v2"))
  put("v_inspect_missing", docker.inspect_volume(P .. "-v2"))
end }

task "cache" { always = true, run = function()
  local mine, second
  for _, r in ipairs(assert(docker.build_cache())) do
    if r.description:find(P .. " > /probe", 1, true) then mine = r end
    if r.description:find(P .. "-2 > /probe2", 1, true) then second = r end
  end
  put("cache_found", mine ~= nil)
  put("cache_types", math.type(mine.size), math.type(mine.created), mine.created > 1500000000,
      type(mine.shared), type(mine.id), math.type(mine.usage_count))
  -- the second RUN's record first: the first's is its parent, which the engine keeps while a child holds it
  put("cache_pruned", math.type(docker.prune_cache_id(second.id)))
  local function still(id)
    for _, r in ipairs(assert(docker.build_cache())) do
      if r.id == id then return true end
    end
    return false
  end
  put("cache_still", still(second.id))
  put("cache_prune_missing", docker.prune_cache_id(second.id))
  put("cache_prune_filter", docker.prune_cache{ "id=^" .. P .. "-no-such-record$", all = true })
  -- a list: one that is there, one already gone, one that never was (and an id with regexp characters)
  local freed, n = docker.prune_cache_ids { mine.id, second.id, P .. ".no-such-record" }
  put("cache_prune_ids", math.type(freed), n)
  put("cache_ids_still", still(mine.id))
  put("cache_prune_ids_none", docker.prune_cache_ids {})
  put("cache_prune_ids_bad", pcall(docker.prune_cache_ids, { "" }))
end }

task "df" { always = true, run = function()
  local df = assert(docker.df())
  local keys = { "images_size", "containers_size", "volumes_size", "cache_size", "images", "containers",
                 "volumes", "cache_records" }
  local ok = true
  for _, k in ipairs(keys) do ok = ok and math.type(df[k]) == "integer" and df[k] >= 0 end
  put("df", ok, df.images >= 1)
end }

task "bad_field" { always = true, run = function()
  docker.create_container{ image = "busybox:local", bogus = 1 }
end }
task "bad_option" { always = true, run = function() docker.rmi("x", { forc = true }) end }
task "bad_item" { always = true, run = function() docker.images{ "reference=x", {} } end }
LUA

out() { cat "out/$1" 2>/dev/null; }
is() {
	got=$(out "$1")
	[ "$got" = "$2" ] || { echo "  out/$1: expected '$2', got '$got'" >&2; return 1; }
}

sb P="$P" ping
check "ping runs" rc_is 0
check "ping answers true" is ping true
check "host is the engine's address" is host "${DOCKER_HOST:-unix:///var/run/docker.sock}"
check "docker.null is a light userdata" is null userdata

sb P="$P" version
check "get runs" rc_is 0
check "get /version has a string ApiVersion" is apiversion string
check "get of an unknown route is nil" is get_missing true

sb P="$P" images
check "images runs" rc_is 0
check "reference filter finds busybox:local" is images_n 1
check "image summaries keep RepoTags" is images_tag busybox:local
check "sizes are integers" is images_size integer
check "a filter matching nothing gives an empty list" is images_none 0
check "images without filters lists something" is images_all true

sb P="$P" inspect
check "inspect runs" rc_is 0
check "inspect_image has the image ID" is inspect_id "$(image_id busybox:local)"
check "inspect_image of a missing image is false" is inspect_missing "false image '$P-missing:1' not found"

sb P="$P" tag
check "tag runs" rc_is 0
check "tag answers true" is tag true
check "the new tag names busybox:local" is tag_id "$(image_id busybox:local)"
check "tag of a missing image is false" is tag_missing "false image '$P-none:1' not found"
check "rmi answers true" is rmi true
check "rmi again is false" is rmi_again "false image '$P-tag:1' not found"
check "the tag is gone" test "$(image_id "$P-tag:1")" = none
check "busybox:local is still there" test "$(image_id busybox:local)" != none

sb P="$P" container
check "container runs" rc_is 0
id=$(out c_id)
check "create_container returns a 64-hex id" sh -c 'printf "%s\n" "$1" | grep -qx "[0-9a-f]\{64\}"' - "$id"
check "start answers true" is c_start true
check "the container was running" is c_running true
check "labels reach the container" is c_label "$P unit"
check "binds reach the container" is c_bind "$P-vol:/data"
check "env takes list items and names" sh -c 'grep -q "A=1" out/c_env && grep -q "B=2" out/c_env'
check "cmd is the argv given" is c_cmd "sleep 60"
check "containers lists the one named exactly, with id, state, labels and image ID" is c_list "1 $id running unit true"
check "containers: an anchored name is not a prefix match" is c_list_prefix 0
check "containers lists stopped ones too (and ANDs filters)" is c_list_stopped exited
check "stop answers true" is c_stop true
check "the container stopped" is c_stopped false
check "rm answers true" is c_rm true
check "rm again is false" is c_rm_again "false container '$id' not found"
check "start of a removed container is false" is c_start_missing "false container '$id' not found"
check "inspect_container of a removed container is false" is c_inspect_missing "false container '$id' not found"
check "the container is gone" sh -c '! "$DOCKER" container inspect "$1" >/dev/null 2>&1' - "$P-c"
check "the bound volume was made" "$DOCKER" volume inspect "$P-vol" >/dev/null

sb P="$P" volume
check "volume runs" rc_is 0
check "volume_create returns the volume" is v_name "$P-v2"
check "volume labels are kept" is v_label "$P"
check "volume_rm answers true" is v_rm true
check "volume_rm again is false" is v_rm_again "false volume '$P-v2' not found"
check "inspect_volume of a removed volume is false" is v_inspect_missing "false volume '$P-v2' not found"

mkdir ctx
printf 'FROM busybox:local\nRUN echo %s > /probe\nRUN echo %s-2 > /probe2\n' "$P" "$P" >ctx/Dockerfile
check "a BuildKit build with a RUN step" sh -c 'DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t "$1" ctx >/dev/null 2>&1' - "$P-cache:1"
sb P="$P" cache
check "cache runs" rc_is 0
check "build_cache has the RUN step's record" is cache_found true
check "records have numeric size and times" is cache_types "integer integer true boolean string integer"
check "prune_cache_id returns the bytes reclaimed" is cache_pruned integer
check "the pruned record is gone" is cache_still false
check "pruning it again is false" sh -c "grep -q \"^false build-cache record '.*' not found$\" out/cache_prune_missing"
check "prune_cache with a filter matching nothing" is cache_prune_filter "0 0"
check "prune_cache_ids removes the records listed that are there" is cache_prune_ids "integer 1"
check "the record it pruned is gone" is cache_ids_still false
check "prune_cache_ids with no id asks nothing" is cache_prune_ids_none "0 0"
check "prune_cache_ids refuses an empty id" sh -c "grep -q '^false .*list of build-cache record ids' out/cache_prune_ids_bad"

sb P="$P" df
check "df runs" rc_is 0
check "df returns counts and sizes" is df "true true"

sb P="$P" bad_field
check "an unknown field is an error" rc_is 1
check "the error names the field" out_has "unknown field 'bogus'"
sb P="$P" bad_option
check "an unknown option is an error" rc_is 1
check "the error names the option" out_has "unknown option 'forc' (known: force, noprune)"
sb P="$P" bad_item
check "a filter that is not a string is an error" rc_is 1
check "the error names the item" out_has "filters: item 2 must be a string, not a table"

finish
