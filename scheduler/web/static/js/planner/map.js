// The plan on a map (Leaflet): okrug boundaries as the base layer (tiles only when the page
// has a tile URL), venues served / left out, depots, one line per truck-day, a legend and a
// day / truck filter. The view (centre, zoom) survives re-renders with a new plan.
import { fmtDay, fmtTime, t } from "/static/js/i18n.js";
import { lockIcon, planTrucks, stopActions, stopRef } from "./edits.js";
import { h } from "./dom.js";
import { reasonLabel, truckColours } from "./views-strings.js";

const LEAFLET_JS = "/static/vendor/leaflet/leaflet.js";
const LEAFLET_CSS = "/static/vendor/leaflet/leaflet.css";
const OKRUGS = "/static/data/moscow_okrugs.geojson";
const SERVED = "#2e7d32";
const UNSERVED = "#d84315";

const views = new WeakMap(); // el -> view state
let leaflet = null;
let okrugs = null;

/** window.L, loading Leaflet (script + stylesheet) once. */
function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!leaflet) {
    const present = document.querySelector(`script[src="${LEAFLET_JS}"]`);
    if (!document.querySelector(`link[href="${LEAFLET_CSS}"]`)) {
      document.head.append(h("link", { rel: "stylesheet", href: LEAFLET_CSS }));
    }
    leaflet = new Promise((resolve, reject) => {
      const script = present || h("script", { src: LEAFLET_JS });
      script.addEventListener("load", () => resolve(window.L));
      script.addEventListener("error", () => { leaflet = null; reject(new Error(LEAFLET_JS)); });
      if (!present) document.head.append(script);
    });
  }
  return leaflet;
}

function loadOkrugs() {
  okrugs ||= fetch(OKRUGS).then((r) => {
    if (!r.ok) throw new Error(`${OKRUGS}: ${r.status}`);
    return r.json();
  }).catch((error) => { okrugs = null; throw error; });
  return okrugs;
}

/**
 * Draw (or re-draw) a plan version on the map in `el`; the first call builds the map.
 * @param {HTMLElement} el the container section
 * @param {object} plan GET /api/plans/{id}
 * @param {{api, plan, season, showPlan: Function, notify: Function}} ctx
 * @returns {Promise<void>} resolved when the plan is drawn
 */
export async function renderMap(el, plan, ctx) {
  let view = views.get(el);
  if (!view) {
    view = { filter: { day: "", truck: "" }, center: null, zoom: null, auto: true, seq: 0 };
    views.set(el, view);
    window.addEventListener("langchange", () => { if (view.plan) renderMap(el, view.plan, view.ctx); });
  }
  Object.assign(view, { plan, ctx });
  const seq = ++view.seq;
  el.classList.add("pv-map");
  try {
    const L = await loadLeaflet();
    if (seq !== view.seq) return;
    if (!view.root || !el.contains(view.root)) await build(el, view, L);
    if (seq !== view.seq) return;
    header(view);
    const depots = await planDepots(ctx, plan, view);
    if (seq !== view.seq) return;
    draw(view, L, depots);
    el.dataset.planId = plan.id;
  } catch (error) {
    if (seq !== view.seq) return;
    el.replaceChildren(h("h2", {}, t("map.title")), h("p", { class: "pv-error", role: "alert" }, t("map.loadFailed", { message: error.message })));
    view.root = null;
  }
}

// --- the map itself --------------------------------------------------------------------

async function build(el, view, L) {
  if (view.map) { view.center = view.map.getCenter(); view.zoom = view.map.getZoom(); view.map.remove(); }
  view.head = h("div", { class: "pv-head" });
  view.mapEl = h("div", { class: "pv-map-canvas" });
  view.legend = h("div", { class: "pv-legend" });
  view.root = h("div", { class: "pv-map-root" }, view.head, view.mapEl, view.legend);
  el.replaceChildren(view.root);
  const map = L.map(view.mapEl, { zoomSnap: 0.25, zoomControl: false });
  Object.assign(view, { map, attribution: null, zoomControl: null });
  map.attributionControl.setPrefix(false);
  const tiles = document.body.dataset.tileUrl;
  if (tiles) L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
  const geo = await loadOkrugs();
  const base = L.geoJSON(geo, {
    style: { color: "#7a869a", weight: 1.2, fillColor: "#eef1f5", fillOpacity: tiles ? 0.15 : 1, className: "kt-okrug" },
    interactive: false,
  }).addTo(map);
  for (const feature of geo.features) {
    const [lat, lon] = labelPoint(feature.geometry);
    L.marker([lat, lon], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: "kt-okrug-label", html: escapeHtml(feature.properties.okrug), iconSize: [60, 16], iconAnchor: [30, 8] }),
    }).addTo(map);
  }
  view.bounds = base.getBounds();
  view.data = L.layerGroup().addTo(map);
  // Until the planner moves the map it fits Moscow to whatever size the section gets (it
  // may be hidden or still growing when built); after that their view is kept.
  const fit = () => map.fitBounds(view.bounds, { padding: [8, 8] });
  if (view.center) map.setView(view.center, view.zoom);
  else fit();
  for (const type of ["pointerdown", "wheel", "keydown"]) {
    view.mapEl.addEventListener(type, () => { view.auto = false; }, { passive: true });
  }
  map.on("moveend", () => { if (!view.auto) { view.center = map.getCenter(); view.zoom = map.getZoom(); } });
  new ResizeObserver(() => {
    if (!view.mapEl.isConnected || !view.mapEl.clientWidth) return;
    map.invalidateSize();
    if (view.auto) fit();
  }).observe(view.mapEl);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** [lat, lon] to put an okrug's name: the centroid of its largest outer ring. */
function labelPoint(geometry) {
  const rings = geometry.type === "Polygon" ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  let best = null;
  for (const ring of rings) {
    let area = 0;
    let x = 0;
    let y = 0;
    for (let i = 0; i < ring.length - 1; i += 1) {
      const [x0, y0] = ring[i];
      const [x1, y1] = ring[i + 1];
      const cross = x0 * y1 - x1 * y0;
      area += cross;
      x += (x0 + x1) * cross;
      y += (y0 + y1) * cross;
    }
    if (!best || Math.abs(area) > Math.abs(best.area)) best = { area, lon: x / (3 * area), lat: y / (3 * area) };
  }
  return [best.lat, best.lon];
}

/** Depots {truck_id: {lat, lon, name}} from the version's GeoJSON export (its own snapshot). */
async function planDepots(ctx, plan, view) {
  if (view.depotsFor === plan.id) return view.depots;
  const geo = await ctx.api.get(`/api/plans/${plan.id}/export/plan.geojson`);
  const depots = {};
  for (const f of geo.features) {
    if (f.properties.kind !== "depot") continue;
    const [lon, lat] = f.geometry.coordinates;
    for (const id of f.properties.truck_ids) depots[id] = { lat, lon, name: f.properties.name };
  }
  Object.assign(view, { depots, depotsFor: plan.id });
  return depots;
}

// --- header: title and filters -----------------------------------------------------------

/** The map's own words (zoom buttons, attribution) in the current language. */
function mapWords(view, L) {
  const text = t("map.attribution");
  if (view.attribution === text) return;
  if (view.attribution) view.map.attributionControl.removeAttribution(view.attribution);
  view.map.attributionControl.addAttribution(text);
  view.attribution = text;
  view.zoomControl?.remove();
  view.zoomControl = L.control.zoom({ zoomInTitle: t("map.zoomIn"), zoomOutTitle: t("map.zoomOut") }).addTo(view.map);
}

function header(view) {
  const { plan } = view;
  mapWords(view, window.L);
  const days = [...new Set(plan.routes.map((r) => r.day))].sort();
  const trucks = planTrucks(plan).filter((tr) => plan.routes.some((r) => r.truck_id === tr.id));
  if (!days.includes(view.filter.day)) view.filter.day = "";
  if (!trucks.some((tr) => tr.id === view.filter.truck)) view.filter.truck = "";
  const choose = (name, options) => {
    const select = h("select", { name: `map-${name}`, onchange: () => { view.filter[name] = select.value; draw(view, window.L, view.depots); } },
      h("option", { value: "" }, t("pv.all")), options.map(([v, text]) => h("option", { value: v }, text)));
    select.value = view.filter[name];
    return select;
  };
  view.head.replaceChildren(h("h2", {}, t("map.title")), h("div", { class: "pv-filters" },
    h("label", { class: "pv-inline" }, t("map.filterDay"), choose("day", days.map((d) => [d, fmtDay(d)]))),
    h("label", { class: "pv-inline" }, t("map.filterTruck"), choose("truck", trucks.map((tr) => [tr.id, tr.name])))));
}

// --- the plan's layers -----------------------------------------------------------------

function shown(view, route) {
  return (!view.filter.day || route.day === view.filter.day) && (!view.filter.truck || route.truck_id === view.filter.truck);
}

function draw(view, L, depots) {
  const { plan } = view;
  const colours = truckColours(plan);
  view.data.clearLayers();
  const visits = new Map(); // venue_id -> [{route, stop}]
  for (const route of plan.routes) {
    for (const stop of route.stops) {
      if (!visits.has(stop.venue_id)) visits.set(stop.venue_id, []);
      visits.get(stop.venue_id).push({ route, stop });
    }
    if (!shown(view, route) || !route.stops.length) continue;
    const depot = depots[route.truck_id];
    const points = route.stops.map((s) => [s.lat, s.lon]);
    const line = depot ? [[depot.lat, depot.lon], ...points, [depot.lat, depot.lon]] : points;
    L.polyline(line, { color: colours.get(route.truck_id), weight: 3, opacity: 0.85, className: "kt-route" })
      .bindTooltip(t("map.routeTip", { truck: route.truck_name, day: fmtDay(route.day), stops: t("pv.stops", { n: route.stops.length }) }), { sticky: true })
      .addTo(view.data);
  }
  for (const un of plan.unserved) {
    L.circleMarker([un.lat, un.lon], { radius: 6, color: UNSERVED, weight: 2.5, fillColor: "#fff", fillOpacity: 1, className: "kt-venue unserved" })
      .bindPopup(() => unservedPopup(un), { maxWidth: 320 })
      .addTo(view.data);
  }
  for (const list of visits.values()) {
    if (!list.some(({ route }) => shown(view, route))) continue;
    const { stop } = list[0];
    L.circleMarker([stop.lat, stop.lon], { radius: 7, color: "#fff", weight: 1.5, fillColor: SERVED, fillOpacity: 1, className: "kt-venue served" })
      .bindPopup(() => servedPopup(list, view), { maxWidth: 360 })
      .addTo(view.data);
  }
  const places = new Map();
  for (const [truckId, d] of Object.entries(depots)) {
    const key = `${d.lat},${d.lon}`;
    if (!places.has(key)) places.set(key, { ...d, trucks: [] });
    places.get(key).trucks.push(truckId);
  }
  for (const d of places.values()) {
    L.marker([d.lat, d.lon], {
      icon: L.divIcon({ className: "kt-depot", iconSize: [16, 16], iconAnchor: [8, 8] }),
      title: t("map.depotTip", { name: d.name }), keyboard: false,
    }).bindTooltip(t("map.depotTip", { name: d.name })).addTo(view.data);
  }
  legend(view, colours);
}

function legend(view, colours) {
  const trucks = planTrucks(view.plan).filter((tr) => view.plan.routes.some((r) => r.truck_id === tr.id));
  view.legend.replaceChildren(
    h("span", { class: "pv-legend-item" }, h("i", { class: "pv-dot", style: `background:${SERVED}` }), t("map.served")),
    h("span", { class: "pv-legend-item" }, h("i", { class: "pv-dot hollow", style: `border-color:${UNSERVED}` }), t("map.unserved")),
    h("span", { class: "pv-legend-item" }, h("i", { class: "kt-depot pv-depot-key" }), t("map.depot")),
    ...trucks.map((tr) => h("span", { class: "pv-legend-item" }, h("i", { class: "pv-line", style: `background:${colours.get(tr.id)}` }), tr.name)));
}

// --- popups ----------------------------------------------------------------------------

function servedPopup(list, view) {
  const { plan, ctx, map } = view;
  const { stop } = list[0];
  return h("div", { class: "pv-popup" },
    h("h3", {}, stop.venue_name),
    h("p", { class: "pv-muted" }, stop.address.includes(stop.okrug) ? stop.address : `${stop.okrug} · ${stop.address}`),
    h("h4", {}, t("map.visits")),
    h("ul", {}, list.map(({ route, stop: s }) => h("li", { class: "pv-visit" },
      h("div", {}, s.locked ? lockIcon(true) : null,
        h("strong", {}, route.truck_name), ` · ${fmtDay(route.day)} · ${fmtTime(s.arrival)}–${fmtTime(s.departure)}`),
      h("div", { class: "pv-muted" }, s.screenings.map((x) => `«${x.title}» (${x.rating}) ${fmtTime(x.start)}–${fmtTime(x.end)}`).join("; ")),
      h("div", { class: "pv-actions" }, stopActions(stopRef(route, s), plan, ctx).map((a) =>
        h("button", { type: "button", class: "btn pv-small", dataset: { action: a.key }, onclick: () => { map.closePopup(); a.run(); } }, a.label)))))));
}

function unservedPopup(un) {
  return h("div", { class: "pv-popup" },
    h("h3", {}, un.name),
    h("p", { class: "pv-muted" }, un.okrug),
    h("h4", {}, t("map.reason")),
    h("p", {}, h("strong", {}, reasonLabel(un.reason))),
    h("p", { class: "pv-muted" }, un.message));
}
