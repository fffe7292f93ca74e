// Leaflet helpers (Leaflet itself is a classic script served from xstatic-leaflet: window.L).
// The map works offline: kecamatan and desa boundaries with their names come from our own
// GeoJSON (cached by the browser), unit posts sit on top, tiles only when MAP_TILE_URL is set.
// Every label and tooltip is a DOM text node, never an HTML string, so a unit or place name
// stays text whatever it contains.
import {api, config, el} from './api.js';

const L = window.L;
export const REGENCY_VIEW = {center: [-2.55, 103.9], zoom: 8.5};
const DESA_LABELS_FROM_ZOOM = 11;

/** A tooltip/popup body that is plain text whatever the string holds. */
export const textNode = text => document.createTextNode(String(text ?? ''));

/** A map in element `id`: boundaries, then unit posts; tiles only when configured. */
export function makeMap(id, {units = true, areas = true} = {}) {
  const map = L.map(id, {zoomSnap: 0.5}).setView(REGENCY_VIEW.center, REGENCY_VIEW.zoom);
  map.createPane('areas').style.zIndex = 350;    // under markers (600) and overlays (400)
  map.createPane('areaLabels').style.zIndex = 450;
  if (config.tileUrl) L.tileLayer(config.tileUrl, {maxZoom: 18}).addTo(map);
  map.ready = Promise.all([areas ? addAreas(map) : null, units ? addUnits(map) : null])
    .then(([layers]) => {
      // Frame the regency once its outline is known, unless the page has moved the map.
      const k = layers && layers.kecamatan, c = map.getCenter();
      if (k && map.getZoom() === REGENCY_VIEW.zoom && c.lat === REGENCY_VIEW.center[0] &&
          c.lng === REGENCY_VIEW.center[1]) map.fitBounds(k.getBounds(), {padding: [4, 4]});
      return layers;
    });
  return map;
}

async function geojson(level) {
  try {
    return await api('GET', '/v1/operator/places/areas.geojson?level=' + level, undefined,
      {quiet: true});
  } catch (e) {
    return null;  // no boundary data (yet): the map still works with posts and units
  }
}

function labelMarker(feature, className) {
  const p = feature.properties;
  if (p.label_lat === null || p.label_lat === undefined) return null;
  return L.marker([p.label_lat, p.label_lon], {pane: 'areaLabels', interactive: false,
    keyboard: false, icon: L.divIcon({className: 'area-label ' + className, iconSize: null,
      html: el('span', {'data-code': p.code}, p.name)})});
}

/** Kecamatan and desa boundaries with labels: kecamatan names when zoomed out, desa names
 *  when zoomed in. Resolves to {kecamatan, desa} layers (null where unavailable). */
export async function addAreas(map) {
  const [kec, desa] = await Promise.all([geojson('kecamatan'), geojson('desa')]);
  const result = {kecamatan: null, desa: null};
  const labels = {kecamatan: L.layerGroup(), desa: L.layerGroup()};
  if (desa && desa.features) {
    result.desa = L.geoJSON(desa, {pane: 'areas', interactive: false,
      style: {color: '#7a8a80', weight: 0.6, fill: false, opacity: 0.8}}).addTo(map);
    desa.features.forEach(f => { const m = labelMarker(f, 'desa'); if (m) m.addTo(labels.desa); });
  }
  if (kec && kec.features) {
    result.kecamatan = L.geoJSON(kec, {pane: 'areas',
      style: {color: '#3d5a4a', weight: 1.6, fillColor: '#dfe8e1', fillOpacity: 0.25},
      onEachFeature: (f, layer) => layer.bindTooltip(textNode(f.properties.name),
        {sticky: true, direction: 'top'})}).addTo(map);
    kec.features.forEach(f => { const m = labelMarker(f, 'kecamatan'); if (m) m.addTo(labels.kecamatan); });
  }
  const showLabels = () => {
    const near = map.getZoom() >= DESA_LABELS_FROM_ZOOM;
    for (const [level, group] of Object.entries(labels)) {
      const want = (level === 'desa') === near;
      if (want && !map.hasLayer(group)) group.addTo(map);
      if (!want && map.hasLayer(group)) group.remove();
    }
  };
  map.on('zoomend', showLabels);
  showLabels();
  return result;
}

/** Where a unit is: its live position when the API gives one, else its post. */
export function unitLatLon(u) {
  const p = u.position;
  if (p && p.lat !== null && p.lat !== undefined) return [p.lat, p.lon];
  if (u.lat === null || u.lat === undefined) return null;
  return [u.lat, u.lon];
}

/** Units as small circles at their post or position, with a text tooltip. */
export async function addUnits(map) {
  const layer = L.layerGroup().addTo(map);
  let data;
  try {
    data = await api('GET', '/v1/operator/units', undefined, {quiet: true});
  } catch (e) {
    return layer;
  }
  for (const u of data.units) {
    const at = unitLatLon(u);
    if (!at) continue;
    L.circleMarker(at, {radius: 5, color: u.on_duty ? '#246' : '#999', weight: 1.5,
      fillOpacity: 0.7, className: 'unit-marker'})
      .bindTooltip(textNode(`${u.name} (${u.call_sign}) · ${u.post_name}`)).addTo(layer);
  }
  return layer;
}
