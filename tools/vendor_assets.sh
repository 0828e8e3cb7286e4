#!/usr/bin/env bash
# Re-fetch the JS/CSS/fonts that offline map exports inline (siting/maps/vendor/).
#
# Versions are pinned to the URLs folium 0.20.0 emits; every package comes from the
# npm registry (`npm pack`) except folium's own two templates (heat map plugin and
# the icon-rotation CSS), which come from folium's sdist on PyPI. Only the files the
# exports need are kept, each with its licence. Re-running gives the same tree.
#
#   bash tools/vendor_assets.sh            # rewrite siting/maps/vendor/
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/siting/maps/vendor"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

unpack() {  # unpack <npm spec> -> prints the unpacked package dir
    local spec="$1" dir="$WORK/$(echo "$1" | tr '/@' '__')"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar --warning=no-unknown-keyword -xzf ./*.tgz)
    echo "$dir/package"
}

keep() {  # keep <src package dir> <dest subdir> <relative paths...>
    local src="$1" sub="$2"
    shift 2
    for rel in "$@"; do
        install -D -m 0644 "$src/$rel" "$DEST/$sub/$rel"
    done
}

rm -rf "$DEST"
mkdir -p "$DEST"

p=$(unpack leaflet@1.9.3)
keep "$p" leaflet@1.9.3 LICENSE dist/leaflet.js dist/leaflet.css \
    dist/images/layers.png dist/images/layers-2x.png dist/images/marker-icon.png \
    dist/images/marker-icon-2x.png dist/images/marker-shadow.png

p=$(unpack jquery@3.7.1)
keep "$p" jquery@3.7.1 LICENSE.txt dist/jquery.min.js

p=$(unpack bootstrap@5.2.2)
keep "$p" bootstrap@5.2.2 LICENSE dist/css/bootstrap.min.css dist/js/bootstrap.bundle.min.js

# Font Awesome: solid, regular and the v4 shims as woff2 only (brands and .ttf dropped;
# offline export removes @font-face sources whose file is not vendored).
p=$(unpack @fortawesome/fontawesome-free@6.2.0)
keep "$p" fontawesome-free@6.2.0 LICENSE.txt css/all.min.css \
    webfonts/fa-solid-900.woff2 webfonts/fa-regular-400.woff2 webfonts/fa-v4compatibility.woff2

# Leaflet.awesome-markers 2.0.2 (the version folium links on cdnjs) is not on npm;
# 2.0.5 ships the same dist files.
p=$(unpack leaflet.awesome-markers@2.0.5)
keep "$p" leaflet.awesome-markers@2.0.5 LICENSE dist/leaflet.awesome-markers.js \
    dist/leaflet.awesome-markers.css dist/images/markers-soft.png dist/images/markers-soft@2x.png \
    dist/images/markers-shadow.png dist/images/markers-shadow@2x.png

# folium links bootstrap 3.0.0's glyphicons-only stylesheet (not on npm); cut the same
# rules (the @font-face and every .glyphicon rule) out of bootstrap 3.4.1.
p=$(unpack bootstrap@3.4.1)
keep "$p" bootstrap@3.4.1 LICENSE
keep "$p/dist" bootstrap@3.4.1 fonts/glyphicons-halflings-regular.woff2
mkdir -p "$DEST/bootstrap@3.4.1/css"
"$PY" - "$p/dist/css/bootstrap.css" "$DEST/bootstrap@3.4.1/css/glyphicons.css" <<'EOF'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
keep = []
for block in re.findall(r"[^{}]+\{[^{}]*\}", css):
    selector, body = block.split("{", 1)
    selector = selector.strip()
    if selector == "@font-face" and "Glyphicons Halflings" in body:
        keep.append(block.strip())
    elif all(s.strip().startswith(".glyphicon") for s in selector.split(",")):
        keep.append(block.strip())
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    fh.write("/* Glyphicons rules cut from Bootstrap v3.4.1 dist/css/bootstrap.css (MIT, see ../LICENSE) */\n")
    fh.write("\n".join(keep) + "\n")
EOF

p=$(unpack leaflet-measure@2.1.7)
keep "$p" leaflet-measure@2.1.7 LICENSE dist/leaflet-measure.min.js dist/leaflet-measure.css \
    $(cd "$p" && ls dist/images/*.png)

# Leaflet.heat licence (folium's leaflet_heat.min.js is Leaflet.heat 0.2.0 plus a weights patch).
p=$(unpack leaflet.heat@0.2.0)
keep "$p" folium@0.20.0/leaflet.heat LICENSE

# protomaps-leaflet: the extract basemap's renderer (vector tiles painted on canvas, labels placed
# without collisions; see siting/maps/basemap_osm.py). Its dist bundle includes the packages below,
# whose licence files are kept beside it (pmtiles and @protomaps/basemaps ship none: both are
# Protomaps LLC's, BSD-3-Clause like protomaps-leaflet's own LICENSE).
p=$(unpack protomaps-leaflet@5.1.0)
keep "$p" protomaps-leaflet@5.1.0 LICENSE dist/protomaps-leaflet.js
for spec in @mapbox/point-geometry@1.1.0=LICENSE @mapbox/vector-tile@2.0.5=LICENSE.txt color2k@2.0.4=LICENSE \
        pbf@4.0.2=LICENSE potpack@1.0.2=LICENSE quickselect@2.0.0=LICENSE rbush@3.0.1=LICENSE; do
    pkg="${spec%%=*}"
    p=$(unpack "$pkg")
    install -D -m 0644 "$p/${spec#*=}" "$DEST/protomaps-leaflet@5.1.0/bundled/$(echo "${pkg%@*}" | tr '/' '_').LICENSE"
done
printf '%s\n' "dist/protomaps-leaflet.js bundles (npm name, licence):" \
    "@mapbox/point-geometry ISC" "@mapbox/vector-tile BSD-3-Clause" "@protomaps/basemaps BSD-3-Clause" \
    "color2k MIT" "pbf BSD-3-Clause" "pmtiles BSD-3-Clause" "potpack ISC" "quickselect ISC" "rbush MIT" \
    > "$DEST/protomaps-leaflet@5.1.0/bundled/README"

mkdir -p "$WORK/folium"
"$PY" -m pip download --quiet --no-deps --no-binary :all: folium==0.20.0 -d "$WORK/folium" 2>/dev/null
tar -xzf "$WORK"/folium/folium-0.20.0.tar.gz -C "$WORK/folium"
f="$WORK/folium/folium-0.20.0"
keep "$f" folium@0.20.0 LICENSE.txt folium/templates/leaflet_heat.min.js folium/templates/leaflet.awesome.rotate.css

find "$DEST" -type f | sort | while read -r file; do
    printf '%s  %s\n' "$(sha256sum "$file" | cut -c1-64)" "${file#"$DEST"/}"
done > "$WORK/SHA256SUMS"
mv "$WORK/SHA256SUMS" "$DEST/SHA256SUMS"
echo "vendored into $DEST: $(du -sh "$DEST" | cut -f1)"
