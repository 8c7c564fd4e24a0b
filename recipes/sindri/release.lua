-- sindri.release: the guide's release steps: release build, --version check, production image, tags, push.
local S = sindri

image "docker-build-release" {
  desc = "Build the production image (v3/Dockerfile) as sindri:VERSION",
  dockerfile = S.v3 .. "/Dockerfile", context = ".",
  tags = { S.repo .. ":" .. S.version },
  -- a production Dockerfile that starts FROM the base gets the same one as the dev image
  build_args = { BASE_IMAGE = S.base_image },
  deps = S.local_base and { S.base_task } or nil,
}

task "release" {
  desc = "Release: cargo build --release, check --version, production image, registry tags (PUSH=1 pushes)",
  alias = { "v3-release" },
  deps = { "docker-build-release" },
  always = true,
  pool = "console",
  run = function()
    local ok, rc = sb.run { "cargo", "build", "--release", "--locked", cwd = S.v3 }
    if not ok then error("cargo build --release failed with exit status " .. rc, 0) end
    local out = sb.capture { S.v3 .. "/target/release/sindri", "--version" }
    if not out:find(S.version, 1, true) then
      error("the release binary says '" .. out:gsub("%s+$", "") .. "', not version " .. S.version, 0)
    end
    local img = assert(docker.inspect_image(S.repo .. ":" .. S.version), "no production image")
    local docker_cli = os.getenv("DOCKER") or (sb.exists("/usr/bin/docker") and "/usr/bin/docker" or "docker")
    for _, tag in ipairs { S.registry .. "/sindri:" .. S.version, S.registry .. "/sindri:latest" } do
      assert(docker.tag(img.Id, tag))
      print("tagged " .. tag)
      if var("PUSH") == "1" then
        local pushed, prc = sb.run { docker_cli, "push", tag }
        if not pushed then error("docker push " .. tag .. " failed with exit status " .. prc, 0) end
      end
    end
    return true
  end,
}
