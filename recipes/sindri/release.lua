-- sindri.release: the guide's release steps: release build, --version check, production image (this distro's
-- release image, v3/Dockerfile), registry tags, push.
local S = sindri
local lib = S.lib

-- steps: the release after the image, run or printed (dry).
local function steps(dry)
  local function run(argv, what)
    if dry then return lib.plan(lib.cmd(argv)) end
    local ok, rc = sb.run(argv)
    if not ok then error(what .. " failed with exit status " .. rc, 0) end
  end
  run({ "cargo", "build", "--release", "--locked", cwd = S.v3 }, "cargo build --release")
  if dry then
    lib.plan(lib.cmd { S.v3 .. "/target/release/sindri", "--version" } .. "  # must print " .. S.version)
  else
    local out = sb.capture { S.v3 .. "/target/release/sindri", "--version" }
    if not out:find(S.version, 1, true) then
      error("the release binary says '" .. out:gsub("%s+$", "") .. "', not version " .. S.version, 0)
    end
  end
  local source = S.release_tags[1]
  local img = not dry and assert(docker.inspect_image(source), "no production image " .. source)
  for _, tag in ipairs { S.registry .. "/sindri:" .. S.version, S.registry .. "/sindri:latest" } do
    if dry then
      lib.plan(lib.cmd { lib.docker_cli(), "tag", source, tag })
    else
      assert(docker.tag(img.Id, tag))
      print("tagged " .. tag)
    end
    if var("PUSH") == "1" then run({ lib.docker_cli(), "push", tag }, "docker push " .. tag) end
  end
  return true
end

task "release" {
  desc = "Release: cargo build --release, check --version, the " .. S.distro .. " release image, registry tags "
    .. "(PUSH=1 pushes)",
  alias = { "v3-release" }, group = "maintenance",
  deps = { S.release_task },
  always = true,
  pool = "console",
  run = function() return steps(false) end,
  plan = function() steps(true) end,
}
