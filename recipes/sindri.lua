-- sindri.lua: the Sindri maintainer guide's make targets as sindri-build tasks.
-- Used as is in a Sindri checkout without a sindri-build.lua; a project's own sindri-build.lua can
-- `require "sindri"` and then add or replace tasks and cycles. Every target also answers to its v3- name.
local lib = require "sindri.lib"

local V3 = var("V3_DIR", "v3")
local VERSION = var("VERSION") or lib.cargo_version(V3 .. "/Cargo.toml") or "0.0.0"
local SHA = var("GIT_COMMIT") or lib.git_sha(".") or "nogit"
local DISTRO = var("DISTRO")
if DISTRO and not ({ ubuntu = true, fedora = true, opensuse = true })[DISTRO] then
  error("DISTRO must be ubuntu, fedora or opensuse, not '" .. DISTRO .. "'", 0)
end
local D = DISTRO and (DISTRO .. "-") or ""
local R = var("IMAGE_REPO", "sindri") -- the image repository (tests use their own)

local S = {
  v3 = V3, version = VERSION, sha = SHA, distro = DISTRO,
  registry = var("REGISTRY", "ghcr.io/pacphi"),
  repo = R,
  base_tags = { R .. ":base-" .. D .. VERSION, R .. ":base-" .. D .. "latest" },
  -- sindri:latest first: a new commit with the same inputs re-tags instead of rebuilding (the guide's Path A
  -- deploys image: sindri:latest, so it is always tagged, with or without DISTRO)
  fast_tags = DISTRO and { R .. ":v3-" .. DISTRO .. "-dev", R .. ":" .. VERSION .. "-" .. SHA .. "-" .. DISTRO .. "-dev",
                           R .. ":latest" }
                      or { R .. ":latest", R .. ":" .. VERSION .. "-" .. SHA },
  base_task = "docker-build-base",
  fast_task = "docker-build-fast",
  lib = lib,
}
S.base_image = var("BASE_IMAGE", S.base_tags[2])
sindri = S -- for a project's own recipe and for the modules below

-- The base is built here unless BASE_IMAGE names another image (a registry base, say).
local local_base = S.base_image == S.base_tags[2] or S.base_image == S.base_tags[1]
S.local_base = local_base

local base_args = {}
for _, a in ipairs { "RUST_VERSION", "UBUNTU_VERSION", "GH_VERSION" } do base_args[a] = var(a) end

image "docker-build-base" {
  desc = "Build base image (15-20 min, rare: Rust version change)",
  alias = { "v3-docker-build-base" },
  dockerfile = V3 .. "/Dockerfile.base", context = V3,
  tags = S.base_tags,
  build_args = base_args,
  -- CI: the base is keyed by hash in a registry (REMOTE_CACHE=ghcr.io/pacphi/sindri), pulled instead of rebuilt
  remote_cache = var("REMOTE_CACHE"),
}

local function fast(name, no_cache, desc)
  image(name) {
    desc = desc,
    alias = { "v3-" .. name },
    deps = local_base and { "docker-build-base" } or nil,
    dockerfile = V3 .. "/Dockerfile.dev", context = ".",
    tags = S.fast_tags,
    build_args = { BASE_IMAGE = S.base_image },
    no_cache = no_cache,
  }
end
fast("docker-build-fast", false, "Build using base (3-5 min, daily dev)")
fast("docker-build-fast-nocache", true, "Build without cache (5-8 min, cargo issues)")

task "install" {
  desc = "Install the sindri CLI with cargo install (skipped when the crates are unchanged)",
  alias = { "v3-install" },
  inputs = { V3 .. "/Cargo.toml", V3 .. "/Cargo.lock", V3 .. "/crates/" },
  exclude = { "**/target" },
  env = { "CARGO_INSTALL_ROOT" },
  vars = { "CARGO_FLAGS" },
  run = function()
    local argv = { "cargo", "install", "--locked", "--path", V3 .. "/crates/sindri" }
    for flag in (var("CARGO_FLAGS") or ""):gmatch("%S+") do argv[#argv + 1] = flag end
    local ok, rc = sb.run(argv)
    if not ok then error("cargo install failed with exit status " .. rc, 0) end
  end,
}

require "sindri.source"
require "sindri.cache"
require "sindri.deploy"
require "sindri.cycles"
require "sindri.doctor"
require "sindri.release"

default(S.fast_task) -- docker-build-from-source with --from-source
return S
