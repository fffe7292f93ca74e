// Leaflet helpers (Leaflet itself is a classic script served from xstatic-leaflet: window.L).
// Tooltips get DOM text nodes, never HTML strings, so a unit or place name stays text.
import {api, config} from './api.js';

const L = window.L;
export const REGENCY_VIEW = {center: [-2.55, 103.9], zoom: 8.5};

/** A tooltip/popup body that is plain text whatever the string holds. */
export const textNode = text => document.createTextNode(String(text ?? ''));

/** A map in element `id`: tiles only when MAP_TILE_URL is set, unit posts on top. */
export function makeMap(id, {units = true} = {}) {
  const map = L.map(id, {zoomSnap: 0.5}).setView(REGENCY_VIEW.center, REGENCY_VIEW.zoom);
  if (config.tileUrl) L.tileLayer(config.tileUrl, {maxZoom: 18}).addTo(map);
  if (units) addUnits(map);
  return map;
}

/** Unit posts (and positions) as small circles; they give an offline map its bearings. */
export async function addUnits(map) {
  const layer = L.layerGroup().addTo(map);
  const data = await api('GET', '/v1/operator/units', undefined, {quiet: true});
  for (const u of data.units) {
    if (u.lat === null || u.lat === undefined) continue;
    L.circleMarker([u.lat, u.lon], {radius: 4, color: u.on_duty ? '#246' : '#999', weight: 1,
      fillOpacity: 0.6}).bindTooltip(textNode(`${u.name} (${u.post_name})`)).addTo(layer);
  }
  return layer;
}
