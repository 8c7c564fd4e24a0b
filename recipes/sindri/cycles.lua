-- sindri.cycles: the development cycles, and the vocabulary to write more.
--
--   cycle "name" {
--     desc = "...", time = "3-5 min", use_when = "Daily dev",
--     confirm = false,            -- ask first (nuclear)
--     clear   = "soft",           -- cache level to clear first: soft, medium, hard, nuke
--     remove  = "non-base",       -- images to remove first: "non-base" or "all"
--     build   = { "docker-build-fast" },
--     install = true, deploy = true,
--     rebuild = false,            -- true: clear, destroy and rebuild even when nothing changed
--   }
--
-- Without `rebuild`, a cycle whose builds, install and deployment are all current does nothing at all: no clear,
-- no destroy, no build, the running container is left as it is.
local S = sindri
local cache = require "sindri.cache"

local fields = { desc = 1, time = 1, use_when = 1, confirm = 1, clear = 1, remove = 1, build = 1, install = 1,
                 deploy = 1, rebuild = 1, alias = 1 }

function cycle(name)
  return function(c)
    for k in pairs(c) do
      if not fields[k] then error("cycle '" .. name .. "': unknown field '" .. tostring(k) .. "'", 2) end
    end
    if c.clear and not cache.levels[c.clear] then
      error("cycle '" .. name .. "': unknown cache level '" .. c.clear .. "' (soft, medium, hard, nuke)", 2)
    end
    local steps = {}
    for _, b in ipairs(c.build or {}) do steps[#steps + 1] = S.source and S.source.instead_of[b] or b end
    if c.install then steps[#steps + 1] = "install" end
    if c.deploy then steps[#steps + 1] = "deploy" end
    task(name) {
      desc = (c.desc or name) .. (c.time and (" (" .. c.time .. ")") or "") .. (c.use_when and (": " .. c.use_when) or ""),
      alias = c.alias or { "v3-" .. name },
      always = true,
      run = function()
        local cfg = c.deploy and S.config() -- a missing or bad CONFIG stops here, before anything is destroyed
        if c.confirm then
          S.lib.confirm(name .. " removes every sindri image, the base included, and all BuildKit cache")
        end
        local stale = sb.outdated(steps)
        if not c.rebuild and next(stale) == nil then
          print(string.format("sindri-build: %s: nothing changed; %s", name,
            cfg and ("deployment '" .. cfg.name .. "' is current and left running") or "everything is current"))
          return true
        end
        -- destroy first: a deployment that is about to be replaced must not keep its image in use
        if c.deploy and (c.rebuild or stale["deploy"]) then
          local ok = sb.build { "destroy" }
          if not ok then error(name .. ": destroy failed", 0) end
        end
        if c.clear then cache.clear(c.clear, { confirmed = c.confirm }) end
        if c.remove then cache.remove_images(c.remove) end
        local ok, rc = sb.build(steps)
        if not ok then error(name .. ": a step failed (exit status " .. rc .. ")", 0) end
        return true
      end,
    }
  end
end

cycle "cycle-fast" {
  desc = "Fast cycle (recommended)", time = "3-5 min, incremental 1-2 min", use_when = "daily dev",
  clear = "soft", build = { "docker-build-fast" }, install = true, deploy = true,
}

cycle "cycle-clean" {
  desc = "Clean rebuild", time = "10-15 min", use_when = "things break",
  clear = "medium", remove = "non-base", build = { "docker-build-fast-nocache" }, install = true, deploy = true,
  rebuild = true,
}

cycle "cycle-nuclear" {
  desc = "Full rebuild", time = "40-50 min", use_when = "rarely",
  confirm = true, clear = "nuke", build = { "docker-build-base", "docker-build-fast" }, install = true, deploy = true,
  rebuild = true,
}
