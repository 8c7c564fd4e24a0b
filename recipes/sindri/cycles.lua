-- sindri.cycles: the development cycles, and the vocabulary to write more.
--
--   cycle "name" {
--     desc = "...", time = "3-5 min", use_when = "Daily dev",
--     confirm = false,            -- ask first, listing what goes (nuclear)
--     clear   = "soft",           -- cache level: soft, medium, hard, nuke
--     remove  = "dev",            -- images to remove: "dev" (this distro's), "non-base" or "all" (see below)
--     build   = { "docker-build-dev" },
--     install = true, deploy = true,
--     home    = "keep",           -- "remove": the home volume goes with the old deployment (asks)
--     rebuild = false,            -- true: clear, remove and rebuild even when nothing changed
--     connect = false,            -- open a shell in the deployment at the end (on a terminal)
--     base    = nil,              -- "local": the dev image is built on the local base whatever BASE says
--     sync    = nil,              -- live rules: { { from = "v3/extensions/", to = "/opt/sindri/extensions/" } }
--     after_sync = nil,           -- a command run in the container after a sync (argv list, or a string for sh -c)
--   }
--
-- With sync, when only files the rules cover changed since the image the deployment runs was built, they are
-- copied into the running container (deletions too) and nothing is built or replaced (sindri.live says how the
-- container is then recorded); any other change takes the full path below.
--
-- Never lose work: a cycle first makes every image it needs (build or pull), and installs the CLI, and only then
-- replaces the deployment; a failed build, pull or install, or an engine that does not answer, leaves the running
-- container and its home volume exactly as they were; so does a replacement container that cannot start
-- (sindri.deploy). Without `rebuild`, the cache level is cleared only when an
-- image is rebuilt, and a cycle whose images, install and deployment are current does nothing.
-- A deployment that only stopped is started, not replaced.
-- `remove` goes before the build, except the dev images when every image built is a no-cache dev image (cycle-clean):
-- a build without cache does not need the old ones gone, so their IDs are noted before it, and only once the
-- build and install succeeded are those the build did not take over removed (sindri.cache.remove_replaced), just
-- before the deployment; a failed build or install leaves them tagged as they were.
local S = sindri
local lib = S.lib
local cache = require "sindri.cache"

local base = require "sindri.base"
local live = require "sindri.live"

local fields = { desc = 1, time = 1, use_when = 1, confirm = 1, clear = 1, remove = 1, build = 1, install = 1,
                 deploy = 1, rebuild = 1, alias = 1, home = 1, connect = 1, base = 1, sync = 1, after_sync = 1 }

local cycles = {}
S.cycles = cycles

-- resolve: the task a build step names (a dev target is the git ref's with --from-source).
local function resolve(step)
  local name = S.names[step] or step
  return S.source and S.source.instead_of[name] or name
end

-- reasons: a dry run's comment lines saying which steps would run and why.
local function reasons(steps)
  local stale = sb.outdated(steps)
  local names = {}
  for n in pairs(stale) do names[#names + 1] = n end
  table.sort(names)
  for _, n in ipairs(names) do
    lib.note("  %s would run: %s", n, (stale[n]:gsub("\n$", ""):gsub("\n", "; ")))
  end
  return stale
end

-- what_goes: the images, volume and caches a confirmation names.
local function what_goes(c, cfg)
  local parts = {}
  if c.clear == "nuke" or c.remove == "all" then parts[#parts + 1] = "every sindri image, the base included" end
  if c.clear == "hard" or c.remove == "non-base" then parts[#parts + 1] = "every sindri image but the base" end
  if c.clear == "nuke" or c.clear == "hard" then parts[#parts + 1] = "all BuildKit cache and cargo artifacts" end
  if c.home == "remove" and cfg then
    parts[#parts + 1] = "the deployment '" .. cfg.name .. "' with its home volume '" .. cfg.name .. "_home'"
  end
  return table.concat(parts, ", ")
end

-- body: the cycle, run (dry false) or printed as the commands it would run (dry true), in the same order.
local function body(name, c, dry)
  local cfg = c.deploy and S.config() -- a missing or bad CONFIG stops here, before anything is touched
  local images = {}
  for _, b in ipairs(c.build or {}) do images[#images + 1] = resolve(b) end
  if dry then
    lib.note("%s (DISTRO=%s%s)", name, S.distro, cfg and (", CONFIG=" .. cfg.path) or "")
  else
    local ok, err = docker.ping()
    if not ok then
      error(name .. ": the Docker engine does not answer (" .. tostring(err) .. "); nothing was changed: start it "
        .. "and run again", 0)
    end
  end
  if c.confirm then
    local goes = what_goes(c, cfg)
    if dry then
      lib.note("asks first: %s removes %s (FORCE=1 or --yes answers yes)", name, goes)
    else
      io.stdout:write(name, " removes ", goes, ":\n")
      for _, img in ipairs(cache.sindri_images()) do
        io.stdout:write("  ", table.concat(img.RepoTags or { "<untagged>" }, ", "), " (", img.Id:sub(8, 19), ", ",
          lib.human(img.Size), ")\n")
      end
      io.stdout:flush() -- the list before the question, or before the refusal without a terminal (stderr)
      if not lib.confirm(name .. " removes " .. goes, { cancel_ok = true }) then
        print(name .. ": cancelled; nothing was done")
        return true
      end
    end
  end
  -- 0. live: only synced files changed, so they go into the running container and nothing else is done
  if c.sync and live.sync(name, c, cfg, images[1], dry) then return true end
  local ran = 0
  -- the old dev images a no-cache rebuild replaces: noted now, removed only once it succeeded (see above)
  local later, taken = c.rebuild and c.remove == "dev" and #images > 0, {}
  for _, image in ipairs(images) do
    local dev = S.images.devs[image]
    later = later and dev and dev.nocache
    for _, tag in ipairs(dev and dev.tags or {}) do taken[#taken + 1] = tag end
  end
  local old = later and cache.pick(c.remove) or nil
  -- 1. the clears that make a clean build (before it: caches only, the deployment is not touched)
  if c.rebuild then
    if dry and (c.clear or (c.remove and not old)) then
      local what = {}
      if c.clear then what[#what + 1] = "clear the " .. c.clear .. " cache level" end
      if c.remove and not old then what[#what + 1] = "remove the " .. c.remove .. " images" end
      lib.note("1. %s", table.concat(what, ", "))
    end
    if c.clear then cache.clear(c.clear, { confirmed = c.confirm, dry = dry }) end
    if c.remove and not old then cache.remove_images(c.remove, dry) end
  end
  -- 2. every image the deployment needs, built or pulled; a failure stops here
  if #images > 0 then
    if dry then
      lib.note("2. the images (a failed build or pull stops the cycle here: the deployment is left as it is)")
      reasons(images)
    end
    -- one after the other: the dev image picks its base once the base before it is built
    unkeyed.sindri_base_forced = c.base == "local" and (name .. " builds on the base it builds") or nil
    local removed = c.rebuild and (c.clear == "nuke" or c.remove == "all")
    for _, image in ipairs(images) do
      if dry and removed and S.images.plans[image] and next(sb.outdated { image }) == nil then
        -- a dry run removed nothing, so the image still looks current: say what the run builds after the clear
        lib.note("  %s would run: its image goes with the clear above", image)
        S.images.plans[image](image, sb.key(image))
        ran = ran + 1
      else
        local ok, rc, n = sb.build { image }
        if not ok then
          unkeyed.sindri_base_forced = nil
          error(string.format("%s: a build failed (exit status %d); the deployment%s and its home volume were "
            .. "left as they were%s", name, rc, cfg and (" '" .. cfg.name .. "'") or "",
            old and ", and so were the old " .. c.remove .. " images" or ""), 0)
        end
        ran = ran + math.max(n, 0)
      end
    end
    unkeyed.sindri_base_forced = nil
  end
  -- 3. without rebuild, the cache level is cleared only when an image was rebuilt (what install compiles is in
  -- the dev image, so a reinstall comes with a rebuild)
  if not c.rebuild and c.clear and ran > 0 then
    if dry then lib.note("3. clear the %s cache level (an image is rebuilt)", c.clear) end
    cache.clear(c.clear, { confirmed = c.confirm, dry = dry })
  end
  if c.install then
    if dry then
      lib.note("4. install the CLI")
      reasons { "install" }
    end
    local ok, rc, n = sb.build { "install" }
    if not ok then
      error(string.format("%s: install failed (exit status %d); the deployment%s was left as it was%s", name, rc,
        cfg and (" '" .. cfg.name .. "'") or "", old and ", and the old " .. c.remove .. " images were kept" or ""), 0)
    end
    ran = ran + math.max(n, 0)
  end
  -- 4b. the new images are built and the CLI installed: the old dev images the build did not take over go
  if old then
    if dry then lib.note("4b. remove the old %s images the new build did not take over (noted before it)", c.remove) end
    cache.remove_replaced(old, taken, dry)
  end
  -- 5. only now the deployment: removed with its home volume where the cycle says so, then deployed
  if c.deploy then
    local ref = sindri.deploy.image_ref(cfg)
    local built = false
    for _, tag in ipairs(S.dev_tags) do built = built or tag == ref or tag == ref .. ":latest" end
    if not built and #images > 0 then
      local say = dry and lib.note or function(...) lib.say(...) end
      say("%s: %s deploys %s, which this cycle does not build (it builds %s); to deploy what it builds, set "
        .. "deployment.image to %s", name, cfg.path, ref, S.dev_tags[1], S.dev_tags[1])
    end
    if dry then
      lib.note("5. the deployment")
      -- (a cycle that removes the deployment plans the new one once, after the removal below)
      if next(reasons { "deploy" }) == nil and ran > 0 and c.home ~= "remove" then
        -- a dry run built nothing, so the deployment still looks current: its image is rebuilt above
        lib.note("  deploy would run: its image is rebuilt above")
        sindri.deploy.plan(sb.key("deploy"), "its image is rebuilt above")
      end
    end
    if c.home == "remove" then
      if dry then lib.note("the home volume goes too (%s)", name) end
      sindri.deploy.destroy { confirmed = true, dry = dry }
      unkeyed.sindri_deploy_force = true
      -- a dry run removed nothing: the deploy's plan must not replace (or keep the home of) what is gone above
      unkeyed.sindri_deploy_removed = dry or nil
    end
    local ok, rc, n = sb.build { "deploy" }
    unkeyed.sindri_deploy_removed, unkeyed.sindri_deploy_force = nil, nil
    if not ok then error(string.format("%s: deploy failed (exit status %d)", name, rc), 0) end
    ran = ran + math.max(n, 0)
    if c.connect then
      if dry then
        lib.note("6. connect (on a terminal)")
        lib.plan(lib.cmd(sindri.deploy.connect_argv(cfg)))
      elseif sb.tty() then
        sb.build { "connect" }
      else
        lib.say("%s: connect with: sindri-build connect CONFIG=%s", name, cfg.path)
      end
    end
  end
  -- a dry run says it too, as a comment, so that its numbered steps with nothing under them are not a puzzle
  if ran == 0 then
    local say = dry and lib.note or function(...) lib.say(...) end
    say("%s: nothing changed; %s", name, cfg and ("deployment '" .. cfg.name .. "' is current and left running")
      or "everything is current")
  end
  return true
end

function cycle(name)
  return function(c)
    for k in pairs(c) do
      if not fields[k] then error("cycle '" .. name .. "': unknown field '" .. tostring(k) .. "'", 2) end
    end
    if c.clear and not cache.levels[c.clear] then
      error("cycle '" .. name .. "': unknown cache level '" .. c.clear .. "' (soft, medium, hard, nuke)", 2)
    end
    if c.remove and not cache.select[c.remove] then
      error("cycle '" .. name .. "': unknown image set '" .. c.remove .. "' (dev, non-base, all)", 2)
    end
    if c.sync then
      live.check_rules(name, c.sync)
      if not c.deploy or c.rebuild or c.home == "remove" or #(c.build or {}) ~= 1 then
        error("cycle '" .. name .. "': sync needs deploy = true and one image in build, and no rebuild or home = "
          .. "\"remove\"", 2)
      end
    end
    if c.after_sync and not c.sync then error("cycle '" .. name .. "': after_sync needs sync", 2) end
    if c.home and c.home ~= "keep" and c.home ~= "remove" then
      error("cycle '" .. name .. "': home must be \"keep\" or \"remove\"", 2)
    end
    cycles[name] = c
    task(name) {
      desc = (c.desc or name) .. (c.use_when and (" (" .. c.use_when .. ")") or ""),
      group = "cycle", time = c.time,
      alias = c.alias or { "v3-" .. name },
      always = true,
      run = function() return sindri.cycle_body(name, false) end,
      plan = function() sindri.cycle_body(name, true) end,
    }
  end
end

function S.cycle_body(name, dry) return body(name, cycles[name], dry) end

cycle "cycle-fast" {
  desc = "Fast cycle (recommended): build, soft clear, install, deploy; keeps the home volume",
  time = "3-5 min, incremental 1-2 min", use_when = "daily dev",
  clear = "soft", build = { "docker-build-dev" }, install = true, deploy = true, home = "keep",
}

cycle "cycle-clean" {
  desc = "Clean rebuild: medium clear, build without cache, install, then remove this distro's old dev images, deploy; "
    .. "keeps the home volume", time = "10-15 min", use_when = "things break",
  clear = "medium", remove = "dev", build = { "docker-build-fast-nocache" }, install = true, deploy = true,
  home = "keep", rebuild = true,
}

cycle "cycle-nuclear" {
  desc = "Full rebuild: every sindri image and cache, the base built here, install, deploy afresh with a new home "
    .. "volume; asks first", time = "40-50 min", use_when = "rarely",
  alias = { "v3-cycle-nuclear", "cycle", "v3-cycle" },
  -- the dev image without cache: the running container keeps its image through the nuke, and the same inputs
  -- would find it current
  confirm = true, clear = "nuke", build = { S.base_task, "docker-build-fast-nocache" }, base = "local",
  install = true, deploy = true, home = "remove", rebuild = true, connect = true,
}

cycle "cycle-live" {
  desc = "Live cycle: changed extensions, registry.yaml and v3/docker scripts and config are copied into the running "
    .. "deployment, nothing built; any other change builds and redeploys as cycle-fast",
  time = "about 1 s; a rebuild as cycle-fast", use_when = "editing extensions, scripts or config",
  clear = "soft", build = { "docker-build-dev" }, deploy = true, home = "keep",
  -- where Dockerfile.dev puts each tree; what cargo compiles (crates, Cargo files, profiles.yaml, embedded,
  -- schemas) is not here, so a change to it rebuilds the image
  sync = {
    { from = S.v3 .. "/extensions/", to = "/opt/sindri/extensions/" },
    { from = S.v3 .. "/registry.yaml", to = "/opt/sindri/registry.yaml" },
    { from = S.v3 .. "/docker/scripts/", to = "/docker/scripts/", mode = "0755" },
    { from = S.v3 .. "/docker/config/", to = "/docker/config/" },
    { from = S.v3 .. "/docker/templates/", to = "/docker/templates/" },
  },
}
