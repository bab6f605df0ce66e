#!/usr/bin/env bash
# Re-vendor GraphiQL and React from the npm registry into app/graphql/static/graphiql/vendor/
# (package data: Roster serves them itself, no CDN at run time).
#   scripts/vendor-graphiql.sh                      # the versions below
#   GRAPHIQL=3.8.3 REACT=18.2.0 scripts/vendor-graphiql.sh
# Needs npm (only to download the tarballs). Then update the versions in ../README.md there.
set -euo pipefail
GRAPHIQL="${GRAPHIQL:-3.8.3}"
REACT="${REACT:-18.2.0}"
dest="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/app/graphql/static/graphiql/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir "$pkg" && tar xzf "$pkg.tgz" -C "$pkg"
done
cp "graphiql-$GRAPHIQL/package/graphiql.min.js" "graphiql-$GRAPHIQL/package/graphiql.min.css" "$dest/"
cp "graphiql-$GRAPHIQL/package/LICENSE" "$dest/LICENSE.graphiql"
cp "react-$REACT/package/umd/react.production.min.js" "$dest/"
cp "react-$REACT/package/LICENSE" "$dest/LICENSE.react"
cp "react-dom-$REACT/package/umd/react-dom.production.min.js" "$dest/"
cp "react-dom-$REACT/package/LICENSE" "$dest/LICENSE.react-dom"
# The page and its start-up script (roster-graphiql.js) are Roster's own, not vendored.
echo "vendored graphiql $GRAPHIQL, react and react-dom $REACT into $dest"
