-- sindri.images: the Makefile's image targets, per distro: the base (Dockerfile.base, context v3/), the dev image
-- (Dockerfile.dev, context the repository root) on the base sindri.base picks, the release image (Dockerfile), and
-- their -all, -nocache and alias names. Every image is built only when what it reads changed.
local S = sindri
local lib = S.lib
local base = require "sindri.base"
local M = {}
local V3 = S.v3

-- plan_for: the plan function of an image task: the docker build line a person could paste.
local function plan_for(spec)
  return function(name, key)
    local argv = { lib.docker_cli(), "build", "-f", spec.dockerfile, env = "DOCKER_BUILDKIT=1" }
    local names = {}
    for k in pairs(spec.build_args) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
      argv[#argv + 1] = "--build-arg"
      argv[#argv + 1] = k .. "=" .. spec.build_args[k]
    end
    for _, l in ipairs { "org.sindri-build.key=" .. key, "org.sindri-build.task=" .. name } do
      argv[#argv + 1] = "--label"
      argv[#argv + 1] = l
    end
    for _, tag in ipairs(spec.tags) do
      argv[#argv + 1] = "-t"
      argv[#argv + 1] = tag
    end
    if spec.no_cache then argv[#argv + 1] = "--no-cache" end
    argv[#argv + 1] = spec.context
    if spec.remote_cache then
      lib.note("a run pulls %s:%s-%s instead when the remote cache has it", spec.remote_cache, name, key)
    end
    lib.plan(lib.cmd(argv))
  end
end

-- image_task: an image task with its plan; S.names learns its names, M.plans its plan.
M.plans = {}
local function image_task(name, spec)
  spec.plan = plan_for(spec)
  M.plans[name] = spec.plan
  image(name)(spec)
  S.names[name] = name
  for _, a in ipairs(spec.alias or {}) do S.names[a] = name end
end

-- names: the task's own v3- name, and the unsuffixed names when d is this run's DISTRO.
local function names(d, own, plain)
  local out = { "v3-" .. own }
  if d == S.distro then
    for _, p in ipairs(plain) do
      out[#out + 1] = p
      out[#out + 1] = "v3-" .. p
    end
  end
  return out
end

local function base_args(d)
  local a = { DISTRO = d }
  for k, v in pairs(S.pins) do a[k] = v end
  return a
end

-- The dev targets: name -> { d = distro, nocache = bool, dockerfile =, context =, tags = }. Each is a task that
-- picks the base when it runs and then builds one of two image tasks, "<name>@local-base" (on the local base,
-- which it depends on) or "<name>@BASE_IMAGE" (on the published or given base), so that the key of the image
-- names the base it was built on and a switch of base rebuilds.
M.devs = {}

local function variant(name, on) return name .. (on == "local" and "@local-base" or "@BASE_IMAGE") end
M.variant = variant

-- declare_dev: a dev target and its two variants. Its functions read the global `sindri` at run time: what a run
-- function captures is part of its key, and only the variants' keys should change with the inputs.
function M.declare_dev(name, o)
  local t = S.d[o.d]
  local mine = base.own(S.base_image_given)
  o.name = name
  M.devs[name] = o
  image_task(variant(name, "local"), {
    desc = "(inside " .. name .. ") on the local base " .. t.base_tags[2],
    deps = { t.base_task },
    dockerfile = o.dockerfile, context = o.context,
    tags = o.tags, no_cache = o.nocache,
    build_args = { DISTRO = o.d, BASE_IMAGE = t.base_tags[2] },
  })
  image_task(variant(name, "published"), {
    desc = "(inside " .. name .. ") on BASE_IMAGE " .. t.published,
    deps = mine and { S.d[mine].base_task } or nil,
    dockerfile = o.dockerfile, context = o.context,
    tags = o.tags, no_cache = o.nocache,
    build_args = { DISTRO = o.d, BASE_IMAGE = t.published },
  })
  task(name) {
    desc = o.desc, alias = o.alias, group = o.group, time = o.time,
    run = function() return sindri.images.build_dev(name) end,
    -- current when the base a run would pick is known without asking a registry, and the image on it is current
    check = not o.nocache and function() return sindri.images.dev_current(name) end or nil,
    always = o.nocache or nil,
    plan = function() sindri.images.plan_dev(name) end,
    explain = function() return sindri.images.explain_dev(name) end,
  }
  S.names[name] = name
  for _, a in ipairs(o.alias or {}) do S.names[a] = name end
end

-- dev_current: the check of a dev target, read-only and offline.
function M.dev_current(name)
  local o = M.devs[name]
  -- the common case first: the local base and the image on it are current, which is what auto picks then
  if base.mode == "auto" and not S.base_image_given and not unkeyed.sindri_base_forced and next(sb.outdated { variant(name, "local") }) == nil then
    return true
  end
  local c = base.pick(o.d, false)
  if c.ask then return false, "the base is " .. c.ref .. " if its registry still has it: a run asks" end
  local stale = sb.outdated { variant(name, c.on) }
  if next(stale) == nil then return true end
  local why = {}
  for task, w in pairs(stale) do why[#why + 1] = task .. ": " .. w:gsub("\n$", ""):gsub("\n", "; ") end
  table.sort(why)
  return false, table.concat(why, "; ")
end

-- build_dev: pick the base, say which and why, pull it when needed, build the dev image on it.
function M.build_dev(name)
  local o = M.devs[name]
  local d = o.d
  local c = base.pick(d, true)
  lib.say("%s: %s", name, base.describe(c, true))
  if c.fail then
    error(base.hints(d, string.format("%s: cannot use the base %s: %s", name, c.ref, c.fail)), 0)
  end
  if c.pull then
    local function for_distro(all)
      if all and all["sindri.base.distro"] and all["sindri.base.distro"] ~= d then
        error(string.format("%s: the published base %s is for %s, not %s (its label sindri.base.distro); give the "
          .. "right one with BASE_IMAGE=, or build it here with BASE=local", name, c.ref, all["sindri.base.distro"], d), 0)
      end
    end
    -- the labels come from the registry before the pull: a base for another distro is refused without pulling it
    local labels, all = base.labels(c.ref, true)
    for_distro(all)
    local ok = sb.run { lib.docker_cli(), "pull", c.ref }
    if not ok then
      error(base.hints(d, string.format("%s: cannot pull the base image '%s'", name, c.ref)), 0)
    end
    if not all then
      labels, all = base.labels(c.ref)
      for_distro(all)
    end
    lib.say("%s: pulled %s%s", name, c.ref, labels and (" (" .. labels .. ")") or "")
  end
  local v = variant(name, c.on)
  local ok, rc = sb.build { v }
  if not ok then
    local absent = base.absent_bases(o.dockerfile, { DISTRO = d, BASE_IMAGE = c.ref })
    if c.on == "local" then
      for _, ref in ipairs(base.absent_bases(S.v3 .. "/Dockerfile.base", base_args(d))) do absent[#absent + 1] = ref end
    end
    if #absent > 0 then
      error(base.hints(d, string.format("%s: the build needs images this engine does not have and could not pull: %s",
        name, table.concat(absent, ", "))), 0)
    end
    error(string.format("%s: the build of %s failed (exit status %d)", name, v, rc), 0)
  end
  return true
end

-- plan_dev: what a run of the dev target would do, without asking any registry.
function M.plan_dev(name)
  local o = M.devs[name]
  local c = base.pick(o.d, false)
  lib.note("%s: %s", name, base.describe(c))
  if c.pull then lib.plan(lib.cmd { lib.docker_cli(), "pull", c.ref }) end
  if c.ask then lib.note("(if the registry does not have it, a run builds on the local base instead)") end
  local absent = {}
  for _, ref in ipairs(base.absent_bases(o.dockerfile, { DISTRO = o.d, BASE_IMAGE = c.ref })) do
    if ref ~= c.ref then absent[#absent + 1] = ref end
  end
  if #absent > 0 then lib.note("the build pulls what this engine lacks: %s", table.concat(absent, ", ")) end
  sb.build { variant(name, c.on) }
end

-- explain_dev: for -t explain of a current dev target, the base it is built on and why, and whether that base is
-- current: what a run would do about it (nothing, build it, pull it).
function M.explain_dev(name)
  local o = M.devs[name]
  local c = base.pick(o.d, false)
  local lines = { base.describe(c) }
  local maker = c.on == "local" and o.d or base.own(c.ref)
  if maker then
    local task = S.d[maker].base_task
    local why = sb.outdated { task }[task]
    lines[2] = task .. (why and (" would build: " .. why:gsub("\n$", ""):gsub("\n", "; ")) or " is current: a run builds "
      .. "no base")
  elseif c.pull then
    lines[2] = "a run pulls " .. c.ref
  else
    lines[2] = "the engine's copy of " .. c.ref .. " is used: a run pulls no base"
  end
  return table.concat(lines, "\n")
end

for _, d in ipairs(S.distros) do
  local t = S.d[d]
  image_task(t.base_task, {
    desc = "Build the " .. d .. " base image, " .. t.base_tags[1] .. " (rare: Rust or distro version change)",
    group = d == S.distro and "build" or nil, time = "15-20 min",
    alias = names(d, t.base_task, { "docker-build-base" }),
    dockerfile = V3 .. "/Dockerfile.base", context = V3,
    tags = t.base_tags,
    build_args = base_args(d),
    -- CI: the base is keyed by hash in a registry (REMOTE_CACHE=ghcr.io/pacphi/sindri), pulled instead of rebuilt
    remote_cache = var("REMOTE_CACHE"),
  })
  local plain = { "docker-build-dev", "docker-build-fast" }
  if not S.from_source then plain[#plain + 1] = "docker-build-from-source" end
  M.declare_dev(t.dev_task, {
    d = d, dockerfile = V3 .. "/Dockerfile.dev", context = ".", tags = t.dev_tags,
    desc = "Build the " .. d .. " dev image " .. t.dev_tags[1] .. " from the working tree on the base BASE picks "
      .. "(daily dev)" .. (d == S.distro and not S.from_source and "; docker-build-from-source is the "
      .. "Makefile's name for it (the guide's Path B, a git ref, is --from-source)" or ""),
    alias = names(d, t.dev_task, plain),
    group = d == S.distro and "build" or nil, time = "3-5 min",
  })
  local rel = d == S.distro and { "docker-build", "docker-build-from-binary" } or {}
  if d == "ubuntu" then rel[#rel + 1] = "docker-build-latest" end -- the Makefile's v3-docker-build-latest
  local ralias = names(d, t.release_task, d == S.distro and rel or {})
  if d == "ubuntu" and d ~= S.distro then
    ralias[#ralias + 1] = "docker-build-latest"
    ralias[#ralias + 1] = "v3-docker-build-latest"
  end
  image_task(t.release_task, {
    desc = "Build the " .. d .. " release image " .. t.release_tags[1] .. " (v3/Dockerfile)",
    alias = ralias, group = d == S.distro and "build" or nil,
    dockerfile = V3 .. "/Dockerfile", context = ".",
    tags = t.release_tags,
    build_args = base_args(d),
  })
end
M.declare_dev("docker-build-fast-nocache", {
  d = S.distro, nocache = true, dockerfile = V3 .. "/Dockerfile.dev", context = ".", tags = S.dev_tags,
  desc = "Build the " .. S.distro .. " dev image without cache (cargo issues)", group = "build", time = "5-8 min",
  alias = S.from_source and { "v3-docker-build-fast-nocache" }
    or { "v3-docker-build-fast-nocache", "docker-build-from-source-nocache", "v3-docker-build-from-source-nocache" },
})
image_task("docker-build-nocache", {
  desc = "Build the " .. S.distro .. " release image without cache",
  alias = { "v3-docker-build-nocache" }, group = "build",
  dockerfile = V3 .. "/Dockerfile", context = ".",
  tags = S.d[S.distro].release_tags, no_cache = true,
  build_args = base_args(S.distro),
})

-- the -all targets build the three distros
local function all(name, desc, field)
  local deps = {}
  for _, d in ipairs(S.distros) do deps[#deps + 1] = S.d[d][field] end
  task(name) { desc = desc, alias = { "v3-" .. name }, deps = deps, group = "build" }
  S.names[name], S.names["v3-" .. name] = name, name
end
all("docker-build-base-all", "Build the base images of all three distros", "base_task")
all("docker-build-dev-all", "Build the dev images of all three distros", "dev_task")
all("docker-build-all", "Build the release images of all three distros", "release_task")

M.base_args = base_args
S.images = M
return M
