#!/bin/sh
# pkg-manager.sh: the distro layer of the base image (Sindri's real one installs packages with apt-get, dnf or
# zypper). Offline stand-in: it only records which distro the base was built for.
set -eu
distro=${SINDRI_DISTRO:-ubuntu}
case "$distro" in
ubuntu | fedora | opensuse) ;;
*) echo "pkg-manager.sh: unknown distro '$distro' (ubuntu, fedora or opensuse)" >&2; exit 1 ;;
esac
echo "distro=$distro" >>/opt/sindri/BASE_INFO
