-- sindri.lib: small helpers the Sindri recipes share: versions, git, sizes, confirmation, JSON.
local M = {}

-- read: a whole file, or nil.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- cargo_version: [workspace.package] version of a Cargo.toml (the make targets' VERSION).
function M.cargo_version(path)
  local text = M.read(path)
  if not text then return nil end
  local section
  for line in text:gmatch("[^\n]*") do
    local s = line:match("^%s*%[([^%]]+)%]")
    if s then
      section = s
    elseif section == "workspace.package" or section == "package" then
      local v = line:match('^%s*version%s*=%s*"([^"]+)"')
      if v then return v end
    end
  end
  return nil
end

-- git_sha: the short SHA of HEAD, read from .git without spawning git (the no-op path spawns nothing).
function M.git_sha(dir)
  local gitdir
  for _ = 1, 32 do
    local dotgit = dir .. "/.git"
    local head = M.read(dotgit .. "/HEAD")
    if head then gitdir = dotgit break end
    local link = M.read(dotgit) -- a worktree: "gitdir: path"
    if link and link:match("^gitdir: ") then gitdir = link:match("^gitdir: (%S+)") break end
    dir = dir .. "/.."
  end
  if not gitdir then return nil end
  local head = M.read(gitdir .. "/HEAD") or ""
  local ref = head:match("^ref: (%S+)")
  if not ref then return head:match("^(%x+)") and head:sub(1, 7) end
  local common = (M.read(gitdir .. "/commondir") or ""):match("(%S+)")
  local dirs = { gitdir, common and (gitdir .. "/" .. common) or nil }
  for _, d in ipairs(dirs) do
    local sha = M.read(d .. "/" .. ref)
    if sha then return sha:sub(1, 7) end
    local packed = M.read(d .. "/packed-refs")
    if packed then
      for line in packed:gmatch("[^\n]+") do
        local s, r = line:match("^(%x+) (%S+)$")
        if r == ref then return s:sub(1, 7) end
      end
    end
  end
  return nil
end

-- human: bytes as "1.2 GB".
function M.human(n)
  n = tonumber(n) or 0
  local units = { "B", "KB", "MB", "GB", "TB" }
  local i = 1
  while n >= 1000 and i < #units do n = n / 1000; i = i + 1 end
  return i == 1 and string.format("%d B", n) or string.format("%.1f %s", n, units[i])
end

-- age: seconds as "3 days".
function M.age(secs)
  secs = math.max(0, secs or 0)
  for _, u in ipairs({ { 86400, "day" }, { 3600, "hour" }, { 60, "minute" } }) do
    if secs >= u[1] then
      local k = secs // u[1]
      return string.format("%d %s%s", k, u[2], k == 1 and "" or "s")
    end
  end
  return string.format("%d seconds", secs)
end

-- duration: "1h", "30m", "168h", "7d" as seconds.
function M.duration(s)
  local n, u = tostring(s):match("^(%d+)([smhd]?)$")
  if not n then error("bad duration '" .. tostring(s) .. "': use a number with s, m, h or d, like 1h", 0) end
  return tonumber(n) * ({ s = 1, m = 60, h = 3600, d = 86400, [""] = 1 })[u]
end

-- du: bytes used below a path (0 when missing).
function M.du(path)
  if not sb.exists(path) then return 0 end
  local out, rc = sb.capture { "du", "-sk", path }
  if rc ~= 0 then return 0 end
  return (tonumber(out:match("^(%d+)")) or 0) * 1024
end

-- confirm: ask on a terminal; without one, go on only with FORCE=1 or --yes, and say so. A "no" raises, or returns
-- false with opts.cancel_ok (the Makefile's v3-cycle: a "no" is not a failure).
function M.confirm(what, opts)
  if var("FORCE") == "1" or var("YES") == "1" then return true end
  if not sb.tty() then
    error(what .. ": refusing without a terminal to confirm on; run again with FORCE=1 or --yes", 0)
  end
  io.stderr:write(what .. ". Continue? [y/N] ")
  io.stderr:flush()
  local answer = io.stdin:read("l") or ""
  if answer:match("^[yY]") then return true end
  if opts and opts.cancel_ok then return false end
  error(what .. ": not confirmed; nothing was done", 0)
end

-- json: encode a Lua value (tables with a [1] are arrays; keys sorted, for stable output).
function M.json(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return ({ ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t" })[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  local inner = indent .. "  "
  local parts = {}
  if v[1] ~= nil or next(v) == nil then
    for _, x in ipairs(v) do parts[#parts + 1] = inner .. M.json(x, inner) end
    if #parts == 0 then return "[]" end
    return "[\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = inner .. M.json(k) .. ": " .. M.json(v[k], inner) end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

-- on_path: the full path of a program on PATH, or nil.
function M.on_path(prog)
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local p = dir .. "/" .. prog
    local f = io.open(p, "r")
    if f then f:close() return p end
  end
  return nil
end

-- quote: a word as a POSIX shell reads it back.
function M.quote(w)
  w = tostring(w)
  if w ~= "" and not w:find("[^%w@%%+=:,./_-]") then return w end
  return "'" .. w:gsub("'", "'\\''") .. "'"
end

-- cmd: an argv as one line a person can paste into a shell; argv.cwd becomes "(cd DIR && ...)", argv.env a prefix.
function M.cmd(argv)
  local words = {}
  for _, w in ipairs(argv) do words[#words + 1] = M.quote(w) end
  local line = table.concat(words, " ")
  if argv.env then line = argv.env .. " " .. line end
  if argv.cwd then line = "(cd " .. M.quote(argv.cwd) .. " && " .. line .. ")" end
  return line
end

-- docker_cli: the docker client the recipes run (DOCKER, else Debian's /usr/bin/docker, else docker on PATH).
function M.docker_cli()
  local d = os.getenv("DOCKER")
  if d and d ~= "" then return d end
  return sb.exists("/usr/bin/docker") and "/usr/bin/docker" or "docker"
end

-- say: one line of the recipes' own, prefixed like sindri-build's messages.
function M.say(fmt, ...)
  io.stdout:write("sindri-build: ", string.format(fmt, ...), "\n")
  io.stdout:flush()
end

-- plan: one line of a dry run's script: a command as it is, a comment with "# " in front.
function M.plan(line) io.stdout:write(line, "\n") io.stdout:flush() end
function M.note(fmt, ...) M.plan("# " .. string.format(fmt, ...)) end

return M
