// The map of the week's screenings: Moscow's okrugs as the base layer (map tiles only when the
// server has a tile URL), one marker per venue with its screenings in a popup. Leaflet is the
// vendored /static/vendor/leaflet/leaflet.js (the global L).
import { fmtDay, fmtTime } from "../i18n.js";
import { h } from "../driver/dom.js";

const OKRUGS_URL = "/static/data/moscow_okrugs.geojson";
const ATTRIBUTION = "© OpenStreetMap contributors, ODbL";
const MOSCOW = [55.75, 37.62];

/**
 * Create the map in an element.
 * @param {HTMLElement} el
 * @param {{tileUrl: string, onError: (message: string) => void}} options
 * @returns {{show: (screenings: Object[]) => void, focus: (venueId: string) => void,
 *   highlight: (okrug: string) => void}}
 */
export function createMap(el, { tileUrl, onError }) {
  const L = window.L;
  const map = L.map(el, { center: MOSCOW, zoom: 9, scrollWheelZoom: false });
  if (tileUrl) L.tileLayer(tileUrl, { attribution: ATTRIBUTION, maxZoom: 18 }).addTo(map);
  else map.attributionControl.addAttribution(ATTRIBUTION);
  const venues = L.featureGroup().addTo(map);
  const markers = new Map();
  let okrugs = null;
  let selected = "";

  const okrugStyle = (feature) => {
    const on = feature.properties.okrug === selected;
    return {
      className: "kt-okrug-area", color: "#5d4037", weight: on ? 3 : 1.2,
      fillColor: on ? "#ffe082" : "#fff8e1", fillOpacity: tileUrl ? 0.15 : 0.9,
    };
  };

  fetch(OKRUGS_URL)
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    })
    .then((data) => {
      okrugs = L.geoJSON(data, {
        style: okrugStyle,
        interactive: false,
        onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.okrug, {
          permanent: true, direction: "center", className: "kt-okrug-label",
        }),
      }).addTo(map);
      okrugs.bringToBack();
      if (!markers.size) map.fitBounds(okrugs.getBounds());
    })
    .catch((error) => onError(error.message));

  function popup(shows) {
    const venue = shows[0];
    return h("div", { class: "kt-popup" },
      h("strong", {}, venue.venue_name),
      h("p", {}, venue.address),
      h("ul", {}, shows.map((show) => h("li", {},
        `${fmtDay(show.date)}, ${fmtTime(show.start)} — ${show.film_title} (${show.rating})`))));
  }

  return {
    show(screenings) {
      venues.clearLayers();
      markers.clear();
      const byVenue = new Map();
      for (const show of screenings) (byVenue.get(show.venue_id) ?? byVenue.set(show.venue_id, []).get(show.venue_id)).push(show);
      for (const [id, shows] of byVenue) {
        const marker = L.circleMarker([shows[0].lat, shows[0].lon], {
          className: "kt-venue-marker", radius: 10, color: "#fff", weight: 3, fillColor: "#c2185b", fillOpacity: 1,
        }).bindPopup(() => popup(shows)).bindTooltip(shows[0].venue_name);
        marker.addTo(venues);
        markers.set(id, marker);
      }
      map.invalidateSize();
      if (markers.size) map.fitBounds(venues.getBounds(), { padding: [40, 40], maxZoom: 13 });
      else if (okrugs) map.fitBounds(okrugs.getBounds());
    },
    focus(venueId) {
      const marker = markers.get(venueId);
      if (!marker) return;
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 12));
      marker.openPopup();
    },
    highlight(okrug) {
      selected = okrug;
      if (okrugs) okrugs.setStyle(okrugStyle);
    },
  };
}
