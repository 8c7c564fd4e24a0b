-- sindri.lua: the make targets of Sindri's top-level Makefile (branch v3) and of the maintainer guide, as
-- sindri-build tasks. Used as is in a Sindri checkout without a sindri-build.lua; a project's own sindri-build.lua
-- can `require "sindri"` and then add or replace tasks and cycles. Every target also answers to its v3- name.
local lib = require "sindri.lib"

local V3 = var("V3_DIR", "v3")
local VERSION = var("VERSION") or lib.cargo_version(V3 .. "/Cargo.toml") or "0.0.0"
local SHA = var("GIT_COMMIT") or lib.git_sha(".") or "unknown"

-- The Makefile's distros: DISTRO ?= ubuntu, checked before anything is done.
local DISTROS = { "ubuntu", "fedora", "opensuse" }
local DISTRO = var("DISTRO", "ubuntu")
local valid = false
for _, d in ipairs(DISTROS) do valid = valid or d == DISTRO end
if not valid then
  error(string.format("unknown DISTRO '%s'; valid values: %s (run again with DISTRO=ubuntu, for instance)", DISTRO,
    table.concat(DISTROS, " ")), 0)
end
local R = var("IMAGE_REPO", "sindri") -- the image repository (tests use their own)
local REGISTRY = var("REGISTRY", "ghcr.io/pacphi")

local S = {
  v3 = V3, version = VERSION, sha = SHA, distro = DISTRO, distros = DISTROS,
  -- the guide's tags (sindri:latest, sindri:base-latest, ...) go to the images of this distro, the Makefile's default
  default_distro = "ubuntu",
  registry = REGISTRY, repo = R,
  -- the Makefile's version pins, passed to every base and release build
  pins = {
    UBUNTU_VERSION = var("UBUNTU_VERSION", "24.04"),
    FEDORA_VERSION = var("FEDORA_VERSION", "41"),
    OPENSUSE_VERSION = var("OPENSUSE_VERSION", "15.6"),
  },
  base_image_given = var("BASE_IMAGE"),
  lib = lib,
  d = {},       -- per distro: task names and tags (below)
  names = {},   -- every stock target name and alias -> the task it names
}
sindri = S -- for a project's own recipe and for the modules below

for _, d in ipairs(DISTROS) do
  local guide = d == S.default_distro
  local t = {
    distro = d,
    base_task = "docker-build-base-" .. d,
    base_tags = { R .. ":base-" .. d .. "-" .. VERSION, R .. ":base-" .. d .. "-latest" },
    dev_task = "docker-build-dev-" .. d,
    -- the first tag is the one checked for the key: stable across commits, so a new commit with the same inputs
    -- re-tags the image instead of rebuilding it
    dev_tags = { R .. ":v3-" .. d .. "-dev", R .. ":" .. VERSION .. "-" .. SHA .. "-" .. d .. "-dev" },
    release_task = "docker-build-" .. d,
    release_tags = { R .. ":v3-" .. d .. "-local", R .. ":" .. VERSION .. "-" .. SHA .. "-" .. d },
    -- where the Makefile gets the base: BASE_IMAGE ?= $(REGISTRY)/sindri:base-$(DISTRO)-latest
    published = S.base_image_given or (REGISTRY .. "/" .. R .. ":base-" .. d .. "-latest"),
  }
  if guide then
    -- the guide's tags, so a sindri.yaml written from the guide (image: sindri:latest) deploys what was built
    t.base_tags[#t.base_tags + 1] = R .. ":base-" .. VERSION
    t.base_tags[#t.base_tags + 1] = R .. ":base-latest"
    t.dev_tags[#t.dev_tags + 1] = R .. ":latest"
    t.dev_tags[#t.dev_tags + 1] = R .. ":" .. VERSION .. "-" .. SHA
    t.release_tags[#t.release_tags + 1] = R .. ":" .. VERSION
  end
  S.d[d] = t
end
local D = S.d[DISTRO]
-- this run's distro, as the other modules and a project's own recipe know it
S.base_task, S.base_tags = D.base_task, D.base_tags
S.dev_task, S.dev_tags = D.dev_task, D.dev_tags
S.fast_task, S.fast_tags = D.dev_task, D.dev_tags -- the guide's name for the dev image
S.release_task, S.release_tags = D.release_task, D.release_tags

local source = require "sindri.source"
require "sindri.images"
source.declare()

-- install_argv: the Makefile's `cd v3 && cargo install --path crates/sindri`, with --locked and CARGO_FLAGS.
-- (Run functions capture only what their result depends on: a captured value is part of the task's key.)
local function install_argv()
  local argv = { "cargo", "install", "--locked", "--path", "crates/sindri", cwd = V3 }
  for flag in (var("CARGO_FLAGS") or ""):gmatch("%S+") do argv[#argv + 1] = flag end
  return argv
end
S.install_argv = install_argv

task "install" {
  desc = "Install the sindri CLI: cd v3 && cargo install --locked --path crates/sindri (skipped when the crates are "
    .. "unchanged)",
  alias = { "v3-install" }, group = "build",
  inputs = { V3 .. "/Cargo.toml", V3 .. "/Cargo.lock", V3 .. "/crates/", V3 .. "/.cargo/*" },
  exclude = { "**/target" },
  env = { "CARGO_INSTALL_ROOT", "CARGO_HOME" },
  vars = { "CARGO_FLAGS" },
  run = function()
    local ok, rc = sb.run(install_argv())
    if not ok then error("cargo install failed with exit status " .. rc, 0) end
  end,
  plan = function() lib.plan(lib.cmd(install_argv())) end,
}

require "sindri.cache"
require "sindri.deploy"
require "sindri.cycles"
require "sindri.doctor"
require "sindri.release"

default(S.dev_task) -- the working-tree dev image; the git ref's with --from-source
return S
