-- sindri.doctor: the guide's troubleshooting section as checks, each failure with its fix.
local S = sindri
local lib = S.lib

local dockerfile = require "sindri.dockerfile"
local base = require "sindri.base"

local checks = {}
local function check(name, fn) checks[#checks + 1] = { name = name, fn = fn } end

check("Docker engine reachable", function()
  local ok, err = docker.ping()
  if not ok then return false, tostring(err) .. "; start it (sudo dockerd, or systemctl start docker)" end
  return true, docker.host()
end)

check("BuildKit available", function()
  if os.getenv("DOCKER_BUILDKIT") == "0" then
    return false, "DOCKER_BUILDKIT=0 turns BuildKit off; Dockerfile.dev needs it for RUN --mount: unset it"
  end
  local cli = os.getenv("DOCKER") or (sb.exists("/usr/bin/docker") and "/usr/bin/docker" or "docker")
  local out, rc = sb.capture { cli, "version", "--format", "{{.Client.Version}}" }
  local major = tonumber((out or ""):match("^(%d+)%."))
  if rc ~= 0 or not major then return false, "cannot run '" .. cli .. " version'; set DOCKER to the docker client" end
  if major >= 23 then
    local _, brc = sb.capture { cli, "buildx", "version" }
    if brc ~= 0 then
      return false, cli .. " " .. out:gsub("%s+$", "") .. " needs the buildx plugin for BuildKit; install "
        .. "docker-buildx, or set DOCKER=/usr/bin/docker (Debian's docker.io client has BuildKit built in)"
    end
  end
  return true, cli .. " " .. out:gsub("%s+$", "")
end)

check("base image for " .. S.distro, function()
  local c = base.pick(S.distro, false)
  if c.on == "published" then
    return true, base.describe(c)
  end
  local why = sb.outdated { S.base_task }
  if next(why) == nil then return true, S.base_tags[1] .. ": current" end
  local stale = (why[S.base_task] or "out of date"):gsub("\n$", "")
  -- the pick's reason repeats the first of those in parentheses: say it once, and no parentheses in parentheses
  local pick = c.why
  local at = pick:find(" (" .. stale:match("^[^\n]*") .. ")", 1, true)
  if at then pick = pick:sub(1, at - 1) .. pick:sub(at + #stale:match("^[^\n]*") + 3) end
  return false, stale:gsub("\n", "; ") .. "; " .. pick .. "; build it: sindri-build " .. S.base_task
end)

-- The dev image's final stage (the one that becomes the image) must start FROM the base; earlier stages (the
-- real Dockerfile.dev's cargo-chef builders) may start from anything.
check("Dockerfile.dev builds FROM the base", function()
  local path = S.v3 .. "/Dockerfile.dev"
  local c = base.pick(S.distro, false)
  local d, err = dockerfile.read(path, { DISTRO = S.distro, BASE_IMAGE = c.ref })
  if not d then return false, err end
  local final = d.stages[#d.stages]
  if not final then return false, "no FROM in '" .. path .. "'" end
  local ok = final.raw:match("^%${?BASE_IMAGE}?$") ~= nil or final.from == c.ref
  for _, t in ipairs(S.base_tags) do ok = ok or final.from == t end
  if not ok then
    return false, string.format("%s:%d: its final stage starts FROM %s (%s), not the base %s: builds take 40+ "
      .. "minutes; change that FROM to: FROM ${BASE_IMAGE} with ARG BASE_IMAGE=%s before the first FROM", path,
      final.line, final.raw, final.from, c.ref, S.base_tags[2])
  end
  local detail = string.format("final stage (line %d) FROM %s = %s%s", final.line, final.raw, final.from,
    #d.stages > 1 and string.format(", after %d builder stage%s", #d.stages - 1, #d.stages > 2 and "s" or "") or "")
  if d.syntax then
    return true, detail .. " (note: its '# syntax=" .. d.syntax .. "' line makes BuildKit fetch a frontend image, "
      .. "which needs network access)"
  end
  return true, detail
end)

check("sindri.yaml valid", function()
  local path = var("CONFIG", "sindri.yaml")
  if not sb.exists(path) then return false, "no '" .. path .. "'; give CONFIG=path/to/sindri.yaml" end
  local ok, c = pcall(sindri_config, path)
  if not ok then return false, tostring(c) end
  -- the check's name says sindri.yaml already; another file is named
  return true, string.format("%sworkspace '%s', provider %s, image %s", path == "sindri.yaml" and "" or path .. ": ",
    c.name, c.provider, c.image or S.dev_tags[1])
end)

check("disk room for the caches", function()
  local need = tonumber(var("DOCTOR_MIN_GB", "10")) * 1e9
  local out, rc = sb.capture { "df", "-Pk", "/var/lib/docker", "." }
  if rc ~= 0 then out = sb.capture { "df", "-Pk", "." } end
  local worst
  for avail, mount in out:gmatch("%d+%s+%d+%s+(%d+)%s+%S+%s+(%S+)") do
    local bytes = tonumber(avail) * 1024
    if not worst or bytes < worst.bytes then worst = { bytes = bytes, mount = mount } end
  end
  if not worst then return false, "cannot read df" end
  if worst.bytes < need then
    return false, string.format("only %s free on %s (the guide's caches want %s): run sindri-build cache-prune "
      .. "or cache-clear-medium", lib.human(worst.bytes), worst.mount, lib.human(need))
  end
  return true, lib.human(worst.bytes) .. " free on " .. worst.mount
end)

task "doctor" {
  desc = "Check the set-up the guide's troubleshooting describes; each failure says how to fix it",
  alias = { "v3-doctor" }, group = "maintenance",
  readonly = true,
  plan = function() lib.note("doctor: a report; it changes nothing") end,
  run = function()
    local failed = 0
    for _, c in ipairs(checks) do
      local ok, ok2, detail = pcall(c.fn)
      if not ok then ok2, detail = false, tostring(ok2) end
      print(string.format("%s %s: %s", ok2 and "ok  " or "FAIL", c.name, detail or ""))
      if not ok2 then failed = failed + 1 end
    end
    if failed > 0 then
      print(string.format("doctor: %d check%s failed", failed, failed == 1 and "" or "s"))
      return false
    end
    print("doctor: all checks passed")
    return true
  end,
}
