#!/usr/bin/env bash
# Makes a local Node.js base image for the repository's Dockerfile without a registry: the
# machine's own node and npm, the shared libraries they load, a shell (`RUN` needs /bin/sh),
# `env` (npm's shebang) and the machine's CA certificates (npm reaches the registry through the
# same TLS chain as the machine does), packed into a file system and loaded with `docker import`. The Dockerfile takes it as
# `--build-arg NODE_IMAGE=<image>`; elsewhere the default base (an official node image) is pulled.
# Idempotent: an image already there is kept.
# Use:   .ci/docker/node-image.sh [image]      (default local/node:<major>); prints the image name
# Exit:  0 ready; 1 it could not be made (reason on stderr).
set -euo pipefail
node_bin=$(readlink -f "$(command -v node)")
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
image="${1:-local/node:$major}"
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi

npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
shell=$(readlink -f /bin/sh)
env_bin=$(readlink -f "$(command -v env)") # npm's `#!/usr/bin/env node`
root=$(mktemp -d "${TMPDIR:-/tmp}/node-image.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,etc,tmp,root,usr/bin,usr/local/bin,usr/local/lib/node_modules}
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
cp "$shell" "$root/bin/sh"
cp "$env_bin" "$root/usr/bin/env"
cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The shared libraries these programs load, at the paths the loader looks for them.
for lib in $(ldd "$node_bin" "$shell" "$env_bin" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
ca=/etc/ssl/certs/ca-certificates.crt
if [ -f "$ca" ]; then mkdir -p "$root/etc/ssl/certs" && cp -L "$ca" "$root$ca"; fi
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  -c "ENV NODE_EXTRA_CA_CERTS=$ca" \
  -c 'CMD ["node"]' - "$image" >/dev/null
echo "$image"
