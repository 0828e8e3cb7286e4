/* The side panel of a siting scenario map (siting.maps.panel): the rule table, whose rows highlight
   their sites, and the what-if panel, which recomputes coverage and capacity for the sites ticked.
   No network access and no library but Leaflet. */

/* The sorted positions of an id-set text (siting.maps.idsets): "d" + base64 varint gaps, or "b" + base64 bits. */
function sitingDecodeIds(text, n) {
  var raw = atob(text.slice(1)), bytes = new Uint8Array(raw.length), out = [], i;
  for (i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  if (text.charAt(0) === 'b') {
    for (i = 0; i < n; i++) { if (bytes[i >> 3] & (1 << (i & 7))) { out.push(i); } }
    return out;
  }
  var pos = -1, value = 0, scale = 1;
  for (i = 0; i < bytes.length; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if (bytes[i] & 0x80) { scale *= 128; continue; }
    pos += value + 1;
    out.push(pos);
    value = 0;
    scale = 1;
  }
  return out;
}

function sitingPanel(map, markers, data, texts) {
  var panel = document.getElementById('siting-panel');
  if (!panel) { return null; }
  var highlight = L.layerGroup().addTo(map), selected = null;

  function showTab(name) {
    panel.querySelectorAll('.siting-tab').forEach(function (b) { b.classList.toggle('siting-tab-on', b.dataset.tab === name); });
    panel.querySelectorAll('.siting-pane').forEach(function (p) { p.hidden = p.dataset.pane !== name; });
  }
  function setOpen(open) {
    document.body.classList.toggle('siting-panel-closed', !open);
    map.invalidateSize();
  }
  /* Highlight the sites of a rule (ring them, and bring them into view); the same row again clears it. */
  function selectRule(id, fromLink) {
    highlight.clearLayers();
    var row = document.getElementById('siting-rule-' + id), again = selected === id && !fromLink;
    panel.querySelectorAll('.siting-rule-row').forEach(function (r) { r.classList.remove('siting-selected'); });
    selected = again ? null : id;
    if (!row || again) { return []; }
    row.classList.add('siting-selected');
    var keys = (row.dataset.sites || '').split(' ').filter(Boolean), points = [];
    keys.forEach(function (k) {
      if (!markers[k]) { return; }
      var ll = markers[k].getLatLng();
      points.push(ll);
      L.circleMarker(ll, {radius: 22, color: '#ffb000', weight: 5, opacity: 0.95, fill: false, interactive: false,
                          className: 'siting-highlight'}).addTo(highlight);
    });
    if (fromLink) { row.scrollIntoView({block: 'nearest'}); }
    if (points.length && !map.getBounds().contains(L.latLngBounds(points))) {
      map.fitBounds(L.latLngBounds(points).pad(0.3), {maxZoom: Math.max(map.getZoom(), 12)});
    }
    return keys;
  }

  panel.querySelectorAll('.siting-tab').forEach(function (b) {
    b.addEventListener('click', function () { showTab(b.dataset.tab); });
  });
  panel.querySelectorAll('.siting-rule-row').forEach(function (row) {
    row.addEventListener('click', function () { selectRule(row.dataset.rule, false); });
  });
  var toggle = document.getElementById('siting-panel-toggle');
  if (toggle) {
    toggle.addEventListener('click', function () { setOpen(document.body.classList.contains('siting-panel-closed')); });
  }
  // a violation in a popup links back to its rule's row (capture: Leaflet stops some events in popups)
  document.addEventListener('click', function (ev) {
    var link = ev.target && ev.target.closest ? ev.target.closest('.siting-rule-link') : null;
    if (!link) { return; }
    ev.preventDefault();
    setOpen(true);
    showTab('rules');
    selectRule(link.dataset.rule, true);
  }, true);
  // an open popup goes over the legend, which sits above the map's panes
  var legend = document.getElementById('siting-legend');
  if (legend) {
    map.on('popupopen', function () { legend.style.visibility = 'hidden'; });
    map.on('popupclose', function () { legend.style.visibility = ''; });
  }
  var api = {selectRule: selectRule, showTab: showTab, setOpen: setOpen,
             highlighted: function () {
               return highlight.getLayers().map(function (l) { var p = l.getLatLng(); return [p.lat, p.lng]; });
             }};
  api.whatIf = data ? sitingWhatIf(panel, markers, data, texts) : null;
  return api;
}

function sitingWhatIf(panel, markers, data, texts) {
  var n = data.n, mark = new Uint8Array(n), decoded = {}, index = new Int32Array(n).fill(-1);
  var areas = {};
  var boxes = Array.prototype.slice.call(panel.querySelectorAll('input.siting-whatif-site'));
  function ids(text) {
    if (!(text in decoded)) { decoded[text] = sitingDecodeIds(text, n); }
    return decoded[text];
  }
  function number(x, digits) { return isFinite(x) ? x.toLocaleString('en-US', {maximumFractionDigits: digits}) : '—'; }
  function show(row, status, values) {
    row.dataset.status = status;
    Object.keys(values).forEach(function (k) { row.dataset[k] = String(values[k]); });
    row.classList.remove('siting-st-pass', 'siting-st-fail', 'siting-st-not_evaluable');
    if (status) { row.classList.add('siting-st-' + status); }
    row.querySelector('.siting-st').textContent = status ? texts[status] : '—';
  }
  if (n) { ids(data.points).forEach(function (p, j) { index[p] = j; }); }
  /* The existing facilities' points are summed already (base_covered); add each point a ticked site
     reaches that is not counted yet (and lies in the target's area), in the order of the sites. */
  function coverage(t, on) {
    mark.fill(0);
    ids(t.base).forEach(function (i) { mark[i] = 1; });
    if (t.area && !(t.id in areas)) {
      areas[t.id] = new Uint8Array(n);
      ids(t.area).forEach(function (i) { areas[t.id][i] = 1; });
    }
    var pop = data.pop[t.column], area = t.area ? areas[t.id] : null, covered = t.base_covered;
    t.sites.forEach(function (k) {
      if (!on[k]) { return; }
      ids(data.reach[t.key][k]).forEach(function (i) {
        if (mark[i]) { return; }
        mark[i] = 1;
        if (!area || area[i]) { covered += pop[index[i]]; }
      });
    });
    var share = t.population > 0 ? covered / t.population : NaN;
    var status = t.min_share === null || isNaN(share) ? '' : (share >= t.min_share - 1e-9 ? 'pass' : 'fail');
    var row = panel.querySelector('tr[data-target="' + t.id + '"]');
    show(row, status, {covered: covered, share: share, population: t.population});
    row.querySelector('.siting-covered').textContent = number(covered, 0);
    row.querySelector('.siting-share').textContent = isNaN(share) ? '—' : (100 * share).toFixed(1) + '%';
  }
  function capacity(c, on) {
    var added = c.fixed;
    c.sites.forEach(function (s) { if (on[s[0]]) { added += s[1]; } });
    var total = c.baseline === null ? added : c.baseline + added;
    var value = c.population ? total / c.population * 1000 : total;
    var goal = c.population ? c.min_per_1000 : c.target;
    var status = value >= goal - 1e-9 ? 'pass' : 'fail';
    if (c.baseline === null) { status = (c.population || status !== 'pass') ? 'not_evaluable' : 'pass'; }
    var row = panel.querySelector('tr[data-capacity="' + c.id + '"]');
    show(row, status, {total: total, value: value});
    row.querySelector('.siting-total').textContent = number(value, c.population ? 2 : 0) + ' / ' + number(goal, 2);
  }
  function recompute() {
    var on = {};
    boxes.forEach(function (b) {
      on[b.dataset.site] = b.checked;
      if (markers[b.dataset.site]) { markers[b.dataset.site].setOpacity(b.checked ? 1 : 0.4); }
    });
    data.targets.forEach(function (t) { coverage(t, on); });
    data.capacity.forEach(function (c) { capacity(c, on); });
  }
  var initial = {};
  data.sites.forEach(function (s) { initial[s.key] = s.on; });
  panel.querySelectorAll('button[data-tick]').forEach(function (b) {
    b.addEventListener('click', function () {
      boxes.forEach(function (box) {
        box.checked = b.dataset.tick === 'all' ? true : (b.dataset.tick === 'none' ? false : !!initial[box.dataset.site]);
      });
      recompute();
    });
  });
  boxes.forEach(function (b) { b.addEventListener('change', recompute); });
  recompute();
  return {recompute: recompute};
}
