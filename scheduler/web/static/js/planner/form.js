// Forms from field specs: inputs for an API model, reading them back, and errors beside fields.
import { t } from "/static/js/i18n.js";
import { h, tx } from "./dom.js";

/**
 * @typedef {Object} FieldSpec
 * @property {string} key dot path in the API model ("depot.lat"), also the 422 `loc` it answers
 * @property {"text"|"number"|"int"|"bool"|"select"|"date"|"clock"|"window"|"windows"|"dates"|"list"} type
 * @property {string} label i18n key of the label
 * @property {boolean} [nullable] an empty input sends null
 * @property {string[]} [options] a select's values (or suggestions, with `suggest`)
 * @property {boolean} [suggest] options are suggestions (free text with a datalist)
 * @property {(value: string) => string} [optionLabel] a select option's text
 * @property {string} [unit] i18n key of the unit shown after the input
 * @property {string} [help] i18n key of a short explanation
 * @property {boolean} [fixed] read-only when editing (ids)
 * @property {boolean} [wide] spans the whole form row
 */

const FORMAT_HINTS = { windows: "form.windows_format", window: "form.window_format", dates: "form.dates_format" };
const WINDOW = /^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
let formCount = 0;

/** A problem the browser finds before sending (shown like the API's field errors). */
class FieldProblem extends Error {}

/**
 * The text an input (or a table cell) shows for a model value.
 * @param {FieldSpec} spec
 * @param {*} value
 * @returns {string}
 */
export function formatValue(spec, value) {
  if (value === null || value === undefined) return "";
  switch (spec.type) {
    case "window": return `${value.start}-${value.end}`;
    case "windows": return value.map((w) => `${w.start}-${w.end}`).join("; ");
    case "dates":
    case "list": return value.join("; ");
    case "bool": return value ? t("common.yes") : t("common.no");
    case "select": return spec.optionLabel ? spec.optionLabel(value) : String(value);
    default: return String(value);
  }
}

function parseNumber(spec, text) {
  const cleaned = text.replace(",", ".");
  const pattern = spec.type === "int" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  return pattern.test(cleaned) ? Number(cleaned) : text; // the API names what is wrong
}

function parseWindow(text) {
  const match = WINDOW.exec(text);
  if (!match) throw new FieldProblem(t("form.window_format"));
  return { start: match[1], end: match[2] };
}

function splitList(text) {
  return text.split(/[;,]/).map((part) => part.trim()).filter(Boolean);
}

/**
 * The model value of an input's text; undefined leaves the key out (the API says what is
 * required). Throws FieldProblem for a text whose shape is wrong.
 * @param {FieldSpec} spec
 * @param {string|boolean} raw the input's value (checked state for "bool")
 * @returns {*}
 */
export function parseValue(spec, raw) {
  if (spec.type === "bool") return Boolean(raw);
  const text = String(raw).trim();
  if (text === "" && spec.type !== "text") return spec.nullable ? null : undefined;
  switch (spec.type) {
    case "number":
    case "int": return parseNumber(spec, text);
    case "window": return parseWindow(text);
    case "windows": {
      try { return text.split(";").map((part) => parseWindow(part)); } catch { throw new FieldProblem(t("form.windows_format")); }
    }
    case "dates": {
      const days = splitList(text);
      if (!days.every((day) => DAY.test(day))) throw new FieldProblem(t("form.dates_format"));
      return days;
    }
    case "list": return splitList(text);
    default: return spec.nullable && text === "" ? null : text;
  }
}

const MESSAGES = [
  [/^Field required$/, "msg.required"],
  [/^Input should be less than or equal to (.+)$/, "msg.le"],
  [/^Input should be greater than or equal to (.+)$/, "msg.ge"],
  [/^Input should be less than (.+)$/, "msg.lt"],
  [/^Input should be greater than (.+)$/, "msg.gt"],
  [/^Input should be a valid number/, "msg.number"],
  [/^Input should be a valid integer/, "msg.integer"],
  [/^Input should be a valid date/, "msg.date"],
  [/^String should match pattern/, "msg.pattern"],
  [/^String should have at least 1 character/, "msg.empty"],
  [/^Input should be (('[^']*'(, | or )?)+)$/, "msg.choice"],
];

/**
 * The API's validation message in the current language when it is a common one.
 * @param {string} message
 * @returns {string}
 */
export function humanize(message) {
  for (const [pattern, key] of MESSAGES) {
    const match = pattern.exec(message);
    if (match) return t(key, { value: match[1] ?? "" });
  }
  return message;
}

/**
 * A value at a dot path ("depot.lat") of an object.
 * @param {Object} object
 * @param {string} path
 * @returns {*}
 */
export function getPath(object, path) {
  return path.split(".").reduce((value, part) => (value == null ? undefined : value[part]), object);
}

function setPath(object, path, value) {
  const parts = path.split(".");
  let node = object;
  for (const part of parts.slice(0, -1)) node = node[part] ??= {};
  if (value === undefined) delete node[parts.at(-1)];
  else node[parts.at(-1)] = value;
}

function control(spec, id, value, editing) {
  const attrs = { id, name: spec.key, "aria-describedby": `${id}-error` };
  if (spec.type === "bool") return h("input", { ...attrs, type: "checkbox", checked: Boolean(value) });
  if (spec.type === "select" && !spec.suggest) {
    const select = h("select", attrs, spec.options.map((option) =>
      h("option", { value: option }, spec.optionLabel ? spec.optionLabel(option) : option)));
    if (value !== null && value !== undefined) select.value = String(value);
    return select;
  }
  const input = h("input", {
    ...attrs,
    type: spec.type === "date" ? "date" : "text",
    value: formatValue({ ...spec, type: spec.suggest ? "text" : spec.type }, value),
    inputmode: spec.type === "number" ? "decimal" : spec.type === "int" ? "numeric" : null,
    readonly: editing && spec.fixed,
    list: spec.suggest ? `${id}-options` : null,
    autocomplete: "off",
  });
  if (!spec.suggest) return input;
  return [input, h("datalist", { id: `${id}-options` }, spec.options.map((option) => h("option", { value: option })))];
}

function fieldRow(spec, id, value, editing) {
  const hint = spec.help || FORMAT_HINTS[spec.type];
  const label = tx("label", spec.label, { for: id, class: "field-label" });
  const input = h("div", { class: "field-input" }, control(spec, id, value, editing),
    spec.unit ? tx("span", spec.unit, { class: "unit" }) : null);
  return h("div", { class: `field field-${spec.type}${spec.wide ? " field-wide" : ""}`, dataset: { field: spec.key } },
    label, input,
    hint ? tx("small", hint, { class: "hint" }) : null,
    h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true }));
}

/**
 * A form for a model: one row per field spec, an error line at the top, errors beside fields.
 * @param {FieldSpec[]} specs
 * @param {Object} values the model shown (its other keys are kept by read())
 * @param {{editing?: boolean, className?: string}} [options]
 * @returns {{el: HTMLElement, read: () => ({value: Object, problems: Object<string, string>}),
 *   showErrors: (fields: Object<string, string>, message?: string) => void, clearErrors: () => void}}
 */
export function createForm(specs, values, { editing = false, className = "form-grid" } = {}) {
  const prefix = `f${++formCount}`;
  const top = h("p", { class: "form-error", role: "alert", hidden: true });
  const rows = specs.map((spec, index) => fieldRow(spec, `${prefix}-${index}`, getPath(values, spec.key), editing));
  const el = h("div", { class: "form" }, top, h("div", { class: className }, rows));

  function read() {
    const value = structuredClone(values);
    delete value.version;
    const problems = {};
    specs.forEach((spec, index) => {
      const input = el.querySelector(`#${prefix}-${index}`);
      try {
        setPath(value, spec.key, parseValue(spec, spec.type === "bool" ? input.checked : input.value));
      } catch (error) {
        if (!(error instanceof FieldProblem)) throw error;
        problems[spec.key] = error.message;
      }
    });
    return { value, problems };
  }

  function clearErrors() {
    top.hidden = true;
    for (const row of el.querySelectorAll(".field")) {
      row.classList.remove("invalid");
      row.querySelector("input, select")?.removeAttribute("aria-invalid");
      const line = row.querySelector(".field-error");
      line.hidden = true;
      line.textContent = "";
    }
  }

  function rowFor(path) {
    const matches = specs.filter((spec) => path === spec.key || path.startsWith(`${spec.key}.`));
    const best = matches.sort((a, b) => b.key.length - a.key.length)[0];
    return best ? el.querySelector(`.field[data-field="${CSS.escape(best.key)}"]`) : null;
  }

  function showErrors(fields, message = "") {
    clearErrors();
    const loose = [];
    for (const [path, text] of Object.entries(fields)) {
      const row = rowFor(path);
      if (!row) { loose.push(`${path}: ${humanize(text)}`); continue; }
      row.classList.add("invalid");
      row.querySelector("input, select")?.setAttribute("aria-invalid", "true");
      const line = row.querySelector(".field-error");
      line.textContent = [line.textContent, humanize(text)].filter(Boolean).join("; ");
      line.hidden = false;
    }
    const lines = [message || (Object.keys(fields).length ? t("form.errors") : ""), ...loose].filter(Boolean);
    top.textContent = lines.join(" ");
    top.hidden = lines.length === 0;
    el.querySelector(".field.invalid input, .field.invalid select")?.focus();
  }

  return { el, read, showErrors, clearErrors };
}
