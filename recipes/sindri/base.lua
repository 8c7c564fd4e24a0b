-- sindri.base: which base image the dev image of a distro is built on, and why.
--
-- BASE=auto (the default), in this order:
--   1. the local base (docker-build-base-<distro>), when it is current for today's Dockerfile.base and the files
--      it copies;
--   2. BASE_IMAGE (default $REGISTRY/sindri:base-<distro>-latest), when those inputs are as committed at HEAD of a
--      git checkout whose top is this directory, and the registry has it: asked with a HEAD request, pulled only
--      when the local copy is missing or older;
--   3. else the local base, built here.
-- BASE=local always builds on the local base; BASE=registry always on BASE_IMAGE. A BASE_IMAGE given on the command
-- line is used as the Makefile uses it: the local copy, else the registry's, else the local base is built instead.
-- A maintainer who edited Dockerfile.base or what it copies gets their own base, never a published one that would
-- ignore the edit.
local S = sindri
local lib = S.lib
local dockerfile = require "sindri.dockerfile"
local M = {}

local MODE = var("BASE", "auto")
if MODE ~= "auto" and MODE ~= "local" and MODE ~= "registry" then
  error("BASE must be auto, local or registry, not '" .. MODE .. "'", 0)
end
M.mode = MODE

-- normref: a reference with its implied ":latest".
local function normref(ref)
  local last = ref:match("[^/]*$")
  if ref:find("@", 1, true) or last:find(":", 1, true) then return ref end
  return ref .. ":latest"
end

-- own: the distro whose local base task makes the image ref names (a BASE_IMAGE of our own tags), or nil.
local function own(ref)
  if not ref then return nil end
  for d, t in pairs(S.d) do
    for _, tag in ipairs(t.base_tags) do
      if normref(tag) == normref(ref) then return d end
    end
  end
  return nil
end
M.own = own

local function first_line(s) return (tostring(s or ""):match("[^\n]+") or "") end

-- labels: the sindri.base.* labels of an image, as "version=3.1.4 distro=ubuntu ...", or nil, and all its labels:
-- those of the local image; when there is none and online is true, those its registry's config holds (read without
-- pulling it), so that a published base is known before the pull.
function M.labels(ref, online)
  local img = docker.inspect_image(ref)
  local l = img and img.Config and img.Config.Labels
  if not img and online then
    local remote = registry_labels(ref)
    l = type(remote) == "table" and remote or nil
  end
  if not l then return nil end
  local keys = {}
  for k in pairs(l) do if k:match("^sindri%.base%.") then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k:gsub("^sindri%.base%.", "") .. "=" .. l[k] end
  return #parts > 0 and table.concat(parts, " ") or nil, l
end

-- inputs_changed: whether Dockerfile.base and what it copies differ from HEAD (true and why), or are as committed
-- (false and the short commit). Outside a git checkout of its own, a published base cannot be matched: true.
function M.inputs_changed()
  -- the top of a work tree holds .git (a directory, or a file in a linked worktree); without it this is no
  -- checkout, or a directory inside another repository (an example in sindri-build's own)
  if not sb.exists(".git") then
    return true, "this directory is not the top of a git checkout, so a published base cannot be matched to it"
  end
  local df = S.v3 .. "/Dockerfile.base"
  local paths = { df, S.v3 .. "/.dockerignore", df .. ".dockerignore" }
  local d = dockerfile.read(df, {})
  for _, src in ipairs(d and dockerfile.context_sources(d) or {}) do paths[#paths + 1] = S.v3 .. "/" .. src end
  local argv = { "git", "status", "--porcelain", "--untracked-files=all", "--ignored=matching", "--" }
  for _, p in ipairs(paths) do argv[#argv + 1] = p end
  local out, src = sb.capture(argv)
  if src ~= 0 then return true, "git status failed" end
  if out:match("%S") then
    local files = {}
    for l in out:gmatch("[^\n]+") do files[#files + 1] = (l:gsub("^%s+", "")) end
    return true, "Dockerfile.base or what it copies differs from HEAD (" .. table.concat(files, ", ") .. ")"
  end
  return false, (lib.git_sha(".") or "HEAD")
end

-- local_copy: the engine's image of ref (a published base pulled before), or nil.
local function local_copy(ref)
  return docker.inspect_image(ref) or nil
end

-- has_digest: whether img was pulled with this manifest digest (its RepoDigests).
local function has_digest(img, digest)
  for _, rd in ipairs(img and img.RepoDigests or {}) do
    if digest and rd:sub(-#digest) == digest then return true end
  end
  return false
end

-- pick: the base of distro d's dev image: { on = "local"|"published", ref = the BASE_IMAGE build arg, why = "...",
-- pull = true when a run pulls it first, ask = true when only a run can say (a dry run asks no registry), fail =
-- why it cannot be had (BASE=registry) }.
-- online: a run (may ask the registry); otherwise nothing leaves the machine.
function M.pick(d, online)
  local t = S.d[d]
  local loc = { on = "local", ref = t.base_tags[2] }
  local pub = { on = "published", ref = t.published }
  local function with(c, why) c.why = why return c end
  if unkeyed.sindri_base_forced then return with(loc, unkeyed.sindri_base_forced) end
  if MODE == "local" then return with(loc, "BASE=local") end
  if own(S.base_image_given) then
    return with({ on = "published", ref = S.base_image_given }, "BASE_IMAGE names a base this recipe builds")
  end
  if MODE == "registry" or S.base_image_given then
    local copy = local_copy(t.published)
    local why = MODE == "registry" and "BASE=registry" or "BASE_IMAGE=" .. t.published .. " was given"
    if copy and MODE ~= "registry" then return with(pub, why .. "; its local copy is used, as the Makefile does") end
    if not online then
      pub.ask, pub.pull = true, not copy
      return with(pub, why .. (copy and "; a run asks its registry for a newer one" or "; a run pulls it"))
    end
    local has, digest = registry_manifest(t.published)
    if has then
      pub.pull, pub.digest = not has_digest(copy, digest), digest
      return with(pub, why .. "; the registry has it" .. (pub.pull and "" or ", the same as the local copy"))
    end
    if has == nil and copy then
      return with(pub, why .. "; the registry cannot be reached (" .. first_line(digest) .. "): its local copy is "
        .. "used, and may be older than the registry's")
    end
    if MODE == "registry" then
      pub.pull, pub.fail = true, has == false and "the registry has no such image" or first_line(digest)
      return with(pub, why)
    end
    return with(loc, why .. ", but it is neither here nor in its registry (" .. (has == false and "not there" or
      first_line(digest)) .. "): the local base is built instead, as the Makefile does")
  end
  -- auto
  local stale = sb.outdated { t.base_task }
  if next(stale) == nil then
    return with(loc, "the local base " .. t.base_tags[1] .. " is current for " .. S.v3 .. "/Dockerfile.base and "
      .. "the files it copies")
  end
  local base_why = first_line(stale[t.base_task] or "it is out of date")
  local changed, gwhy = M.inputs_changed()
  if changed then
    return with(loc, gwhy .. ": the local base is built (" .. base_why .. ")")
  end
  local copy = local_copy(t.published)
  if not online then
    pub.ask, pub.pull = true, not copy
    return with(pub, "the local base is not current (" .. base_why .. "); Dockerfile.base is as committed at "
      .. gwhy .. ", so a run uses " .. t.published .. " if the registry has it (a dry run does not ask), else "
      .. "builds the local base")
  end
  local has, digest = registry_manifest(t.published)
  if has then
    pub.pull, pub.digest = not has_digest(copy, digest), digest
    return with(pub, "Dockerfile.base is as committed at " .. gwhy .. " and the registry has " .. t.published
      .. " (the local base is not current: " .. base_why .. ")")
  end
  if has == nil and copy then
    return with(pub, "the registry cannot be reached (" .. first_line(digest) .. "): the local copy of "
      .. t.published .. " is used, and may be older than the registry's")
  end
  return with(loc, (has == false and ("the registry has no " .. t.published)
    or ("the registry cannot be reached (" .. first_line(digest) .. ")")) .. ": the local base is built ("
    .. base_why .. ")")
end

-- describe: "base REF (local|published, sindri.base.* labels): why"; online: a published base not pulled yet is
-- described by the labels its registry has.
function M.describe(c, online)
  local labels = c.on == "published" and M.labels(c.ref, online)
  return string.format("base %s (%s%s): %s", c.ref, c.on == "local" and "the local base" or "published",
    labels and ("; " .. labels) or "", c.why)
end

-- hints: what to do when an image could not be pulled or built offline, and that nothing was replaced.
function M.hints(d, what)
  local t = S.d[d]
  local out = {}
  local function add(s) out[#out + 1] = "  " .. s end
  out[#out + 1] = what
  add("if this machine is offline, load the image from a saved copy: docker load -i FILE.tar (saved where it "
    .. "could be pulled with: docker save -o FILE.tar IMAGE)")
  add("or build on a base that is here: BASE_IMAGE=" .. t.base_tags[2] .. " (or BASE=local)")
  add("or, when a remote cache cannot be reached, run without it: REMOTE_CACHE=")
  return table.concat(out, "\n")
end

-- absent_bases: the external images the Dockerfile of an image task starts FROM that the engine does not have.
function M.absent_bases(dockerfile_path, args)
  local d = dockerfile.read(dockerfile_path, args)
  local names, out, seen = {}, {}, {}
  for _, st in ipairs(d and d.stages or {}) do
    if st.name then names[st.name] = true end
  end
  for _, st in ipairs(d and d.stages or {}) do
    local ref = st.from
    if ref ~= "" and ref ~= "scratch" and not names[ref] and not seen[ref] and not own(ref) then
      seen[ref] = true
      if not docker.inspect_image(ref) then out[#out + 1] = ref end
    end
  end
  return out
end

return M
