#!/bin/sh
# Stand-in installer: records which clients would be installed.
set -eu
for tool in aws gcloud az; do
	echo "cloud-tools: would install $tool"
done
