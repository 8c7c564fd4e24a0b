-- sindri.dockerfile: what the Sindri recipes need to know of a Dockerfile, read in Lua: its stages (the image each
-- starts FROM, with ARGs put in), the context files each COPY/ADD reads, and a "# syntax=" line. The image task
-- keys the build with the C reader; this one only answers the recipes' own questions (doctor's "does the final
-- stage start FROM the base", the base choice's "which files does Dockerfile.base copy").
local M = {}

-- expand: $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alt} from args (unset names become "").
local function expand(s, args)
  s = s:gsub("%${([%w_]+):([-+])([^}]*)}", function(name, op, word)
    local v = args[name]
    if op == "-" then return (v ~= nil and v ~= "") and v or word end
    return (v ~= nil and v ~= "") and word or ""
  end)
  s = s:gsub("%${([%w_]+)}", function(name) return args[name] or "" end)
  return (s:gsub("%$([%a_][%w_]*)", function(name) return args[name] or "" end))
end
M.expand = expand

-- words: the arguments of an instruction, in shell-like words or in a JSON array.
local function words(rest)
  local out = {}
  if rest:match("^%s*%[") then
    for w in rest:gmatch('"((\\.|[^"])*)"') do out[#out + 1] = w:gsub('\\(.)', "%1") end
    return out
  end
  for w in rest:gmatch("%S+") do out[#out + 1] = w:gsub('^"(.*)"$', "%1") end
  return out
end

-- instructions: the logical lines of a Dockerfile (continuations joined, comments and heredoc bodies left out),
-- each as { line = N, op = "COPY", rest = "..." }; also the "# syntax=" directive.
local function instructions(text)
  local list, syntax, pending, start, heredoc = {}, nil, nil, nil, nil
  local n, directives = 0, true
  for raw in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local line = raw:gsub("\r$", "")
    if heredoc then
      if (heredoc.strip and line:gsub("^\t+", "") or line) == heredoc.word then heredoc = nil end
    elseif not pending and line:match("^%s*#") then
      local s = directives and line:match("^%s*#%s*[Ss][Yy][Nn][Tt][Aa][Xx]%s*=%s*(%S+)")
      if s then syntax = s end
    elseif pending or line:match("%S") then
      directives = false
      if not pending then pending, start = "", n end
      local body = line:match("^(.-)\\%s*$")
      pending = pending .. " " .. (body or line)
      if not body then
        local op, rest = pending:match("^%s*(%a+)%s*(.*)$")
        if op then
          list[#list + 1] = { line = start, op = op:upper(), rest = rest }
          local strip, word = rest:match("<<(%-?)[\"']?([%w_]+)[\"']?")
          if word then heredoc = { word = word, strip = strip == "-" } end
        end
        pending = nil
      end
    end
  end
  return list, syntax
end

-- read: the stages of the Dockerfile at path with build args args (NAME = value), or nil and why:
-- { syntax = "...", stages = { { from = ref (args put in), raw = as written, name = alias or nil, line = N,
--   copies = { { line = N, from = stage or nil, srcs = { "path", ... } } } } } }
function M.read(path, args)
  local f = io.open(path, "rb")
  if not f then return nil, "cannot read '" .. path .. "'" end
  local text = f:read("a")
  f:close()
  local list, syntax = instructions(text)
  local global, stages = {}, {}
  for k, v in pairs(args or {}) do global[k] = v end
  local declared = {} -- global ARG names: only these reach a FROM line
  local cur
  for _, ins in ipairs(list) do
    if ins.op == "ARG" then
      for _, w in ipairs(words(ins.rest)) do
        local name, def = w:match("^([%w_]+)=(.*)$")
        name = name or w:match("^([%w_]+)$")
        if name then
          local scope = cur and cur.args or global
          if not cur then declared[name] = true end
          if (args or {})[name] == nil and def then
            scope[name] = expand(def, scope)
          elseif cur and global[name] ~= nil then
            scope[name] = global[name]
          end
        end
      end
    elseif ins.op == "FROM" then
      local w, i = words(ins.rest), 1
      while w[i] and w[i]:match("^%-%-") do i = i + 1 end
      local vis = {}
      for k in pairs(declared) do vis[k] = global[k] end
      local raw = w[i] or ""
      cur = { raw = raw, from = expand(raw, vis), line = ins.line, copies = {}, args = {} }
      if w[i + 1] and w[i + 1]:upper() == "AS" then cur.name = w[i + 2] end
      stages[#stages + 1] = cur
    elseif (ins.op == "COPY" or ins.op == "ADD") and cur then
      local w, from, i = words(ins.rest), nil, 1
      while w[i] and w[i]:match("^%-%-") do
        from = w[i]:match("^%-%-from=(.+)$") or from
        i = i + 1
      end
      local srcs = {}
      for j = i, #w - 1 do
        if not w[j]:match("^<<") and not w[j]:match("^%a[%w+.-]*://") then srcs[#srcs + 1] = w[j] end
      end
      cur.copies[#cur.copies + 1] = { line = ins.line, from = from, srcs = srcs }
    end
  end
  return { syntax = syntax, stages = stages }
end

-- context_sources: every context path the Dockerfile's COPY/ADD read (not those from a stage or an image).
function M.context_sources(d)
  local out, seen = {}, {}
  for _, st in ipairs(d.stages) do
    for _, c in ipairs(st.copies) do
      if not c.from then
        for _, s in ipairs(c.srcs) do
          s = s:gsub("^%./", ""):gsub("/$", "")
          if not seen[s] then seen[s] = true; out[#out + 1] = s end
        end
      end
    end
  end
  return out
end

return M
