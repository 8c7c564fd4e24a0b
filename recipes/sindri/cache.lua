-- sindri.cache: the guide's cache levels, status and maintenance, with what each keeps and clears.
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

local function rm_rf(path)
  if sb.exists(path) then
    local ok = sb.run { "rm", "-rf", path }
    if not ok then error("cannot remove '" .. path .. "'", 0) end
    print("removed " .. path)
  end
end

-- clear_repos: remove the clone caches, but not the one this run builds from (it was fetched and checked out
-- cleanly while the recipe loaded: nothing in it is stale).
local function clear_repos()
  for _, d in ipairs(M.repo_caches()) do
    if S.source and S.source.dir:sub(1, #d + 1) == d .. "/" then
      print("kept " .. d .. ": this run builds from its clone of " .. S.source.url)
    else
      rm_rf(d)
    end
  end
end

local function cargo_clean(args)
  local target = S.v3 .. "/target"
  if not sb.exists(target) then return end
  local argv = { "cargo", "clean", cwd = S.v3 }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local ok, rc = sb.run(argv)
  if not ok then error("cargo clean failed with exit status " .. rc, 0) end
end

-- is_base: an image the base task made (our task label), or one Sindri's Dockerfile.base labels as a base.
function M.is_base(img)
  local labels = img.Labels or {}
  return labels["org.sindri-build.task"] == S.base_task or labels["sindri.type"] == "base"
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

-- remove_images: "non-base" (everything but the base images) or "all". An image a running container uses is
-- kept (the engine refuses), with a warning that names the container.
function M.remove_images(which)
  local n, used = 0, in_use()
  for _, img in ipairs(M.sindri_images()) do
    if which == "all" or not M.is_base(img) then
      local name = (img.RepoTags and img.RepoTags[1]) or img.Id:sub(8, 19)
      if used[img.Id] then
        print(string.format("kept image %s: it is used by container %s (destroy that deployment first)", name,
          used[img.Id]))
      else
        local ok, err = docker.rmi(img.Id, { force = true })
        if ok == nil then error("cannot remove image '" .. name .. "': " .. tostring(err), 0) end
        print("removed image " .. name)
        n = n + 1
      end
    end
  end
  return n
end

-- prune_where: prune, one by one, the BuildKit records not in use for which prune(record, now) is true.
local function prune_where(prune, what)
  local now, freed, n = os.time(), 0, 0
  for _, rec in ipairs(assert(docker.build_cache())) do
    if not rec.in_use and prune(rec, now) then
      local got = docker.prune_cache_id(rec.id)
      if got then freed = freed + got; n = n + 1 end
    end
  end
  print(string.format("pruned %d BuildKit cache records %s (%s)", n, what, lib.human(freed)))
end

-- prune_younger: BuildKit records created within the last `secs`, pruned by id (the guide's promise;
-- `docker buildx prune --filter until=1h` removes the OLDER ones instead).
function M.prune_younger(secs)
  prune_where(function(rec, now) return rec.created and now - rec.created < secs end,
    "younger than " .. lib.age(secs))
end

-- prune_older: BuildKit records not used for `secs` (the weekly maintenance).
function M.prune_older(secs)
  prune_where(function(rec, now)
    local last = rec.last_used ~= 0 and rec.last_used or rec.created
    return last and now - last >= secs
  end, "unused for " .. lib.age(secs))
end

M.levels = {
  soft = function()
    clear_repos()
    cargo_clean { "-p", "sindri" }
  end,
  medium = function()
    clear_repos()
    cargo_clean()
    M.prune_younger(lib.duration(var("CACHE_WINDOW", "1h")))
  end,
  hard = function() M.clear_all("non-base") end,
  nuke = function() M.clear_all("all") end,
}

-- clear_all: the hard and nuclear levels: repo caches, cargo, images ("non-base" or "all"), all BuildKit cache.
function M.clear_all(images)
  clear_repos()
  cargo_clean()
  M.remove_images(images)
  local freed = docker.prune_cache { all = true }
  print("pruned all BuildKit cache (" .. lib.human(freed or 0) .. ")")
end

local asks = {
  hard = "cache-clear-hard removes every sindri image but the base, all BuildKit cache and cargo artifacts",
  nuke = "cache-nuke removes every sindri image including the base, all BuildKit cache and cargo artifacts",
}

function M.clear(level, opts)
  if asks[level] and not (opts and opts.confirmed) then lib.confirm(asks[level]) end
  M.levels[level]()
end

local function level_task(name, level, desc)
  task(name) {
    desc = desc, alias = { "v3-" .. name }, always = true,
    run = function() M.clear(level) end,
  }
end
level_task("cache-clear-soft", "soft", "Clear incremental: cargo incremental + repo cache; keeps base, deps, BuildKit")
level_task("cache-clear-medium", "medium", "Clear cargo + BuildKit cache younger than CACHE_WINDOW (1h); keeps base, older cache")
level_task("cache-clear-hard", "hard", "Clear all except base (asks first)")
level_task("cache-nuke", "nuke", "Nuclear: clear everything including base (asks first)")

-- status: images (current, stale and why, or missing), BuildKit cache, cargo target, repo cache, state dir.
local function image_status(taskname)
  local spec_tag = taskname == S.base_task and S.base_tags[1] or S.fast_tags[1]
  local key = sb.key(taskname)
  local img = docker.inspect_image(spec_tag)
  local st = { task = taskname, tag = spec_tag, key = key }
  if not img then
    st.state = "missing"
    return st
  end
  st.id = img.Id
  st.size = img.Size
  local y, mo, d, h, mi, s = tostring(img.Created):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if y then
    st.created = os.time { year = y, month = mo, day = d, hour = h, min = mi, sec = s, isdst = false }
      - (os.time() - os.time(os.date("!*t")))
  end
  local label = img.Config and img.Config.Labels and img.Config.Labels["org.sindri-build.key"]
  if label == key then
    st.state = "current"
  else
    local why = sb.outdated { taskname }
    st.state = "stale"
    st.why = why[taskname] and why[taskname]:gsub("\n$", ""):gsub("\n", "; ") or "its label is not today's key"
  end
  return st
end

task "cache-status" {
  desc = "Show cache usage: images (current or stale), BuildKit cache, cargo target, repo cache",
  alias = { "v3-cache-status" }, readonly = true, engine = true,
  run = function()
    local st = { images = {}, extra_images = {} }
    for _, t in ipairs { S.base_task, S.fast_task } do st.images[#st.images + 1] = image_status(t) end
    for _, img in ipairs(M.sindri_images()) do
      st.extra_images[#st.extra_images + 1] = { tags = img.RepoTags, size = img.Size, created = img.Created,
        base = M.is_base(img) }
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
      print(lib.json(st))
      return true
    end
    print("Images:")
    for _, i in ipairs(st.images) do
      local line = string.format("  %-22s %-28s %s", i.task, i.tag, i.state)
      if i.size then line = line .. string.format(", %s, %s old", lib.human(i.size), lib.age(os.time() - (i.created or os.time()))) end
      if i.why then line = line .. " (" .. i.why .. ")" end
      print(line)
    end
    print(string.format("  %d sindri images in all", #st.extra_images))
    for _, i in ipairs(st.extra_images) do
      print(string.format("    %-40s %10s%s", table.concat(i.tags or { "<untagged>" }, ", "), lib.human(i.size),
        i.base and "  (base)" or ""))
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
  end,
}

-- cache-prune: the guide's weekly and monthly maintenance in one target.
task "cache-prune" {
  desc = "Maintenance: BuildKit cache unused for PRUNE_AGE (168h), base versions beyond the newest two, "
    .. "sindri images older than IMAGE_AGE (720h) that are not current",
  alias = { "v3-cache-prune" }, always = true,
  run = function()
    M.prune_older(lib.duration(var("PRUNE_AGE", "168h")))
    local keep = {}
    for _, t in ipairs { S.base_task, S.fast_task } do
      local img = docker.inspect_image(t == S.base_task and S.base_tags[1] or S.fast_tags[1])
      if img then keep[img.Id] = true end
    end
    local bases, others = {}, {}
    for _, img in ipairs(M.sindri_images()) do
      if M.is_base(img) then bases[#bases + 1] = img else others[#others + 1] = img end
    end
    table.sort(bases, function(a, b) return (a.Created or 0) > (b.Created or 0) end)
    for i, img in ipairs(bases) do
      if i > 2 and not keep[img.Id] then
        if docker.rmi(img.Id, { force = true }) then
          print("removed old base " .. ((img.RepoTags or {})[1] or img.Id:sub(8, 19)))
        end
      end
    end
    local max_age = lib.duration(var("IMAGE_AGE", "720h"))
    for _, img in ipairs(others) do
      if not keep[img.Id] and os.time() - (img.Created or os.time()) >= max_age then
        if docker.rmi(img.Id, { force = true }) then
          print("removed old image " .. ((img.RepoTags or {})[1] or img.Id:sub(8, 19)))
        end
      end
    end
  end,
}

return M
