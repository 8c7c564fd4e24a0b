-- sindri.cache: the guide's and the Makefile's cache levels, status and maintenance, with what each keeps and
-- clears. Every clear takes `dry`: true prints the commands it would run (a dry run's plan), false runs them.
local S = sindri
local lib = S.lib
local M = {}

local function xdg_cache()
  local x = os.getenv("XDG_CACHE_HOME")
  return (x and x ~= "") and x or ((os.getenv("HOME") or "") .. "/.cache")
end

-- repo_caches: the from-source clone caches (Linux and macOS places).
function M.repo_caches()
  return { xdg_cache() .. "/sindri/repos", (os.getenv("HOME") or "") .. "/Library/Caches/sindri/repos" }
end

local function rm_rf(path, dry)
  if not sb.exists(path) then return end
  if dry then return lib.plan(lib.cmd { "rm", "-rf", path }) end
  local ok = sb.run { "rm", "-rf", path }
  if not ok then error("cannot remove '" .. path .. "'", 0) end
  print("removed " .. path)
end

-- clear_repos: remove the clone caches, but not the one this run builds from (it was fetched and checked out
-- cleanly while the recipe loaded: nothing in it is stale).
local function clear_repos(dry)
  for _, d in ipairs(M.repo_caches()) do
    if S.source and S.source.dir:sub(1, #d + 1) == d .. "/" then
      if not dry then print("kept " .. d .. ": this run builds from its clone of " .. S.source.url) end
    else
      rm_rf(d, dry)
    end
  end
end

local function cargo_clean(args, dry)
  if not sb.exists(S.v3 .. "/target") then return end
  local argv = { "cargo", "clean", cwd = S.v3 }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  if dry then return lib.plan(lib.cmd(argv)) end
  local ok, rc = sb.run(argv)
  if not ok then error("cargo clean failed with exit status " .. rc, 0) end
end

-- is_base: an image a base task made (our task label), or one Sindri's Dockerfile.base labels as a base.
local base_tasks = {}
for _, d in ipairs(S.distros) do base_tasks[S.d[d].base_task] = true end
function M.is_base(img)
  local labels = img.Labels or {}
  return base_tasks[labels["org.sindri-build.task"] or ""] or labels["sindri.type"] == "base"
end

-- sindri_images: every image of the sindri repository (IMAGE_REPO), whoever built it.
function M.sindri_images()
  return assert(docker.images { "reference=" .. S.repo })
end

-- in_use: image ID -> name of a running container that uses it.
local function in_use()
  local used = {}
  for _, c in ipairs(docker.get("/containers/json") or {}) do
    used[c.ImageID] = (c.Names and c.Names[1] or c.Id):gsub("^/", "")
  end
  return used
end

local function tagged(img, pattern)
  for _, tag in ipairs(img.RepoTags or {}) do
    if tag:find(pattern) then return true end
  end
  return false
end

-- selectors: which images a level or a cycle removes.
local function esc(s) return (s:gsub("%p", "%%%0")) end
M.select = {
  ["non-base"] = function(img) return not M.is_base(img) end,
  all = function() return true end,
  -- the Makefile's v3-cache-clear-distro: every image for one distro (sindri:*$DISTRO*)
  distro = function(img)
    local task = (img.Labels or {})["org.sindri-build.task"] or ""
    return task:find("%-" .. esc(S.distro) .. "[@%-]") ~= nil or task:find("%-" .. esc(S.distro) .. "$") ~= nil
      or tagged(img, "^" .. esc(S.repo) .. ":.*" .. esc(S.distro))
  end,
  -- the Makefile's cycle-clean: the dev images of one distro (sindri:v3-$DISTRO*)
  dev = function(img)
    local task = (img.Labels or {})["org.sindri-build.task"] or ""
    return task:find("^" .. esc(S.d[S.distro].dev_task) .. "@") ~= nil or task:find("^docker%-build%-fast%-nocache@") ~= nil
      or tagged(img, "^" .. esc(S.repo) .. ":v3%-" .. esc(S.distro) .. "%-dev")
  end,
}

-- ours: the references of img in the project's repository (tags, then digests): removing exactly these removes
-- the image unless the user gave it a name of their own, which then keeps it (an image is never removed by id,
-- which would take every other name of it too). An untagged image is its id.
function M.ours(img)
  local refs, prefix = {}, S.repo
  for _, list in ipairs { img.RepoTags or {}, img.RepoDigests or {} } do
    for _, ref in ipairs(list) do
      local sep = ref:sub(#prefix + 1, #prefix + 1)
      if ref:sub(1, #prefix) == prefix and (sep == ":" or sep == "@") then refs[#refs + 1] = ref end
    end
  end
  if #refs == 0 and #(img.RepoTags or {}) == 0 then refs[1] = img.Id end
  return refs
end

-- rmi: remove the project's references of img (M.ours), or print the commands (dry). An engine error raises, or
-- with soft is said and the image kept.
function M.rmi(img, what, dry, soft)
  for _, ref in ipairs(M.ours(img)) do
    if dry then
      lib.plan(lib.cmd { lib.docker_cli(), "rmi", "-f", ref } .. "  # " .. what)
    else
      local ok, err = docker.rmi(ref, { force = true })
      if ok == nil and not soft then error("cannot remove image '" .. ref .. "': " .. tostring(err), 0) end
      if ok == nil then return print("kept " .. what .. ": " .. tostring(err)) end
    end
  end
  if not dry then print("removed " .. what) end
end

-- kept_in_use: say that image `name` stays, since running container `container` uses it (a plan note when dry).
local function kept_in_use(name, container, dry)
  local line = string.format("kept %s: it is used by container %s (destroy that deployment first)", name, container)
  if dry then lib.note("%s", line) else print(line) end
end

-- remove_images: the images a selector picks. An image a running container uses is kept (the engine refuses),
-- with a line that names the container.
function M.remove_images(which, dry)
  local n, used, pick = 0, in_use(), M.select[which]
  for _, img in ipairs(M.sindri_images()) do
    if pick(img) then
      local name = table.concat(img.RepoTags or { "<untagged>" }, ", ")
      if used[img.Id] then
        kept_in_use("image " .. name, used[img.Id], dry)
      else
        M.rmi(img, "image " .. name, dry)
        n = n + (dry and 0 or 1)
      end
    end
  end
  return n
end

-- pick: the IDs of the images a selector picks now (cycle-clean removes them once their replacements are built).
function M.pick(which)
  local ids, pick = {}, M.select[which]
  for _, img in ipairs(M.sindri_images()) do
    if pick(img) then ids[#ids + 1] = img.Id end
  end
  return ids
end

-- remove_replaced: after a build that tagged `taken`, remove the images `ids` (M.pick before it) it did not take
-- over: one a taken tag names now is kept (the build made that very image), and so is one a running container
-- uses; the others lose their names in the project's repository (M.rmi, so a name of the user's own keeps one).
-- dry: the commands, as after a build that moved every taken tag to a new image.
function M.remove_replaced(ids, taken, dry)
  local now, moved, used = {}, {}, in_use()
  for _, tag in ipairs(taken) do
    moved[tag] = true
    local img = not dry and docker.inspect_image(tag)
    if img then now[img.Id] = true end
  end
  for _, id in ipairs(ids) do
    local img = not now[id] and docker.inspect_image(id)
    if img then
      local left = {}
      for _, tag in ipairs(img.RepoTags or {}) do
        if not moved[tag] then left[#left + 1] = tag end
      end
      local rest = { Id = id, RepoTags = left, RepoDigests = img.RepoDigests }
      local name = "old image " .. id:sub(8, 19) .. (#left > 0 and (" (" .. table.concat(left, ", ") .. ")") or "")
      if used[id] then
        kept_in_use(name, used[id], dry)
      elseif #M.ours(rest) == 0 then
        local line = "kept " .. name .. ": it has no name in " .. S.repo .. " left, only names of your own"
        if dry then lib.note("%s", line) else print(line) end
      else
        M.rmi(rest, name, dry, true) -- a removal the engine refuses is said: the new images are built by now
      end
    end
  end
end

-- prune_where: prune the BuildKit records not in use for which prune(record, now) is true (by id, a few hundred
-- to a request: the engine reads all its records for each).
local function prune_where(prune, what, dry)
  local now, ids = os.time(), {}
  for _, rec in ipairs(assert(docker.build_cache())) do
    if not rec.in_use and prune(rec, now) then
      if dry then
        lib.plan(lib.cmd { lib.docker_cli(), "builder", "prune", "-f", "--filter", "id=" .. rec.id } .. "  # "
          .. lib.human(rec.size))
      end
      ids[#ids + 1] = rec.id
    end
  end
  -- a dry run that lists nothing says so, as the run's "pruned 0 ..." line does
  if dry and #ids == 0 then lib.note("no BuildKit cache record %s", what) end
  if dry then return end
  local freed, n = docker.prune_cache_ids(ids)
  if not freed then error("cannot prune the BuildKit cache: " .. tostring(n), 0) end
  print(string.format("pruned %d BuildKit cache records %s (%s)", n, what, lib.human(freed)))
end

-- prune_younger: BuildKit records created within the last `secs`, pruned by id (the guide's promise;
-- `docker buildx prune --filter until=1h` removes the OLDER ones instead).
function M.prune_younger(secs, dry)
  prune_where(function(rec, now) return rec.created and now - rec.created < secs end,
    "younger than " .. lib.age(secs), dry)
end

-- prune_older: BuildKit records not used for `secs` (the weekly maintenance).
function M.prune_older(secs, dry)
  prune_where(function(rec, now)
    local last = rec.last_used ~= 0 and rec.last_used or rec.created
    return last and now - last >= secs
  end, "unused for " .. lib.age(secs), dry)
end

local function prune_all(dry)
  if dry then return lib.plan(lib.cmd { lib.docker_cli(), "builder", "prune", "-a", "-f" }) end
  local freed = docker.prune_cache { all = true }
  print("pruned all BuildKit cache (" .. lib.human(freed or 0) .. ")")
end

-- clear_all: the hard and nuclear levels: repo caches, cargo, images ("non-base" or "all"), all BuildKit cache.
function M.clear_all(images, dry)
  clear_repos(dry)
  cargo_clean(nil, dry)
  M.remove_images(images, dry)
  prune_all(dry)
end

M.levels = {
  soft = function(dry)
    clear_repos(dry)
    cargo_clean({ "-p", "sindri" }, dry)
  end,
  medium = function(dry)
    clear_repos(dry)
    cargo_clean(nil, dry)
    M.prune_younger(lib.duration(var("CACHE_WINDOW", "1h")), dry)
  end,
  hard = function(dry) M.clear_all("non-base", dry) end,
  nuke = function(dry) M.clear_all("all", dry) end,
  distro = function(dry) M.remove_images("distro", dry) end,
}

local asks = {
  hard = "cache-clear-hard removes every sindri image but the base, all BuildKit cache and cargo artifacts",
  nuke = "cache-nuke removes every sindri image including the base, all BuildKit cache and cargo artifacts",
}

-- clear: run a level (asking first where it removes images), or print it (opts.dry).
function M.clear(level, opts)
  opts = opts or {}
  if opts.dry then
    if asks[level] and not opts.confirmed then lib.note("asks first: %s (FORCE=1 or --yes answers yes)", asks[level]) end
    return M.levels[level](true)
  end
  if asks[level] and not opts.confirmed then lib.confirm(asks[level]) end
  M.levels[level](false)
end

local function level_task(name, level, desc)
  task(name) {
    desc = desc, alias = { "v3-" .. name }, always = true, group = "cache",
    run = function() sindri.cache.clear(level) end,
    plan = function() sindri.cache.clear(level, { dry = true }) end,
  }
end
level_task("cache-clear-soft", "soft", "Clear incremental: cargo incremental + repo cache; keeps base, deps, BuildKit")
level_task("cache-clear-medium", "medium", "Clear cargo + BuildKit cache younger than CACHE_WINDOW (1h); keeps base, older cache")
level_task("cache-clear-hard", "hard", "Clear all except base (asks first)")
level_task("cache-nuke", "nuke", "Nuclear: clear everything including base (asks first)")
level_task("cache-clear-distro", "distro", "Remove the images of one distro (DISTRO=" .. S.distro .. "), bases included")

-- image_status: an image task's first tag: current, stale and why, or missing.
local function image_status(taskname, tag, label)
  local key = sb.key(taskname)
  local img = docker.inspect_image(tag)
  local st = { task = label or taskname, tag = tag, key = key }
  if not img then
    st.state = "missing"
    return st, nil
  end
  st.id, st.size = img.Id, img.Size
  local y, mo, d, h, mi, s = tostring(img.Created):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if y then
    st.created = os.time { year = y, month = mo, day = d, hour = h, min = mi, sec = s, isdst = false }
      - (os.time() - os.time(os.date("!*t")))
  end
  local have = img.Config and img.Config.Labels and img.Config.Labels["org.sindri-build.key"]
  if have == key then
    st.state = "current"
  else
    local why = sb.outdated { taskname }
    st.state = "stale"
    local w = why[taskname] or next(why) and select(2, next(why)) or "its label is not today's key"
    st.why = w:gsub("\n$", ""):gsub("\n", "; ")
  end
  return st, img
end

-- built_on: the base a dev image was built on: the variant that made it (its task label) names the kind, and the
-- base whose layers start the image's layers is the image itself.
local function built_on(img, dev_task)
  local task = img and img.Config and img.Config.Labels and img.Config.Labels["org.sindri-build.task"]
  if not task then return nil end
  local on = task:match("@local%-base$") and "local" or task:match("@BASE_IMAGE$") and "published"
  if not on then return nil end
  local t = S.d[S.distro]
  local ref = on == "local" and t.base_tags[2] or t.published
  local b = docker.inspect_image(ref)
  local layers, blayers = img.RootFS and img.RootFS.Layers or {}, b and b.RootFS and b.RootFS.Layers or {}
  local prefix = #blayers > 0
  for i, l in ipairs(blayers) do prefix = prefix and layers[i] == l end
  local labels = on == "published" and require("sindri.base").labels(ref)
  return { on = on, ref = ref, same = prefix, labels = labels, variant = task, dev_task = dev_task }
end

task "cache-status" {
  desc = "Show cache usage: images (current or stale, and the base the dev image is on), BuildKit cache, cargo "
    .. "target, repo cache",
  alias = { "v3-cache-status" }, readonly = true, engine = true, group = "cache",
  run = function() return sindri.cache.status() end,
  plan = function() lib.note("cache-status: a report; it changes nothing") end,
}

function M.status()
  local base = require "sindri.base"
  local t = S.d[S.distro]
  local st = { distro = S.distro, images = {}, extra_images = {} }
  st.images[#st.images + 1] = image_status(t.base_task, t.base_tags[1])
  local remote = var("REMOTE_CACHE")
  if remote and remote ~= "" and st.images[1].key then
    -- whether the shared cache has today's key, so CI would pull instead of building (a HEAD: nothing pulled)
    local ref = remote .. ":" .. t.base_task .. "-" .. st.images[1].key
    local has, why = registry_manifest(ref, 5)
    st.images[1].remote = { ref = ref, has = has, why = has == nil and (tostring(why or ""):match("[^\n]*")) or nil }
  end
  local pick = base.pick(S.distro, false)
  local variant = S.images.variant(S.dev_task, pick.on)
  local dev, devimg = image_status(variant, S.dev_tags[1], S.dev_task)
  dev.base = built_on(devimg, S.dev_task)
  dev.next_base = { ref = pick.ref, on = pick.on, why = pick.why, ask = pick.ask }
  st.images[#st.images + 1] = dev
  st.images[#st.images + 1] = image_status(t.release_task, t.release_tags[1])
  for _, img in ipairs(M.sindri_images()) do
    st.extra_images[#st.extra_images + 1] = { tags = img.RepoTags, size = img.Size, created = img.Created,
      base = M.is_base(img) and true or false }
  end
  -- CONFIG's deployment when sindri-build made it: as deployed, or live-synced since (sindri.live)
  st.deployments = {}
  local has_cfg, cfg = pcall(S.config)
  local cts = has_cfg and docker.containers { "name=^/" .. cfg.name:gsub("%.", "\\.") .. "$",
    "label=org.sindri-build.workspace=" .. cfg.name } or {}
  for _, ct in ipairs(cts) do
    local ws = ct.Labels["org.sindri-build.workspace"]
    local rec = S.live and ws:match("^[%w][%w_.-]*$") and S.live.record(ws, ct.Id)
    if rec and rec ~= "unreadable" and rec.state == "deployed" then rec = nil end
    st.deployments[#st.deployments + 1] = { name = ws, container = ct.Id:sub(1, 12), running = ct.State == "running",
      state = rec == "unreadable" and "unknown" or rec and (rec.state == "synced" and "live-synced" or "sync-incomplete")
        or "as-deployed",
      synced_files = type(rec) == "table" and #rec.files or nil,
      why = rec and S.live.describe(rec) or nil }
  end
  local recs = assert(docker.build_cache())
  local size, reclaim = 0, 0
  for _, r in ipairs(recs) do
    size = size + (r.size or 0)
    if not r.in_use then reclaim = reclaim + (r.size or 0) end
  end
  st.buildkit = { records = #recs, size = size, reclaimable = reclaim }
  st.cargo_target = { path = S.v3 .. "/target", size = lib.du(S.v3 .. "/target") }
  st.repo_cache = {}
  for _, d in ipairs(M.repo_caches()) do
    if sb.exists(d) then
      st.repo_cache[#st.repo_cache + 1] = { path = d, size = lib.du(d), clones = git_clones(d) }
    end
  end
  st.state_dir = { path = ".sindri-build", size = lib.du(".sindri-build") }
  if var("JSON") == "1" then
    st.sindri_build, st.kind = 1, "cache-status" -- as every --json document says what it is (docs/cli.md)
    print(lib.json(st))
    return true
  end
  print("Images (DISTRO=" .. S.distro .. "):")
  for _, i in ipairs(st.images) do
    local line = string.format("  %-26s %-30s %s", i.task, i.tag, i.state)
    if i.size then line = line .. string.format(", %s, %s old", lib.human(i.size), lib.age(os.time() - (i.created or os.time()))) end
    if i.why then line = line .. " (" .. i.why .. ")" end
    print(line)
    if i.remote then
      print(string.format("      remote cache: %s %s", i.remote.ref, i.remote.has and "has today's key"
        or i.remote.has == false and "does not have today's key" or ("cannot be asked (" .. i.remote.why .. ")")))
    end
    if i.base then
      print(string.format("      built on %s (%s%s)%s", i.base.ref, i.base.on == "local" and "the local base" or "published",
        i.base.labels and ("; " .. i.base.labels) or "", i.base.same and "" or ", which has changed since"))
    end
    if i.next_base then
      print(string.format("      a build now: base %s: %s", i.next_base.ref, i.next_base.why))
    end
  end
  print(string.format("  %d sindri images in all", #st.extra_images))
  for _, i in ipairs(st.extra_images) do
    print(string.format("    %-40s %10s%s", table.concat(i.tags or { "<untagged>" }, ", "), lib.human(i.size),
      i.base and "  (base)" or ""))
  end
  for _, dep in ipairs(st.deployments) do
    print(string.format("Deployment:     %s (container %s, %s): %s", dep.name, dep.container,
      dep.running and "running" or "stopped", dep.state == "as-deployed" and "runs its image as built"
      or dep.state == "live-synced" and string.format("live-synced, %d file%s; not current: cycle-fast rebuilds and "
        .. "replaces it", dep.synced_files, dep.synced_files == 1 and "" or "s")
      or dep.why))
  end
  print(string.format("BuildKit cache: %d records, %s, %s reclaimable", st.buildkit.records,
    lib.human(st.buildkit.size), lib.human(st.buildkit.reclaimable)))
  print(string.format("Cargo target:   %s (%s)", st.cargo_target.path, lib.human(st.cargo_target.size)))
  if #st.repo_cache == 0 then print("Repo cache:     none") end
  for _, r in ipairs(st.repo_cache) do
    print(string.format("Repo cache:     %s (%s)", r.path, lib.human(r.size)))
    for _, c in ipairs(r.clones) do -- each clone: its repository, the ref last checked out and its commit
      print(string.format("                %s: %s", c.dir:match("[^/]+$"), c.url and string.format("%s at %s (%s)",
        c.url, c.ref or "?", c.short or "not checked out") or "not a clone"))
    end
  end
  print(string.format("State:          %s (%s)", st.state_dir.path, lib.human(st.state_dir.size)))
  return true
end

-- cache-prune: the guide's weekly and monthly maintenance in one target.
local function prune(dry)
  M.prune_older(lib.duration(var("PRUNE_AGE", "168h")), dry)
  local keep = {}
  for _, d in ipairs(S.distros) do
    for _, tag in ipairs { S.d[d].base_tags[1], S.d[d].dev_tags[1], S.d[d].release_tags[1] } do
      local img = docker.inspect_image(tag)
      if img then keep[img.Id] = true end
    end
  end
  local bases, others = {}, {}
  for _, img in ipairs(M.sindri_images()) do
    if M.is_base(img) then bases[#bases + 1] = img else others[#others + 1] = img end
  end
  table.sort(bases, function(a, b) return (a.Created or 0) > (b.Created or 0) end)
  local removed = 0
  local function rm(img, what)
    removed = removed + 1
    M.rmi(img, what .. " " .. ((img.RepoTags or {})[1] or img.Id:sub(8, 19)), dry, true)
  end
  for i, img in ipairs(bases) do
    if i > 2 and not keep[img.Id] then rm(img, "old base") end
  end
  local max_age = lib.duration(var("IMAGE_AGE", "720h"))
  for _, img in ipairs(others) do
    if not keep[img.Id] and os.time() - (img.Created or os.time()) >= max_age then rm(img, "old image") end
  end
  if removed == 0 then
    local say = dry and lib.note or function(fmt, ...) print(string.format(fmt, ...)) end
    say("no image to remove: no base beyond the newest two, no sindri image older than %s that is not current",
      lib.age(max_age))
  end
end

task "cache-prune" {
  desc = "Maintenance: BuildKit cache unused for PRUNE_AGE (168h), base versions beyond the newest two, "
    .. "sindri images older than IMAGE_AGE (720h) that are not current",
  alias = { "v3-cache-prune" }, always = true, group = "maintenance",
  run = function() prune(false) end,
  plan = function() prune(true) end,
}

S.cache = M
return M
