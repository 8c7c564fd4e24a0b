#!/bin/sh
# Stand-in installer: the real one would use npm and uv from its dependencies.
set -eu
echo "ai-tools: would install assistants with npm and uv"
