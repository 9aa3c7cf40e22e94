// The events of the "live day" tab: the form that adds one (a kind and the fields it needs,
// checked before it is listed) and the numbered list with a remove button and the API's
// errors per event. Shared by live.js: the field row and the clock input.
import { t } from "/static/js/i18n.js";
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
/** Fields given as HH:MM on the chosen day (sent as moments with their UTC offset). */
export const CLOCK_FIELDS = new Set(["at", "end"]);
export const CLOCK = /^([01]?\d|2[0-3]):[0-5]\d$/;
const WHOLE = /^-?\d+$/;

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

/** A field name of an event in words ("truck_id" -> "Машина"). */
function fieldLabel(name) {
  const key = `live.field.${name}`;
  return name && t(key) !== key ? t(key) : name ?? "";
}

/**
 * The event form and list over the live view's state (kind, draft, draftErrors, items,
 * itemErrors, now, day, venues, films).
 * @param {Object} state
 * @param {{trucks: () => {id: string, name: string}[], plannedVenueIds: () => Set<string>}} lookups
 * @returns {{add: HTMLElement, list: HTMLElement, draw: () => void}}
 */
export function eventsEditor(state, { trucks, plannedVenueIds }) {
  const add = h("div", { class: "live-add" });
  const list = h("div", { class: "live-list" });
  const focusKind = () => add.querySelector("#live-kind").focus();

  function nameOf(key, id) {
    if (key === "truck_id") return trucks().find((x) => x.id === id)?.name ?? id;
    if (key === "venue_id") return state.venues.find((x) => x.id === id)?.name ?? id;
    if (key === "film_id") return state.films.find((x) => x.id === id)?.title ?? id;
    return id;
  }

  function options(key) {
    const pick = h("option", { value: "" }, t("live.pick"));
    if (key === "truck_id") return [pick, trucks().map((x) => h("option", { value: x.id }, x.name))];
    if (key === "film_id") return [pick, state.films.map((x) => h("option", { value: x.id }, x.title))];
    const planned = plannedVenueIds();
    const venue = (x) => h("option", { value: x.id }, x.name);
    const groups = [
      h("optgroup", { label: t("live.group.planned") }, state.venues.filter((x) => planned.has(x.id)).map(venue)),
      h("optgroup", { label: t("live.group.other") }, state.venues.filter((x) => !planned.has(x.id)).map(venue)),
    ];
    return [pick, state.kind === "venue_requested" ? groups.reverse() : groups];
  }

  function control(key, id) {
    const value = state.draft[key] ?? "";
    const attrs = { id, name: key, "aria-describedby": `${id}-error` };
    let input;
    if (key === "minutes") input = h("input", { ...attrs, type: "text", inputmode: "numeric", value, autocomplete: "off" });
    else if (CLOCK_FIELDS.has(key)) input = clockInput(attrs, value || state.now);
    else {
      input = h("select", attrs, options(key));
      input.value = value;
    }
    const keep = () => { state.draft[key] = input.value; };
    input.addEventListener("input", keep);
    input.addEventListener("change", keep);
    if (state.draftErrors[key]) input.setAttribute("aria-invalid", "true");
    return input;
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
    const inputs = KINDS[state.kind].map((key) => {
      const id = `live-draft-${key}`;
      return field(t(`live.field.${key}`), control(key, id), id, { error: state.draftErrors[key], name: key });
    });
    const button = h("button", { type: "button", class: "btn", id: "live-add" }, t("live.add"));
    button.addEventListener("click", addItem);
    fill(add,
      h("div", { class: "field live-kind" }, h("label", { for: "live-kind", class: "field-label" }, t("live.kind")), kind),
      h("div", { class: "live-draft" }, inputs, h("div", { class: "live-add-button" }, button)));
  }

  /** The draft's values, and what is wrong with them {field: message}. */
  function readDraft() {
    const values = {};
    const problems = {};
    for (const key of KINDS[state.kind]) {
      const raw = String(add.querySelector(`[name="${key}"]`).value ?? "").trim();
      if (!raw) problems[key] = t("live.check.required");
      else if (key === "minutes" && !WHOLE.test(raw)) problems[key] = t("live.check.minutes");
      else if (CLOCK_FIELDS.has(key) && !CLOCK.test(raw)) problems[key] = t("live.check.time");
      values[key] = key === "minutes" && WHOLE.test(raw) ? Number(raw) : raw;
    }
    return { values, problems };
  }

  function addItem() {
    const { values, problems } = readDraft();
    state.draftErrors = problems;
    if (Object.keys(problems).length) {
      drawForm();
      add.querySelector(".field.invalid input, .field.invalid select")?.focus();
      return;
    }
    state.items.push({ kind: state.kind, values });
    state.itemErrors = {};
    state.draft = { truck_id: values.truck_id ?? state.draft.truck_id };
    drawForm();
    drawList();
    focusKind();
  }

  // --- the list ----------------------------------------------------------------------------

  function describeItem(item) {
    const v = item.values;
    return t(`live.item.${item.kind}`, {
      truck: nameOf("truck_id", v.truck_id), venue: nameOf("venue_id", v.venue_id), film: nameOf("film_id", v.film_id),
      minutes: v.minutes, time: v.at ?? v.end,
    });
  }

  function row(item, index) {
    const kind = t(`live.kind.${item.kind}`);
    const what = describeItem(item);
    const remove = h("button", { type: "button", class: "btn btn-icon icon-delete", title: t("table.delete"), "aria-label": t("live.remove", { what: `${kind}: ${what}` }) });
    remove.addEventListener("click", () => removeItem(index));
    const errors = Object.entries(state.itemErrors[index] ?? {});
    return h("li", { class: `live-item${errors.length ? " invalid" : ""}`, dataset: { kind: item.kind, index }, tabindex: "-1" },
      h("span", { class: "live-item-kind" }, kind),
      h("span", { class: "live-item-text" }, what),
      remove,
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

  function removeItem(index) {
    state.items.splice(index, 1);
    state.itemErrors = {};
    drawList();
    const buttons = list.querySelectorAll(".live-item .btn-icon");
    const next = buttons[Math.min(index, buttons.length - 1)];
    if (next) next.focus();
    else focusKind();
  }

  return { add, list, draw: () => { drawForm(); drawList(); }, drawForm };
}
