#!/bin/sh
# The production build, run in the project folder by the Dockerfile's build
# stage and by test/server/production-build.test.ts, so both do the same:
# install every dependency (the build needs the Prisma CLI and TypeScript),
# generate the Prisma client (postinstall), compile src/ to dist/, then drop
# what only the build needed. Run it in a copy or a fresh clone: it prunes
# node_modules. The result starts with `node dist/main.js`.
#
#   --skip-install  use the node_modules already there (the test shares the worktree's)
#   --skip-prune    keep node_modules as it is (it is shared, so it must not be pruned)
set -eu
install=yes
prune=yes
for arg in "$@"; do
  case "$arg" in
    --skip-install) install=no ;;
    --skip-prune) prune=no ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

if [ "$install" = yes ]; then npm ci --no-audit --no-fund; fi
npm run build
if [ "$prune" = no ]; then exit 0; fi

# --omit=optional as well: @prisma/client lists the Prisma CLI and TypeScript
# as optional peers, so --omit=dev alone keeps them (and 250 MB with them).
npm prune --omit=dev --omit=optional --no-audit --no-fund

# The runtime tree must stay small enough to ship; README "Deploying" says what it holds.
size_mb=$(du -sm node_modules | cut -f1)
echo "production node_modules: ${size_mb} MB"
if [ "$size_mb" -gt 200 ]; then
  echo "production node_modules is over 200 MB" >&2
  exit 1
fi
