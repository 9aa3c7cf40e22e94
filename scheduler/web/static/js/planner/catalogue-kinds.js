// What the venue, truck and film tables show and edit: the API path, columns and form fields.
import { t } from "/static/js/i18n.js";

const RATINGS = ["0+", "6+", "12+", "16+", "18+"];
const OKRUGS = ["ЦАО", "САО", "СВАО", "ВАО", "ЮВАО", "ЮАО", "ЮЗАО", "ЗАО", "СЗАО", "ЗелАО", "НАО", "ТАО"];
const VENUE_KINDS = ["park", "garden", "square", "embankment", "forest_park", "estate", "town_centre", "settlement"];

/**
 * @typedef {Object} CatalogueKind
 * @property {string} name "venues" | "trucks" | "films" (the API path /api/{name}, i18n prefix)
 * @property {string} seasonKey the season's list of this kind's ids
 * @property {string} nameKey the field people know a record by
 * @property {string[]} columns field keys shown in the table
 * @property {import("./form.js").FieldSpec[]} fields the form, in order
 * @property {Object} blank a new record's values
 */

const field = (kind, key, type, extra = {}) => ({ key, type, label: `${kind}.${key}`, ...extra });

/** @type {Object<string, CatalogueKind>} */
export const KINDS = {
  venues: {
    name: "venues",
    seasonKey: "venue_ids",
    nameKey: "name",
    columns: ["id", "name", "okrug", "audience_seats", "priority", "hours", "max_rating", "lat", "lon"],
    fields: [
      field("venues", "id", "text", { fixed: true }),
      field("venues", "name", "text"),
      field("venues", "address", "text", { wide: true }),
      field("venues", "okrug", "select", { options: OKRUGS, suggest: true }),
      field("venues", "district", "text"),
      field("venues", "kind", "select", { options: VENUE_KINDS, suggest: true }),
      field("venues", "audience_seats", "int"),
      field("venues", "lat", "number", { unit: "°" }),
      field("venues", "lon", "number", { unit: "°" }),
      field("venues", "priority", "number"),
      field("venues", "max_rating", "select", { options: RATINGS }),
      field("venues", "hours", "windows"),
      field("venues", "allowed_dates", "dates", { nullable: true, help: "form.empty_all" }),
      field("venues", "excluded_film_ids", "list", { help: "form.list_hint" }),
      field("venues", "max_visits", "int", { nullable: true }),
      field("venues", "residential", "bool"),
      field("venues", "inside_ttk", "bool"),
      field("venues", "source", "text", { wide: true }),
    ],
    blank: {
      id: "", name: "", okrug: "", district: "", kind: "park", audience_seats: 200, priority: 1,
      hours: [{ start: "10:00", end: "23:00" }], allowed_dates: null, residential: true, inside_ttk: false,
      max_rating: "18+", excluded_film_ids: [], max_visits: null, source: "", address: "",
    },
  },
  trucks: {
    name: "trucks",
    seasonKey: "truck_ids",
    nameKey: "name",
    columns: ["id", "name", "screen", "depot.name", "shift", "max_shift_min", "setup_min", "teardown_min", "has_ttk_pass"],
    fields: [
      field("trucks", "id", "text", { fixed: true }),
      field("trucks", "name", "text"),
      field("trucks", "screen", "select", { options: ["led", "projector"], optionLabel: (v) => t(`screen.${v}`) }),
      field("trucks", "shift", "window"),
      field("trucks", "depot.name", "text", { wide: true }),
      field("trucks", "depot.lat", "number", { unit: "°" }),
      field("trucks", "depot.lon", "number", { unit: "°" }),
      field("trucks", "max_shift_min", "int"),
      field("trucks", "setup_min", "int"),
      field("trucks", "teardown_min", "int"),
      field("trucks", "available_dates", "dates", { nullable: true, help: "form.empty_all" }),
      field("trucks", "has_ttk_pass", "bool"),
    ],
    blank: {
      id: "", name: "", screen: "led", depot: { name: "", lat: 55.7558, lon: 37.6173 },
      shift: { start: "12:00", end: "24:00" }, max_shift_min: 720, setup_min: 60, teardown_min: 30,
      has_ttk_pass: false, available_dates: null,
    },
  },
  films: {
    name: "films",
    seasonKey: "film_ids",
    nameKey: "title",
    columns: ["id", "title", "runtime_min", "rating", "certificate", "licence_start", "licence_end"],
    fields: [
      field("films", "id", "text", { fixed: true }),
      field("films", "title", "text"),
      field("films", "runtime_min", "int"),
      field("films", "rating", "select", { options: RATINGS }),
      field("films", "certificate", "text", { nullable: true }),
      field("films", "max_screenings", "int", { nullable: true }),
      field("films", "licence_start", "date", { nullable: true }),
      field("films", "licence_end", "date", { nullable: true }),
      field("films", "festival_exempt", "bool"),
    ],
    blank: {
      id: "", title: "", runtime_min: 90, rating: "6+", certificate: null, festival_exempt: false,
      licence_start: null, licence_end: null, max_screenings: null,
    },
  },
};
