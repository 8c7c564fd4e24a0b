-- sindri.source: the guide's Path B, the dev image built from a git ref of the Sindri repository instead of the
-- working tree (docker-build-from-source, and the cycles, with --from-source).
--
-- Asked for by FROM_SOURCE=1 (--from-source), or by deployment.buildFromSource.enabled in CONFIG; FROM_SOURCE=0
-- turns it off whatever the config says. Without it, docker-build-from-source is what the Makefile makes of it: the
-- working tree's dev build. The ref is GIT_REF=, else buildFromSource.gitRef, else v$VERSION: a branch, a tag or a
-- commit SHA. The repository is SINDRI_REPO= (any URL libgit2 takes, file:// or a path).
--
-- The checkout happens while the recipe loads, because the image's key and tag come from the checked-out tree.
-- The clone is fetched on every run and checked out cleanly (git_checkout). A read-only command (-n, -t explain,
-- -t key, ...) fetches and writes nothing: git_checkout then says what the clone already holds, and when its
-- worktree is not the ref's commit as last fetched, the from-source targets only say what a run would do.
local S = sindri
local lib = S.lib
local base = require "sindri.base"
local M = {}

local CONFIG = var("CONFIG")
local cfg = CONFIG and sb.exists(CONFIG) and sindri_config(CONFIG) or nil -- deploy.lua reads and checks it too

local function wanted()
  local v = var("FROM_SOURCE")
  if v == nil or v == "" then return cfg ~= nil and cfg.from_source end
  local l = v:lower()
  if l == "1" or l == "true" or l == "yes" or l == "on" then return true end
  if l == "0" or l == "false" or l == "no" or l == "off" then return false end
  error("FROM_SOURCE must be 1 or 0, not '" .. v .. "'", 0)
end
S.from_source = wanted()

local REPO = var("SINDRI_REPO", "https://github.com/pacphi/sindri.git")
local SHOWN = REPO:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1") -- never print a token given in the URL
local REF = var("GIT_REF") or (cfg and cfg.git_ref) or ("v" .. S.version)

-- clone_cache: $XDG_CACHE_HOME/sindri/repos, else ~/Library/Caches/sindri/repos where that directory exists
-- (macOS), else ~/.cache/sindri/repos; the cache levels (sindri.cache) clear all of them.
function S.clone_cache()
  local x = os.getenv("XDG_CACHE_HOME")
  if x and x ~= "" then return x .. "/sindri/repos" end
  local home = os.getenv("HOME") or ""
  if sb.exists(home .. "/Library/Caches") then return home .. "/Library/Caches/sindri/repos" end
  return home .. "/.cache/sindri/repos"
end

local NAMES = { "docker-build-from-source", "docker-build-from-source-nocache" }

-- unfetched: in a read-only command, when the clone cannot show the ref's tree without a fetch or a checkout
-- (co.unknown says why): the from-source targets would run, and say what a run would do; nothing is keyed.
local function unfetched(co)
  local suffix = "-" .. S.distro
  local tags = { S.repo .. ":v3-dev" .. suffix }
  if S.distro == S.default_distro then tags[2] = S.repo .. ":v3-dev" end
  local why = co.unknown .. ": a run fetches '" .. SHOWN .. "' into '" .. co.clone .. "' and checks out '" .. REF
    .. "' first, and keys the image by that tree"
  io.stderr:write(string.format("sindri-build: from source, nothing fetched (a read-only command): %s\n", why))
  for i, name in ipairs(NAMES) do
    task(name) {
      desc = "Build the " .. S.distro .. " dev image from " .. REF .. " of SINDRI_REPO (the guide's Path B, "
        .. "--from-source)" .. (i == 2 and " without cache" or ""),
      alias = { "v3-" .. name },
      -- never run: a command that runs tasks checks the ref out while the recipe loads
      run = function() error(name .. ": the source was not checked out", 0) end,
      check = function() return false, "the source is not checked out in the clone cache (" .. why .. ")" end,
      plan = function()
        local c = base.pick(S.distro, false)
        lib.note("%s: %s", name, why)
        lib.note("%s: %s", name, base.describe(c))
        -- the base's own plan when it would be built (its being current is in the line above)
        local bt = S.d[S.distro].base_task
        if c.on == "local" and next(sb.outdated { bt }) then sb.build { bt } end
        if c.pull then lib.plan(lib.cmd { lib.docker_cli(), "pull", c.ref }) end
        lib.note("then, on the checked-out tree: docker build -f %s/v3/Dockerfile.dev --build-arg BASE_IMAGE=%s "
          .. "--build-arg DISTRO=%s%s -t %s -t %s:<version>-<sha>%s ... %s", co.clone, c.ref, S.distro,
          i == 2 and " --no-cache" or "", tags[1], S.repo, suffix, co.clone)
      end,
    }
    S.names[name], S.names["v3-" .. name] = name, name
  end
  S.source = {
    url = SHOWN, ref = REF, dir = co.clone, unfetched = true, tags = tags,
    instead_of = { [S.dev_task] = NAMES[1], ["docker-build-fast-nocache"] = NAMES[2] },
  }
  S.dev_task, S.dev_tags = NAMES[1], tags
  S.fast_task, S.fast_tags = NAMES[1], tags
  return S.source
end

-- declare: with FROM_SOURCE, check out the ref and declare docker-build-from-source[-nocache] on its tree.
function M.declare()
  if not S.from_source then return nil end
  local co = git_checkout { url = REPO, ref = REF, cache = S.clone_cache() }
  if not co.dir then return unfetched(co) end
  for _, file in ipairs { "v3/Dockerfile.dev", "v3/Cargo.toml" } do
    if not sb.exists(co.dir .. "/" .. file) then
      error(string.format("%s '%s' (%s) of '%s' has no '%s': the dev image cannot be built from it; give the ref "
        .. "of a Sindri v3 commit with GIT_REF=", co.kind, REF, co.short, SHOWN, file), 0)
    end
  end
  local version = lib.cargo_version(co.dir .. "/v3/Cargo.toml")
  if not version then
    error(string.format("'%s' at %s '%s' (%s) has no [workspace.package] version", "v3/Cargo.toml", co.kind, REF,
      co.short), 0)
  end
  -- a read-only command did not fetch: the clone is as the last run left it
  local as_of = not co.offline and "" or co.kind == "commit" and " in the cached clone (a dry run fetches nothing)"
    or " in the cached clone as last fetched (a dry run fetches nothing; a run fetches first, and sees the " .. co.kind
    .. " if it moved since)"
  io.stderr:write(string.format("sindri-build: from source: %s '%s' of '%s' is %s (version %s)%s\n", co.kind, REF,
    SHOWN, co.short, version, as_of))
  -- The first tag is stable, so a commit whose Dockerfile inputs are unchanged re-tags the image instead of
  -- rebuilding it (the image task checks its first tag for the key); the second names the commit.
  local suffix = "-" .. S.distro
  local tags = { S.repo .. ":v3-dev" .. suffix, S.repo .. ":" .. version .. "-" .. co.short .. suffix }
  if S.distro == S.default_distro then -- the guide's Path B tag, sindri:<version>-<sha>
    tags[#tags + 1] = S.repo .. ":" .. version .. "-" .. co.short
    tags[#tags + 1] = S.repo .. ":v3-dev"
  end
  local names = NAMES
  for i, name in ipairs(names) do
    S.images.declare_dev(name, {
      d = S.distro, nocache = i == 2, dockerfile = co.dir .. "/v3/Dockerfile.dev", context = co.dir, tags = tags,
      desc = "Build the " .. S.distro .. " dev image from " .. co.kind .. " " .. REF .. " of SINDRI_REPO (the guide's "
        .. "Path B, --from-source)" .. (i == 2 and " without cache" or ""),
      alias = { "v3-" .. name }, group = "build",
    })
  end
  -- From here on the dev image is this one: deploy runs it, the cycles build it instead.
  S.source = {
    url = SHOWN, ref = REF, kind = co.kind, dir = co.dir, sha = co.sha, short = co.short, version = version,
    tags = tags, instead_of = { [S.dev_task] = names[1], ["docker-build-fast-nocache"] = names[2] },
  }
  S.dev_task, S.dev_tags = names[1], tags
  S.fast_task, S.fast_tags = names[1], tags
  return S.source
end

return M
