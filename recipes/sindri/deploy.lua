-- sindri.deploy: deploy, destroy and connect for the docker provider, through the `sindri` CLI when it is on
-- PATH (as the guide's make targets do) and natively through the Docker Engine API otherwise.
local S = sindri
local lib = S.lib

local CONFIG = var("CONFIG")
local cfg -- parsed once, when CONFIG is given: a bad file stops the run before anything is destroyed
if CONFIG then cfg = sindri_config(CONFIG) end

-- S.config: the parsed CONFIG, or a clear error for targets that need one.
function S.config()
  if not cfg then error("this target needs a config: add CONFIG=sindri.yaml (or --config FILE)", 0) end
  return cfg
end

-- the sindri CLI, unless SINDRI_CLI=none (or another path) says otherwise
local function cli()
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

-- from source, the deployment runs the image built from the ref, whatever image the config names
local function image_ref(c) return (not S.source and c.image) or S.fast_tags[1] end

-- container: the deployment's container, or nil.
local function container(c)
  return docker.inspect_container(c.name) or nil
end

local function remove(c, with_volume)
  local ct = container(c)
  if ct then
    docker.stop(c.name, 10)
    assert(docker.rm(c.name, { force = true }))
    print("removed container " .. c.name)
  end
  if with_volume and docker.inspect_volume(c.name .. "_home") then
    assert(docker.volume_rm(c.name .. "_home", { force = true }))
    print("removed volume " .. c.name .. "_home")
  end
end

task "deploy" {
  desc = "Deploy the dev container from CONFIG (sindri deploy), left running when current",
  alias = { "v3-deploy" },
  deps = { S.fast_task },
  values = cfg and { config = cfg.hash } or nil,
  vars = { "CONFIG", "SINDRI_CLI" },
  pool = "console",
  run = function(_, key)
    local c = S.config()
    local prog = cli()
    if prog then
      local ok, rc = sb.run { prog, "deploy", "--config", c.path }
      if not ok then error("sindri deploy failed with exit status " .. rc, 0) end
      return true
    end
    native(c)
    local img = docker.inspect_image(image_ref(c))
    if not img then error("deploy: no image '" .. image_ref(c) .. "'; build it first (" .. S.fast_task .. ")", 0) end
    remove(c, false) -- replace the container, keep the home volume
    docker.volume_create(c.name .. "_home", { ["org.sindri-build.workspace"] = c.name })
    local id = assert(docker.create_container {
      name = c.name,
      image = image_ref(c),
      labels = {
        ["org.sindri-build.key"] = key,
        ["org.sindri-build.image"] = img.Id,
        ["org.sindri-build.config"] = c.hash,
        ["org.sindri-build.workspace"] = c.name,
      },
      binds = { c.name .. "_home:/alt/home/developer" },
      tty = true, stdin_open = true,
    })
    assert(docker.start(id))
    print(string.format("deployed %s from %s", c.name, image_ref(c)))
    return true
  end,
  -- current when the container runs the image it was made from and carries this key; every cycle asks, so from
  -- the container's summary (a list filtered to its exact name), a fifth the size of an inspect
  check = function(_, key)
    local c = S.config()
    local list = docker.containers { "name=^/" .. c.name:gsub("%.", "\\.") .. "$" }
    local ct = list and list[1]
    if not ct then return false, "container '" .. c.name .. "' does not exist" end
    if ct.State ~= "running" then return false, "container '" .. c.name .. "' is not running" end
    local img = docker.inspect_image(image_ref(c))
    if not img or img.Id ~= ct.ImageID then return false, "container '" .. c.name .. "' runs an older image" end
    local labels = ct.Labels or {}
    if not cli() and labels["org.sindri-build.key"] ~= key then
      return false, "container '" .. c.name .. "' was deployed from other inputs"
    end
    return true
  end,
}

task "destroy" {
  desc = "Destroy the deployment (sindri destroy -f): its container and home volume",
  alias = { "v3-destroy" },
  always = true,
  run = function()
    local c = S.config()
    local prog = cli()
    if prog then
      sb.run { prog, "destroy", "--config", c.path, "-f" } -- as the make target: `|| true`
      return true
    end
    native(c)
    remove(c, true)
    return true
  end,
}

task "connect" {
  desc = "Open a login shell in the deployment (sindri connect)",
  alias = { "v3-connect" },
  always = true,
  pool = "console",
  run = function()
    local c = S.config()
    local prog = cli()
    if prog then return (sb.run { prog, "connect", "--config", c.path }) end
    local docker_cli = os.getenv("DOCKER") or (sb.exists("/usr/bin/docker") and "/usr/bin/docker" or "docker")
    local tty = sb.tty() and "-it" or "-i"
    return (sb.run { docker_cli, "exec", tty, "-u", var("CONNECT_USER", "developer"), c.name, "sh", "-c",
      "command -v bash >/dev/null && exec bash -l || exec sh -l" })
  end,
}
