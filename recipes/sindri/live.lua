-- sindri.live: a running deployment brought up to date by copying the changed files into it, when only files
-- that sync rules cover changed since its image was built; the cycles' `sync` field (sindri.cycles) uses it.
--
--   sync = { { from = "v3/extensions/", to = "/opt/sindri/extensions/" },          -- a directory, both end in /
--            { from = "v3/registry.yaml", to = "/opt/sindri/registry.yaml" },       -- one file
--            { from = "v3/docker/scripts/", to = "/docker/scripts/", mode = "0755" } }, -- files get this mode
--   after_sync = { "sh", "-c", "..." },  -- run in the container after a sync (a string runs with sh -c)
--
-- `from` is relative to the image's build context, as the Dockerfile's COPY sources are. What changed is the
-- difference between the inputs recorded when the image the container runs was built (its key parts, which must
-- digest to the key the image carries) and the working tree now; a change outside the rules, in the Dockerfile,
-- a build arg or the base, or an image built elsewhere, is the full path: build, then replace the deployment.
--
-- The record: <state dir>/live/<deployment>, written by deploy when it creates the container ("deployed": nothing
-- synced), and by a sync (synced to disk) before the container is touched and again
-- after the sync and the after-sync command succeeded; the first thing copied in is a marker file, M.MARKER, so
-- that the container itself says it was synced when that state is deleted. It names the container, its image and key, "syncing" or
-- "synced", and every context path that differs in the container from its image. While it names the running
-- container, deploy is not current (the next cycle-fast replaces the container, building the image first when
-- its inputs changed), cache-status says "live-synced", and a record left "syncing" by a failed sync makes the
-- next cycle-live sync everything again.
local S = sindri
local lib = S.lib
local M = {}

local HEADER = "sindri-build live-sync 1"
-- the marker a sync leaves in the container itself: the container says it was synced even when the state that
-- recorded it was deleted
M.MARKER = "/.sindri-build-live-sync"

local function parse(text)
  local rec = { files = {}, hashes = {} }
  local first = true
  for line in text:gmatch("[^\n]+") do
    if first then
      if line ~= HEADER then return nil end
      first = false
    else
      local k, v = line:match("^(%S+) (.*)$")
      if k == "file" then
        local h, path = v:match("^(%S+) (.+)$")
        if not h then return nil end
        rec.files[#rec.files + 1] = path
        rec.hashes[path] = h
      elseif k then
        rec[k] = v
      end
    end
  end
  if first or not rec.container or (rec.state ~= "syncing" and rec.state ~= "synced" and rec.state ~= "deployed") then
    return nil
  end
  return rec
end

local function encode(rec)
  local out = { HEADER, "container " .. rec.container, "image " .. rec.image, "key " .. rec.key, "task " .. rec.task,
    "state " .. rec.state }
  for _, f in ipairs(rec.files) do out[#out + 1] = "file " .. rec.hashes[f] .. " " .. f end
  return table.concat(out, "\n") .. "\n"
end

-- record: the live-sync record of deployment name when it is about container id; "unreadable" when a record is
-- there but cannot be read (then nothing about the container can be trusted).
function M.record(name, id)
  local text = docker.live_record(name)
  if not text then return nil end
  local rec = parse(text)
  if not rec then return "unreadable" end
  if id and rec.container ~= id then return nil end
  return rec
end

-- deployed: record that deployment name is container id, just created from its image by this state with the deploy
-- key key: nothing was synced into it. Deploy's check then needs no look inside the container (a sync rewrites the
-- record before it touches the container, so while this record names it, the container is its image), and can
-- tell the key of a container the sindri CLI made, which carries none.
function M.deployed(name, id, key)
  assert(docker.live_record(name, HEADER .. "\ncontainer " .. id .. "\nstate deployed\ndeploy_key " .. key .. "\n"))
end

-- synced_into: rec (from M.record) says files went, or may have gone, into the container.
function M.synced_into(rec)
  return rec and (rec == "unreadable" or rec.state ~= "deployed")
end

-- describe: one line about a record, for deploy's reason, cache-status and explain.
function M.describe(rec)
  if rec == "unreadable" then return "its live-sync record cannot be read" end
  local n = #rec.files
  local list = {}
  for i = 1, math.min(n, 5) do list[i] = rec.files[i] end
  local files = n == 0 and "no file differs from its image now"
    or string.format("%d file%s differ%s from its image: %s%s", n, n == 1 and "" or "s", n == 1 and "s" or "",
      table.concat(list, ", "), n > 5 and ", ..." or "")
  if rec.state == "syncing" then
    return "a live sync into it did not finish (" .. files .. "); the next cycle-live syncs again"
  end
  return "it was live-synced since its image was built (" .. files .. ")"
end

-- forget: drop the record of deployment name (its container was replaced or removed).
function M.forget(name)
  if docker.live_record(name) then assert(docker.live_record(name, false)) end
end

-- place: where a context path lands in the container under the rules, and the file mode a rule gives.
local function place(rules, path)
  for _, r in ipairs(rules) do
    if r.from:sub(-1) == "/" then
      if path:sub(1, #r.from) == r.from and #path > #r.from then
        return r.to .. path:sub(#r.from + 1), r.mode and tonumber(r.mode, 8)
      end
    elseif path == r.from then
      return r.to, r.mode and tonumber(r.mode, 8)
    end
  end
end

-- check_rules: the sync field of a cycle, checked when the recipe loads.
function M.check_rules(name, rules)
  if type(rules) ~= "table" or #rules == 0 then
    error("cycle '" .. name .. "': sync must be a list of { from = ..., to = ... }", 3)
  end
  for i, r in ipairs(rules) do
    if type(r) ~= "table" or type(r.from) ~= "string" or type(r.to) ~= "string" or r.from == "" then
      error(string.format("cycle '%s': sync rule %d needs from and to strings", name, i), 3)
    end
    if r.to:sub(1, 1) ~= "/" or (r.from:sub(-1) == "/") ~= (r.to:sub(-1) == "/") then
      error(string.format("cycle '%s': sync rule %d: 'to' must be an absolute path, and end in / exactly when "
        .. "'from' does (a directory)", name, i), 3)
    end
    if r.mode and not (type(r.mode) == "string" and r.mode:match("^0?[0-7][0-7][0-7]$")) then
      error(string.format("cycle '%s': sync rule %d: mode is an octal string such as \"0755\"", name, i), 3)
    end
  end
end

local function container(c)
  local list = docker.containers { "name=^/" .. c.name:gsub("%.", "\\.") .. "$" }
  return list and list[1]
end

-- decide: whether the deployment can be brought up to date by a sync: a plan { ct, rec, put, rm, files, ... }, or
-- nil and why the full path is needed. Raises for a container sindri-build did not deploy.
local function decide(name, c, cfg, image)
  local ct = container(cfg)
  if not ct then return nil, "no container '" .. cfg.name .. "' to sync into" end
  local labels = ct.Labels or {}
  if labels["org.sindri-build.workspace"] ~= cfg.name or not labels["org.sindri-build.image"]
    or not labels["org.sindri-build.key"] then
    error(string.format("%s: container '%s' was not deployed by sindri-build (it lacks the org.sindri-build labels); "
      .. "nothing was synced into it: replace it with cycle-fast CONFIG=%s", name, cfg.name, cfg.path), 0)
  end
  if ct.State ~= "running" then return nil, "container '" .. cfg.name .. "' is not running" end
  if labels["org.sindri-build.image"] ~= ct.ImageID then
    return nil, "container '" .. cfg.name .. "' does not run the image it was deployed with"
  end
  if labels["org.sindri-build.key"] ~= sb.key("deploy") then
    return nil, "container '" .. cfg.name .. "' was deployed from other inputs (the config changed)"
  end
  local tagged = docker.inspect_image(S.deploy.image_ref(cfg))
  if not tagged or tagged.Id ~= ct.ImageID then
    return nil, "container '" .. cfg.name .. "' runs an older image than " .. S.deploy.image_ref(cfg)
  end
  local il = tagged.Config and tagged.Config.Labels or {}
  local task, key = il["org.sindri-build.task"], il["org.sindri-build.key"]
  if not task or not key then return nil, "its image was not built by sindri-build" end
  local ok = pcall(sb.key, task)
  if not ok then return nil, "the task '" .. task .. "' that built its image is not in this recipe" end
  local dev = S.images.devs[image]
  if dev then
    -- the base a build would pick now must be the one the running image is on (a switch of base rebuilds)
    local want = S.images.variant(image, require("sindri.base").pick(dev.d, false).on)
    if want ~= task then return nil, "a build now would use another base (" .. want .. ", not " .. task .. ")" end
  end
  local diff, why = docker.live_diff(task, key)
  if not diff then return nil, why end
  if diff.other then return nil, (diff.other:gsub("\n$", ""):gsub("\n", "; ")) end
  local rec = M.record(cfg.name, ct.Id)
  if rec == "unreadable" then return nil, M.describe(rec) end
  if not rec and docker.path_exists(ct.Id, M.MARKER) ~= false then
    return nil, "container '" .. cfg.name .. "' was live-synced and this state has no record of what went in"
  end
  -- what differs from the image now (a path and the digest of its entry, "-" when it is gone), and what to send:
  -- what differs from what the record says the container holds (everything when it is not known to be synced),
  -- including the paths synced before that are now back to the image's content, or gone
  local cur, differs, paths = {}, {}, {}
  for _, p in ipairs(diff.changed) do cur[p] = diff.hashes[p] end
  for _, p in ipairs(diff.removed) do cur[p] = "-" end
  for p in pairs(cur) do differs[#differs + 1] = p end
  local known = rec and rec.state == "synced" and rec.hashes or {}
  local all = rec and rec.state == "syncing"
  local seen = {}
  for _, set in ipairs { cur, rec and rec.hashes or {} } do
    for p in pairs(set) do
      if not seen[p] and (all or cur[p] ~= known[p]) then paths[#paths + 1] = p end
      seen[p] = true
    end
  end
  table.sort(paths)
  table.sort(differs)
  local ctx = S.images.devs[image] and S.images.devs[image].context or "."
  local put, rm = {}, {}
  for _, p in ipairs(paths) do
    local to, mode = place(c.sync, p)
    if not to then return nil, "'" .. p .. "' changed and is outside the sync rules" end
    local src = ctx == "." and p or (ctx .. "/" .. p)
    if cur[p] ~= "-" and sb.exists(src) then
      put[#put + 1] = { src = src, to = to, mode = mode, path = p }
    else
      rm[#rm + 1] = to
    end
  end
  return { ct = ct, rec = rec, put = put, rm = rm, files = differs, hashes = cur, task = task, key = key,
    paths = paths, image = ct.ImageID }
end

-- sync: the cycle's live path. Returns true when the deployment was brought up to date by a sync (or was already),
-- false when the full path must run (having said why).
function M.sync(name, c, cfg, image, dry)
  local plan, why = decide(name, c, cfg, image)
  local say = dry and lib.note or function(...) lib.say(...) end
  if not plan then
    say("%s: %s: the full path (build, then replace the deployment)", name, why)
    return false
  end
  if #plan.paths == 0 and (not plan.rec or plan.rec.state ~= "syncing") then
    -- a record of a fresh deployment ("deployed") means nothing was synced into it: it is current, not live-synced
    say("%s: nothing changed; deployment '%s' is %s and left running", name, cfg.name,
      plan.rec and plan.rec.state == "synced" and "live-synced" or "current")
    return true
  end
  local id = plan.ct.Id
  local after = c.after_sync
  if type(after) == "string" then after = { "sh", "-c", after } end
  if dry then
    lib.note("%s: only files the sync rules cover changed: they are copied into '%s', no image is built", name,
      cfg.name)
    for _, f in ipairs(plan.put) do lib.note("  sync %s -> %s", f.path, f.to) end
    for _, p in ipairs(plan.rm) do lib.note("  delete %s", p) end
    if #plan.rm > 0 then
      lib.plan(lib.cmd { lib.docker_cli(), "exec", "-u", "0", cfg.name, "rm", "-rf", "--", table.unpack(plan.rm) })
    end
    if after then lib.plan(lib.cmd { lib.docker_cli(), "exec", cfg.name, table.unpack(after) }) end
    return true
  end
  -- the files the container may hold now: those it held, and those being sent (digests unknown until done)
  local was = plan.rec and plan.rec.hashes or {}
  local rec = { container = id, image = plan.image, key = plan.key, task = plan.task, state = "syncing", files = {},
    hashes = {} }
  for p, h in pairs(was) do rec.hashes[p] = h end
  for _, p in ipairs(plan.paths) do rec.hashes[p] = "?" end
  for p in pairs(rec.hashes) do rec.files[#rec.files + 1] = p end
  table.sort(rec.files)
  -- first the record, so that a sync cut short is never taken for a current container
  assert(docker.live_record(cfg.name, encode(rec)))
  local ok, err = docker.put_files(id, { { data = encode(rec), to = M.MARKER } })
  if not ok then error(string.format("%s: cannot mark '%s' as live-synced: %s", name, cfg.name, err), 0) end
  if #plan.rm > 0 then
    -- as root: what the image's COPY made is root's, whatever user the container runs as
    local st, out = docker.exec(id, { "rm", "-rf", "--", table.unpack(plan.rm) }, { user = "0" })
    if st ~= 0 then
      error(string.format("%s: cannot delete files in '%s' (%s): %s", name, cfg.name, tostring(st), out or ""), 0)
    end
  end
  if #plan.put > 0 then
    ok, err = docker.put_files(id, plan.put)
    if not ok then error(string.format("%s: cannot copy the changed files into '%s': %s", name, cfg.name, err), 0) end
  end
  if after then
    local st, out = docker.exec(id, after)
    if out and out ~= "" then io.stdout:write(out) end
    if st ~= 0 then
      error(string.format("%s: the after-sync command failed in '%s' (%s); the next %s syncs and runs it again",
        name, cfg.name, st and ("exit status " .. st) or tostring(out), name), 0)
    end
  end
  rec.state, rec.files, rec.hashes = "synced", plan.files, plan.hashes
  assert(docker.live_record(cfg.name, encode(rec)))
  lib.say("%s: synced %d file%s into '%s' (%d copied, %d deleted)%s; no image was built", name, #plan.paths,
    #plan.paths == 1 and "" or "s", cfg.name, #plan.put, #plan.rm, after and ", then ran the after-sync command" or "")
  return true
end

S.live = M
return M
