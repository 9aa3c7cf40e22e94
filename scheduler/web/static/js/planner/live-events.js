// The events of the "live day" tab: the form that adds one (a kind, for a delay and a
// requested venue also the way it is told, and the fields it needs, checked before it is
// listed) and the numbered list with edit and remove buttons and the API's errors per event
// (an edited event goes back into the form with its errors beside the fields). Shared by
// live.js: the field row, the clock input, a new venue in the API's form.
import { t, fmtTime } from "/static/js/i18n.js";
import { h, fill } from "./dom.js";

/** Each disruption kind and the fields it needs, in the order they are asked for. */
export const KINDS = {
  delayed: ["truck_id", "minutes"],
  venue_cancelled: ["venue_id"],
  venue_unreachable: ["truck_id", "venue_id"],
  breakdown: ["truck_id", "at"],
  shift_cut: ["truck_id", "end"],
  venue_requested: ["venue_id"],
  film_withdrawn: ["film_id", "at"],
};
/** Kinds told one of two ways (the first is the default) and the fields each way asks for. */
export const MODES = {
  delayed: { minutes: ["truck_id", "minutes"], arrival: ["truck_id", "arrival", "venue_id"] },
  venue_requested: {
    season: ["venue_id"],
    new: ["name", "lat", "lon", "hours_start", "hours_end", "audience_seats", "okrug", "residential"],
  },
};
/** Fields given as HH:MM on the chosen day (sent as moments with their UTC offset). */
export const CLOCK_FIELDS = new Set(["at", "end", "arrival"]);
export const CLOCK = /^([01]?\d|2[0-3]):[0-5]\d$/;
const CLOCK_INPUTS = new Set([...CLOCK_FIELDS, "hours_start", "hours_end"]);
const WHOLE_FIELDS = new Set(["minutes", "audience_seats"]);
const DECIMAL_FIELDS = new Set(["lat", "lon"]);
const TEXT_FIELDS = new Set([...WHOLE_FIELDS, ...DECIMAL_FIELDS, "name"]);
const OPTIONAL = new Set(["okrug"]);
const WIDE = new Set(["name", "residential"]);
const DEFAULTS = { hours_start: "18:00", hours_end: "23:00", residential: true };
const PLACEHOLDERS = { lat: "55,7558", lon: "37,6173" };
const WHOLE = /^-?\d+$/;
const DECIMAL = /^-?\d+([.,]\d+)?$/;
const LATIN = Object.fromEntries([..."абвгдеёзийклмнопрстуфыэ"].map((c, i) => [c, "abvgdeeziyklmnoprstufye"[i]])
  .concat([["ж", "zh"], ["х", "kh"], ["ц", "ts"], ["ч", "ch"], ["ш", "sh"], ["щ", "sch"], ["ю", "yu"], ["я", "ya"], ["ъ", ""], ["ь", ""]]));

/** The fields of a kind told in a way (`mode`; ignored for kinds told one way). */
export function fieldsOf(kind, mode) {
  return MODES[kind]?.[mode] ?? KINDS[kind];
}

/** A text input for a clock time HH:MM. */
export function clockInput(attrs, value) {
  return h("input", { ...attrs, type: "text", inputmode: "numeric", value, placeholder: t("rules.unit.clock"), maxlength: 5, autocomplete: "off" });
}

/** A labelled field with its error line (shown when `error` is set). */
export function field(label, input, id, { error = "", name } = {}) {
  return h("div", { class: `field${error ? " invalid" : ""}`, dataset: { field: name } },
    h("label", { for: id, class: "field-label" }, label),
    input,
    h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: !error }, error));
}

/** A checkbox with its label beside it and its error line. */
function checkField(label, input, id, { error = "", name } = {}) {
  return h("div", { class: `field live-check${error ? " invalid" : ""}`, dataset: { field: name } },
    h("label", { for: id }, input, h("span", {}, label)),
    h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: !error }, error));
}

/**
 * A new venue's id: its name in Latin letters as a slug and a short random tail
 * ("park-gorkogo-k3f9q2"), so that it meets no season venue.
 * @param {string} name
 * @returns {string}
 */
export function newVenueId(name) {
  const latin = [...name.toLowerCase()].map((c) => LATIN[c] ?? c).join("").normalize("NFKD");
  const slug = latin.replace(/[^a-z0-9]+/g, "-").slice(0, 40).replace(/^-+|-+$/g, "");
  const tail = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => (b % 36).toString(36)).join("");
  return `${slug || "venue"}-${tail}`;
}

/** An opening window's end as the API takes it: before the start means after midnight ("01:00" -> "25:00"). */
function windowEnd(start, end) {
  const minutes = (clock) => clock.split(":").map(Number).reduce((hh, mm) => hh * 60 + mm);
  if (minutes(end) >= minutes(start)) return end;
  const past = minutes(end) + 24 * 60;
  return `${Math.floor(past / 60)}:${String(past % 60).padStart(2, "0")}`;
}

/** The okrug of the season venue nearest to a point ("" when the season has none). */
function nearestOkrug(venues, lat, lon) {
  const scale = Math.cos((lat * Math.PI) / 180);
  const distance = (v) => (v.lat - lat) ** 2 + ((v.lon - lon) * scale) ** 2;
  return venues.reduce((best, v) => (!best || distance(v) < distance(best) ? v : best), null)?.okrug ?? "";
}

/**
 * The event form and list over the live view's state (kind, modes, draft, draftErrors,
 * items, itemErrors, now, day, venues, films).
 * @param {Object} state
 * @param {{trucks: () => {id: string, name: string}[], plannedVenueIds: () => Set<string>,
 *   truckStops: (truckId: string) => {venue_id: string, venue_name: string, arrival: string}[]}} lookups
 * @returns {{add: HTMLElement, list: HTMLElement, draw: () => void, drawForm: () => void,
 *   newVenue: (values: Object) => Object}}
 */
export function eventsEditor(state, { trucks, plannedVenueIds, truckStops }) {
  const add = h("div", { class: "live-add" });
  const list = h("div", { class: "live-list" });
  const focusKind = () => add.querySelector("#live-kind").focus();
  state.modes ??= Object.fromEntries(Object.entries(MODES).map(([kind, ways]) => [kind, Object.keys(ways)[0]]));
  const mode = () => state.modes[state.kind];

  function nameOf(key, id) {
    if (key === "truck_id") return trucks().find((x) => x.id === id)?.name ?? id;
    if (key === "venue_id") return state.venues.find((x) => x.id === id)?.name ?? id;
    if (key === "film_id") return state.films.find((x) => x.id === id)?.title ?? id;
    return id;
  }

  /** A new venue's okrug: the one picked, else that of the nearest season venue. */
  function okrugOf(values) {
    return values.okrug || nearestOkrug(state.venues, values.lat, values.lon);
  }

  /** A new venue (the values of a request's "new" way) as the API's VenueModel. */
  function newVenue(values) {
    return {
      id: values.id, name: values.name, okrug: okrugOf(values), lat: values.lat, lon: values.lon,
      audience_seats: values.audience_seats, residential: values.residential,
      hours: [{ start: values.hours_start, end: windowEnd(values.hours_start, values.hours_end) }],
    };
  }

  // --- the form's controls -------------------------------------------------------------------

  function venueOptions() {
    const planned = plannedVenueIds();
    const venue = (x) => h("option", { value: x.id }, x.name);
    const groups = [
      h("optgroup", { label: t("live.group.planned") }, state.venues.filter((x) => planned.has(x.id)).map(venue)),
      h("optgroup", { label: t("live.group.other") }, state.venues.filter((x) => !planned.has(x.id)).map(venue)),
    ];
    return state.kind === "venue_requested" ? groups.reverse() : groups;
  }

  /** The picked truck's stops on the day, "19:55 · Venue" (where a late truck will be). */
  function stopOptions() {
    const truck = state.draft.truck_id;
    return truckStops(truck).map((s) => h("option", { value: s.venue_id }, `${fmtTime(s.arrival)} · ${s.venue_name}`));
  }

  function options(key) {
    const pick = h("option", { value: "" }, t("live.pick"));
    if (key === "truck_id") return [pick, trucks().map((x) => h("option", { value: x.id }, x.name))];
    if (key === "film_id") return [pick, state.films.map((x) => h("option", { value: x.id }, x.title))];
    if (key === "okrug") {
      const okrugs = [...new Set(state.venues.map((x) => x.okrug))].sort();
      return [h("option", { value: "" }, t("live.okrug_nearest")), okrugs.map((x) => h("option", { value: x }, x))];
    }
    if (mode() === "arrival") return [h("option", { value: "" }, t(state.draft.truck_id ? "live.pick" : "live.pick_truck_first")), stopOptions()];
    return [pick, venueOptions()];
  }

  function input(key, attrs, value) {
    if (key === "residential") return h("input", { ...attrs, type: "checkbox", checked: value !== false });
    if (CLOCK_INPUTS.has(key)) return clockInput(attrs, value || (CLOCK_FIELDS.has(key) ? state.now : ""));
    if (TEXT_FIELDS.has(key)) {
      const inputmode = WHOLE_FIELDS.has(key) ? "numeric" : DECIMAL_FIELDS.has(key) ? "decimal" : null;
      return h("input", { ...attrs, type: "text", inputmode, value, placeholder: PLACEHOLDERS[key], autocomplete: "off" });
    }
    const select = h("select", attrs, options(key));
    select.value = value;
    return select;
  }

  function control(key, id) {
    const attrs = { id, name: key, "aria-describedby": `${id}-error`, "aria-invalid": state.draftErrors[key] ? "true" : null };
    const el = input(key, attrs, state.draft[key] ?? DEFAULTS[key] ?? "");
    const keep = () => { state.draft[key] = el.type === "checkbox" ? el.checked : el.value; };
    el.addEventListener("input", keep);
    el.addEventListener("change", keep);
    if (key === "truck_id" && mode() === "arrival") {
      el.addEventListener("change", () => { drawForm(); add.querySelector(`#${id}`).focus(); });
    }
    return el;
  }

  function draftField(key) {
    const id = `live-draft-${key}`;
    const make = key === "residential" ? checkField : field;
    const row = make(t(`live.field.${key}`), control(key, id), id, { error: state.draftErrors[key], name: key });
    if (WIDE.has(key)) row.classList.add("live-wide");
    return row;
  }

  /** The radio buttons of a kind told two ways ("late by N minutes" / "arrives at HH:MM"). */
  function modeChoice() {
    const ways = Object.keys(MODES[state.kind] ?? {});
    if (!ways.length) return null;
    const radio = (way) => {
      const el = h("input", { type: "radio", name: "live-mode", id: `live-mode-${way}`, value: way, checked: way === mode() });
      el.addEventListener("change", () => {
        state.modes[state.kind] = way;
        state.draftErrors = {};
        drawForm();
        add.querySelector(`#live-mode-${way}`).focus();
      });
      return h("label", { class: "live-mode-option", for: `live-mode-${way}` }, el, h("span", {}, t(`live.mode.${state.kind}.${way}`)));
    };
    return h("fieldset", { class: "live-mode" }, h("legend", { class: "field-label" }, t(`live.mode.${state.kind}`)), ways.map(radio));
  }

  /** API errors of an edited event that name no field of the form. */
  function looseErrors(keys) {
    const loose = Object.entries(state.draftErrors).filter(([key]) => !keys.includes(key));
    return h("p", { class: "field-error live-add-error", role: "alert", hidden: !loose.length },
      loose.map(([key, message]) => `${fieldLabel(key)}: ${message}`).join("; "));
  }

  // --- the form ----------------------------------------------------------------------------

  function drawForm() {
    const kind = h("select", { id: "live-kind" },
      Object.keys(KINDS).map((k) => h("option", { value: k }, t(`live.kind.${k}`))));
    kind.value = state.kind;
    kind.addEventListener("change", () => {
      state.kind = kind.value;
      state.draftErrors = {};
      drawForm();
      focusKind();
    });
    const keys = fieldsOf(state.kind, mode());
    const button = h("button", { type: "button", class: "btn", id: "live-add" }, t("live.add"));
    button.addEventListener("click", addItem);
    fill(add,
      h("div", { class: "field live-kind" }, h("label", { for: "live-kind", class: "field-label" }, t("live.kind")), kind),
      modeChoice(),
      h("div", { class: "live-draft", dataset: { mode: mode() ?? "" } }, keys.map(draftField),
        looseErrors(keys), h("div", { class: "live-add-button" }, button)));
  }

  function checkValue(key, raw) {
    if (!raw) return OPTIONAL.has(key) ? "" : t("live.check.required");
    if (key === "minutes" && !WHOLE.test(raw)) return t("live.check.minutes");
    if (WHOLE_FIELDS.has(key) && !WHOLE.test(raw)) return t("live.check.whole");
    if (DECIMAL_FIELDS.has(key) && !DECIMAL.test(raw)) return t("live.check.number");
    if (CLOCK_INPUTS.has(key) && !CLOCK.test(raw)) return t("live.check.time");
    return "";
  }

  function parse(key, raw) {
    if (WHOLE_FIELDS.has(key) && WHOLE.test(raw)) return Number(raw);
    if (DECIMAL_FIELDS.has(key) && DECIMAL.test(raw)) return Number(raw.replace(",", "."));
    if (CLOCK_INPUTS.has(key) && CLOCK.test(raw)) return raw.padStart(5, "0");
    return raw;
  }

  /** The draft's values, its inputs as typed, and what is wrong with them {field: message}. */
  function readDraft() {
    const values = {};
    const typed = {};
    const problems = {};
    for (const key of fieldsOf(state.kind, mode())) {
      const el = add.querySelector(`[name="${key}"]`);
      if (el.type === "checkbox") {
        values[key] = typed[key] = el.checked;
        continue;
      }
      const raw = (typed[key] = String(el.value ?? "").trim());
      const problem = checkValue(key, raw);
      if (problem) problems[key] = problem;
      values[key] = parse(key, raw);
    }
    if (mode() === "new") values.id = newVenueId(values.name);
    return { values, typed, problems };
  }

  function addItem() {
    const { values, typed, problems } = readDraft();
    state.draftErrors = problems;
    if (Object.keys(problems).length) {
      drawForm();
      add.querySelector(".field.invalid input, .field.invalid select")?.focus();
      return;
    }
    state.items.push({ kind: state.kind, mode: mode(), values, typed });
    state.itemErrors = {};
    state.draft = { truck_id: values.truck_id ?? state.draft.truck_id };
    drawForm();
    drawList();
    focusKind();
  }

  // --- the list ----------------------------------------------------------------------------

  function describeItem(item) {
    const v = item.values;
    return t(`live.item.${item.kind}${item.mode ? `.${item.mode}` : ""}`, {
      truck: nameOf("truck_id", v.truck_id), venue: nameOf("venue_id", v.venue_id), film: nameOf("film_id", v.film_id),
      minutes: v.minutes, time: v.at ?? v.end ?? v.arrival,
      name: v.name, okrug: item.mode === "new" ? okrugOf(v) : "", hours: `${v.hours_start}–${v.hours_end}`, seats: v.audience_seats,
    });
  }

  function row(item, index) {
    const kind = t(`live.kind.${item.kind}`);
    const what = `${kind}: ${describeItem(item)}`;
    const edit = h("button", { type: "button", class: "btn btn-icon icon-edit", title: t("live.edit_title"), "aria-label": t("live.edit", { what }) });
    const remove = h("button", { type: "button", class: "btn btn-icon icon-delete", title: t("table.delete"), "aria-label": t("live.remove", { what }) });
    edit.addEventListener("click", () => editItem(index));
    remove.addEventListener("click", () => removeItem(index));
    const errors = Object.entries(state.itemErrors[index] ?? {});
    return h("li", { class: `live-item${errors.length ? " invalid" : ""}`, dataset: { kind: item.kind, mode: item.mode, index }, tabindex: "-1" },
      h("span", { class: "live-item-kind" }, kind),
      h("span", { class: "live-item-text" }, describeItem(item)),
      edit, remove,
      errors.length ? h("p", { class: "field-error", role: "alert" },
        errors.map(([key, message]) => `${fieldLabel(key)}: ${message}`).join("; ")) : null);
  }

  function drawList() {
    fill(list,
      h("h3", { id: "live-list-title" }, t("live.list_title", { count: state.items.length })),
      state.items.length
        ? h("ol", { class: "live-items", "aria-labelledby": "live-list-title" }, state.items.map(row))
        : h("p", { class: "empty" }, t("live.list_empty")));
  }

  /** Take event `index` out of the list; the API errors of the later ones move up with them. */
  function takeItem(index) {
    const [item] = state.items.splice(index, 1);
    const errors = state.itemErrors[index] ?? {};
    state.itemErrors = Object.fromEntries(Object.entries(state.itemErrors)
      .filter(([i]) => Number(i) !== index).map(([i, e]) => [Number(i) > index ? Number(i) - 1 : Number(i), e]));
    return { item, errors };
  }

  function removeItem(index) {
    takeItem(index);
    drawList();
    const buttons = list.querySelectorAll(".live-item .icon-delete");
    const next = buttons[Math.min(index, buttons.length - 1)];
    if (next) next.focus();
    else focusKind();
  }

  /** Put event `index` back into the form, its API errors beside the fields they name. */
  function editItem(index) {
    const { item, errors } = takeItem(index);
    state.kind = item.kind;
    if (item.mode) state.modes[item.kind] = item.mode;
    state.draft = { ...item.typed };
    state.draftErrors = errors;
    drawForm();
    drawList();
    (add.querySelector(".field.invalid input, .field.invalid select") ?? add.querySelector("#live-kind")).focus();
  }

  return { add, list, draw: () => { drawForm(); drawList(); }, drawForm, newVenue };
}

/** A field name of an event in words ("truck_id" -> "Машина"). */
function fieldLabel(name) {
  const key = `live.field.${name}`;
  return name && t(key) !== key ? t(key) : name ?? "";
}
