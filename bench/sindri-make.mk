# bench/sindri-make.mk: the maintainer guide's make targets ported literally onto examples/mini-sindri, as the
# peer that bench/docker.sh measures a no-op `sindri-build cycle-fast` against. Like the real Makefile, every
# target always runs: clear, destroy, docker build, cargo install, deploy.
#   make -f sindri-make.mk v3-cycle-fast CONFIG=sindri.yaml NAME=<container> REPO=<image repo>
DOCKER ?= /usr/bin/docker
REPO ?= sindri
NAME ?= mini-sindri-dev
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' v3/Cargo.toml | head -n 1)
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo nogit)
export DOCKER_BUILDKIT = 1

v3-cache-clear-soft:
	rm -rf $(HOME)/.cache/sindri/repos $(HOME)/Library/Caches/sindri/repos
	if [ -d v3/target ]; then cd v3 && cargo clean -p sindri; fi

v3-docker-build-base:
	$(DOCKER) build -f v3/Dockerfile.base -t $(REPO):base-$(VERSION) -t $(REPO):base-latest v3

v3-docker-build-fast:
	$(DOCKER) build -f v3/Dockerfile.dev --build-arg BASE_IMAGE=$(REPO):base-latest \
		-t $(REPO):$(VERSION)-$(GIT_COMMIT) -t $(REPO):latest .

v3-install:
	cargo install --locked --path v3/crates/sindri

v3-destroy:
	$(DOCKER) rm -f $(NAME) || true
	$(DOCKER) volume rm -f $(NAME)_home || true

v3-deploy:
	$(DOCKER) run -d --name $(NAME) -v $(NAME)_home:/alt/home/developer $(REPO):latest

v3-cycle-fast:
	@test -n "$(CONFIG)" || { echo "CONFIG is required"; exit 1; }
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) v3-cache-clear-soft
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) v3-destroy
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) v3-docker-build-fast
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) v3-install
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) v3-deploy

.PHONY: v3-cache-clear-soft v3-docker-build-base v3-docker-build-fast v3-install v3-destroy v3-deploy v3-cycle-fast
