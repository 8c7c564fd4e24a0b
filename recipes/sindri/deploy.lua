-- sindri.deploy: deploy, destroy and connect for the docker provider, through the `sindri` CLI when it is on
-- PATH (as the Makefile's targets do) and natively through the Docker Engine API otherwise.
--
-- The home volume <name>_home holds the maintainer's work: deploy never removes it (it replaces the container
-- only, once its replacement runs, and starts a stopped container whose image is current instead of replacing it);
-- destroy removes it, and asks first (FORCE=1 or --yes answer yes).
local S = sindri
local lib = S.lib
local M = {}

local CONFIG = var("CONFIG")
-- parsed when the recipe loads, when CONFIG is given: a bad file stops the run before anything is destroyed; its
-- hash keys deploy (below)
local cfg = CONFIG and sindri_config(CONFIG) or nil

-- S.config: the parsed CONFIG, or a clear error for targets that need one. It parses the file when called and
-- keeps nothing: every value a Lua function can reach is part of its key, so a config kept here would make the key
-- of every Sindri task (the dev images' too) change with CONFIG, and a run with one disagree with an explain
-- without. The tasks the config changes key it themselves (deploy's values and vars) or always run (the cycles).
function S.config()
  local path = var("CONFIG")
  if not path then error("this target needs a config: add CONFIG=sindri.yaml (or --config FILE)", 0) end
  return sindri_config(path)
end

-- cli: the sindri CLI, unless SINDRI_CLI=none (or another path) says otherwise.
function M.cli()
  local want = var("SINDRI_CLI", "auto")
  if want == "none" then return nil end
  if want ~= "auto" then return want end
  return lib.on_path("sindri")
end

local function native(c)
  if c.provider ~= "docker" then
    error(string.format("%s: provider '%s' needs the sindri CLI on PATH; sindri-build deploys only the docker "
      .. "provider natively", c.path, c.provider), 0)
  end
end

-- image_ref: what the deployment runs: the config's image (from source: the image built from the ref).
function M.image_ref(c) return (not S.source and c.image) or S.dev_tags[1] end

-- container: the deployment's container summary (a list filtered to its exact name), or nil.
local function container(c)
  local list = docker.containers { "name=^/" .. c.name:gsub("%.", "\\.") .. "$" }
  return list and list[1]
end

local function volume(c) return c.name .. "_home" end

-- state: "current", "stopped" (its image is current, it only stopped), or "replace" and why.
function M.state(c, key)
  -- both questions at once: the image's inspect is made while the container list is
  docker.inspect_image_ahead(M.image_ref(c))
  local ct = container(c)
  if not ct then return "replace", "container '" .. c.name .. "' does not exist" end
  local img = docker.inspect_image(M.image_ref(c), { "Id" })
  if not img or img.Id ~= ct.ImageID then return "replace", "container '" .. c.name .. "' runs an older image" end
  if not M.cli() and (ct.Labels or {})["org.sindri-build.key"] ~= key then
    return "replace", "container '" .. c.name .. "' was deployed from other inputs"
  end
  -- files copied in by cycle-live: the container is not its image any more (sindri.live)
  local rec = S.live and S.live.record(c.name, ct.Id)
  if S.live and S.live.synced_into(rec) then return "replace", "container '" .. c.name .. "': " .. S.live.describe(rec) end
  -- a container the CLI made carries no key: this state's record of the deploy that made it does (none from before
  -- such records: taken as current, as it was then)
  if M.cli() and rec and rec.deploy_key ~= key then
    return "replace", "container '" .. c.name .. "' was deployed from other inputs"
  end
  -- no record that this state deployed it: a sync's marker in the container when the state that recorded the sync
  -- is gone (an engine that cannot say: replace)
  if S.live and not rec and docker.path_exists(ct.Id, S.live.MARKER) ~= false then
    return "replace", "container '" .. c.name .. "' was live-synced (it holds " .. S.live.MARKER .. ") and this "
      .. "state has no record of it"
  end
  if ct.State ~= "running" then return "stopped", "container '" .. c.name .. "' is not running", ct end
  return "current", nil, ct
end

local function create_argv(c, key, img)
  return { lib.docker_cli(), "run", "-d", "-it", "--name", c.name,
    "--label", "org.sindri-build.key=" .. key, "--label", "org.sindri-build.image=" .. (img and img.Id or "<image id>"),
    "--label", "org.sindri-build.config=" .. c.hash, "--label", "org.sindri-build.workspace=" .. c.name,
    "-v", volume(c) .. ":/alt/home/developer", M.image_ref(c) }
end

-- make: a new container for the deployment, under its name, running (through the CLI, else natively); raises when
-- it cannot. Returns the container's ID (none for a provider other than docker).
local function make(c, key, prog, ref, img)
  if prog then
    local argv = { prog, "deploy", "--config", c.path }
    if unkeyed.sindri_deploy_force then argv[#argv + 1] = "-f" end
    local ok, rc = sb.run(argv)
    if not ok then error("sindri deploy failed with exit status " .. rc, 0) end
    -- a CLI that says it deployed a docker workspace must have left its container running
    local ct = c.provider == "docker" and container(c)
    if c.provider == "docker" and (not ct or ct.State ~= "running") then
      error(string.format("deploy: '%s deploy' exited 0, but no container '%s' runs: is '%s' the Sindri CLI (a "
        .. "stand-in installed by an example, say)? Deploy without it with SINDRI_CLI=none, or give the real one "
        .. "with SINDRI_CLI=/path/to/sindri", prog, c.name, prog), 0)
    end
    return ct and ct.Id
  end
  docker.volume_create(volume(c), { ["org.sindri-build.workspace"] = c.name })
  local id = assert(docker.create_container {
    name = c.name,
    image = ref,
    labels = {
      ["org.sindri-build.key"] = key,
      ["org.sindri-build.image"] = img.Id,
      ["org.sindri-build.config"] = c.hash,
      ["org.sindri-build.workspace"] = c.name,
    },
    binds = { volume(c) .. ":/alt/home/developer" },
    tty = true, stdin_open = true,
  })
  assert(docker.start(id))
  return id
end

-- aside: the name the old container has while its replacement is made.
local function aside(c, old) return c.name .. "-replaced-" .. old.Id:sub(1, 12) end

-- put_back: a replacement failed: what it left under the name goes, and the old container gets its name back, started
-- when it ran. nil and a message when that fails too.
local function put_back(c, old)
  local now = container(c)
  if now and now.Id ~= old.Id then docker.rm(now.Id, { force = true }) end
  local ok, err = docker.rename(old.Id, c.name)
  if ok and old.State == "running" then ok, err = docker.start(old.Id) end
  return ok, err
end

-- run: start a stopped deployment whose image is current; else replace the container, keeping the home volume. The
-- old container is set aside (renamed, stopped), not removed, until its replacement runs: a replacement that cannot
-- be made or started fails the deploy and leaves the old container as it was.
function M.run(key)
  local c = S.config()
  local prog = M.cli()
  if not prog then native(c) end
  local ref = M.image_ref(c)
  local img = docker.inspect_image(ref)
  if not img then error("deploy: no image '" .. ref .. "'; build it first: sindri-build " .. S.dev_task, 0) end
  local st, _, ct = M.state(c, key)
  if st == "stopped" then
    assert(docker.start(ct.Id))
    lib.say("deploy: started '%s': it had stopped and its image is current", c.name)
    return true
  end
  local old = container(c)
  if old then
    assert(docker.rename(old.Id, aside(c, old)))
    local ok, err = docker.stop(old.Id, 10)
    if not ok then
      put_back(c, old)
      error(string.format("deploy: cannot stop container '%s' (%s); it was left as it was", c.name, tostring(err)), 0)
    end
  end
  local made, id = pcall(make, c, key, prog, ref, img)
  if not made then
    local err = tostring(id):gsub("%s+$", "")
    if not old then error(err, 0) end
    local ok, why = put_back(c, old)
    if not ok then
      error(string.format("%s; the old container could not be put back (%s): it is '%s', give it its name with: "
        .. "docker rename %s %s", err, tostring(why), aside(c, old), aside(c, old), c.name), 0)
    end
    error(string.format("%s; the deployment '%s' was left as it was", err, c.name), 0)
  end
  if old then
    docker.rm(old.Id, { force = true })
    print("removed container " .. c.name .. " (its home volume " .. volume(c) .. " is kept)")
  end
  if S.live then
    if id then S.live.deployed(c.name, id, key) else S.live.forget(c.name) end
  end
  if not prog then print(string.format("deployed %s from %s", c.name, ref)) end
  return true
end

-- plan: what run would do, as commands.
function M.plan(key, because)
  local c = S.config()
  local st, why, ct = M.state(c, key)
  if because then st, why = "replace", because end
  if st == "stopped" then
    lib.note("deploy: %s; its image is current, so it is started", why)
    return lib.plan(lib.cmd { lib.docker_cli(), "start", ct.Id:sub(1, 12) })
  end
  -- a dry run of a cycle that removes the deployment first removed nothing: no old one to replace or keep the home of
  local old = not unkeyed.sindri_deploy_removed and container(c)
  if unkeyed.sindri_deploy_removed then
    lib.note("deploy: a new deployment, with a new home volume (the old ones are removed above)")
  else
    lib.note("deploy: %s%s", why or "", old and ("; the container is replaced, its home volume " .. volume(c)
      .. " is kept") or "")
  end
  if old then
    lib.plan(lib.cmd { lib.docker_cli(), "rename", c.name, aside(c, old) })
    lib.plan(lib.cmd { lib.docker_cli(), "stop", aside(c, old) })
  end
  local prog = M.cli()
  if prog then
    local argv = { prog, "deploy", "--config", c.path }
    if unkeyed.sindri_deploy_force then argv[#argv + 1] = "-f" end
    lib.plan(lib.cmd(argv))
  else
    lib.plan(lib.cmd(create_argv(c, key, docker.inspect_image(M.image_ref(c)))))
  end
  -- only once the new one runs; when it cannot, the old container gets its name back instead
  if old then lib.plan(lib.cmd { lib.docker_cli(), "rm", "-f", aside(c, old) }) end
end

task "deploy" {
  desc = "Deploy the dev container from CONFIG (sindri deploy): left running when current, started when only "
    .. "stopped, else replaced; the home volume is kept",
  alias = { "v3-deploy" }, group = "deploy",
  values = cfg and { config = cfg.hash } or nil,
  vars = { "CONFIG", "SINDRI_CLI" },
  pool = "console",
  run = function(_, key) return sindri.deploy.run(key) end,
  -- current when the container runs the image it was made from and carries this key
  check = function(_, key)
    -- a dry run of a cycle that removes the deployment first removed nothing: what it removes is not current
    if unkeyed.sindri_deploy_removed then return false, "the deployment is removed above" end
    local st, why = sindri.deploy.state(sindri.config(), key)
    return st == "current", why
  end,
  plan = function(_, key) sindri.deploy.plan(key) end,
}

-- destroy: remove the container and the home volume (asking first when the volume exists, unless confirmed).
function M.destroy(opts)
  opts = opts or {}
  local c = S.config()
  local prog = M.cli()
  local has_volume = docker.inspect_volume(volume(c))
  local what = "destroy removes the container '" .. c.name .. "' and its home volume '" .. volume(c)
    .. "' (the files under /alt/home/developer)"
  if opts.dry then
    if has_volume and not opts.confirmed then lib.note("asks first: %s (FORCE=1 or --yes answers yes)", what) end
    if prog then return lib.plan(lib.cmd { prog, "destroy", "--config", c.path, "-f" }) end
    if container(c) then lib.plan(lib.cmd { lib.docker_cli(), "rm", "-f", c.name }) end
    if has_volume then lib.plan(lib.cmd { lib.docker_cli(), "volume", "rm", volume(c) }) end
    return
  end
  if has_volume and not opts.confirmed then lib.confirm(what) end
  if prog then
    sb.run { prog, "destroy", "--config", c.path, "-f" } -- as the make target: `|| true`
    return true
  end
  native(c)
  if container(c) then
    docker.stop(c.name, 10)
    assert(docker.rm(c.name, { force = true }))
    print("removed container " .. c.name)
  end
  if S.live then S.live.forget(c.name) end
  if has_volume then
    assert(docker.volume_rm(volume(c), { force = true }))
    print("removed volume " .. volume(c))
  end
  return true
end

task "destroy" {
  desc = "Destroy the deployment (sindri destroy -f): its container and home volume (asks first)",
  alias = { "v3-destroy" }, group = "deploy",
  always = true,
  run = function() return sindri.deploy.destroy() end,
  plan = function() sindri.deploy.destroy { dry = true } end,
}

local function connect_argv(c)
  local prog = M.cli()
  if prog then return { prog, "connect", "--config", c.path } end
  return { lib.docker_cli(), "exec", sb.tty() and "-it" or "-i", "-u", var("CONNECT_USER", "developer"), c.name, "sh",
    "-c", "command -v bash >/dev/null && exec bash -l || exec sh -l" }
end
M.connect_argv = connect_argv

task "connect" {
  desc = "Open a login shell in the deployment (sindri connect)",
  alias = { "v3-connect" }, group = "deploy",
  always = true,
  pool = "console",
  run = function() return (sb.run(sindri.deploy.connect_argv(sindri.config()))) end,
  plan = function() lib.plan(lib.cmd(sindri.deploy.connect_argv(sindri.config()))) end,
}

S.deploy = M
return M
