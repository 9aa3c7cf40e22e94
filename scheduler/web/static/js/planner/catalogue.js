// The venue, truck and film tables of a season: search, sort, add, edit and delete with If-Match.
import { t } from "/static/js/i18n.js";
import { h, fill, busy, fmtDate } from "./dom.js";
import { createForm, formatValue, getPath } from "./form.js";
import { dataTable } from "./table.js";
import { openDialog, confirmAction } from "./dialog.js";
import { describe, notifyError } from "./notify.js";

const NUMERIC = new Set(["number", "int"]);
const ifMatch = (version) => ({ headers: { "If-Match": `"${version}"` } });

/**
 * Add an entity's id to the season's list of that kind (the season is replaced with If-Match).
 * @param {*} api the planner's API client
 * @param {number} seasonId
 * @param {string} key "venue_ids" | "truck_ids" | "film_ids"
 * @param {string} id
 */
async function addToSeason(api, seasonId, key, id) {
  const response = await api.request(`/api/seasons/${seasonId}`, { raw: true });
  const stored = await response.json();
  const body = {
    name: stored.name, season: stored.season, rules: stored.rules,
    venue_ids: stored.venue_ids, truck_ids: stored.truck_ids, film_ids: stored.film_ids,
  };
  if (!body[key].includes(id)) body[key] = [...body[key], id];
  await api.put(`/api/seasons/${seasonId}`, body, { headers: { "If-Match": response.headers.get("ETag") } });
}

/**
 * The table view of one catalogue kind for the chosen season.
 * @param {HTMLElement} el the view's container
 * @param {import("./catalogue-kinds.js").CatalogueKind} kind
 * @param {Object} app the workspace: api, season, notify, refreshSeasons
 * @returns {{load: () => Promise<void>, render: () => void}}
 */
export function catalogueView(el, kind, app) {
  const sort = { key: "id", dir: 1 };
  const state = { rows: null, error: null, query: "" };
  const path = `/api/${kind.name}`;
  const itemPath = (id) => `${path}/${encodeURIComponent(id)}`;
  const spec = (key) => kind.fields.find((f) => f.key === key);
  const label = (row) => row[kind.nameKey] || row.id;

  async function load() {
    if (!app.season) return;
    state.error = null;
    render();
    try {
      state.rows = await app.api.get(`${path}?season_id=${app.season.id}&limit=1000`);
    } catch (error) {
      state.rows = null;
      state.error = error;
    }
    render();
  }

  function columns() {
    return kind.columns.map((key) => {
      const field = spec(key);
      return {
        key,
        label: t(field.label),
        numeric: NUMERIC.has(field.type),
        value: (row) => (NUMERIC.has(field.type) ? getPath(row, key) : formatValue(field, getPath(row, key))),
        cell: field.type === "date" ? (row) => (row[key] ? fmtDate(row[key]) : "") : null,
      };
    });
  }

  function rowActions(row) {
    const edit = h("button", { type: "button", class: "btn btn-icon icon-edit", title: t("table.edit"), "aria-label": `${t("table.edit")}: ${label(row)}` });
    const remove = h("button", { type: "button", class: "btn btn-icon icon-delete", title: t("table.delete"), "aria-label": `${t("table.delete")}: ${label(row)}` });
    edit.addEventListener("click", () => openEditor(row));
    remove.addEventListener("click", () => busy(remove, () => removeRow(row), notifyError));
    return [edit, remove];
  }

  function render() {
    const count = h("span", { class: "count" });
    const search = h("input", { type: "search", class: "search", placeholder: t("table.search"), "aria-label": t("table.search"), value: state.query });
    const add = h("button", { type: "button", class: "btn btn-primary" }, `+ ${t("table.add")}`);
    add.addEventListener("click", () => openEditor(null));
    const head = h("div", { class: "view-head" }, h("h2", {}, t(`tab.${kind.name}`)), count, h("span", { class: "spacer" }), search, add);
    if (state.error) {
      const retry = h("button", { type: "button", class: "btn" }, t("common.reload"));
      retry.addEventListener("click", load);
      fill(el, head, h("p", { class: "message message-error", role: "alert" }, t("common.error", { message: describe(state.error) }), " ", retry));
      return;
    }
    if (!state.rows) {
      fill(el, head, h("p", { class: "empty" }, t("common.loading")));
      return;
    }
    const table = dataTable(columns(), { actions: rowActions, sort, rowAttrs: (row) => ({ dataset: { id: row.id } }) });
    const empty = h("p", { class: "empty", hidden: true });
    const show = () => {
      const shown = table.update(state.rows, state.query);
      count.textContent = t("table.count", { shown, total: state.rows.length });
      empty.textContent = state.rows.length ? t("table.nothing_found") : t("table.empty");
      empty.hidden = shown > 0;
    };
    search.addEventListener("input", () => { state.query = search.value; show(); });
    fill(el, head, table.el, empty);
    show();
  }

  function openEditor(row, message = "") {
    const editing = row !== null;
    const form = createForm(kind.fields, editing ? row : structuredClone(kind.blank), { editing });
    const title = editing ? t("table.edit_title", { name: label(row) }) : t(`table.add_title.${kind.name}`);
    const { close } = openDialog({
      title,
      body: form.el,
      submitLabel: t("common.save"),
      onSubmit: (button) => busy(button, () => save(row, form, close), (error) => form.showErrors({}, describe(error))),
    });
    if (message) form.showErrors({}, message);
  }

  async function save(row, form, close) {
    const { value, problems } = form.read();
    if (Object.keys(problems).length) return form.showErrors(problems);
    try {
      if (row) await app.api.put(itemPath(row.id), value, ifMatch(row.version));
      else await app.api.post(path, value);
    } catch (error) {
      if (error.status === 422) return form.showErrors(error.fields);
      if (error.status === 409 && row) return reopenFresh(row, close);
      return form.showErrors({}, describe(error));
    }
    close();
    if (row) app.notify(t("table.saved", { name: label(value) }), "success");
    else {
      try {
        await addToSeason(app.api, app.season.id, kind.seasonKey, value.id);
        app.notify(t("table.created", { name: label(value) }), "success");
      } catch (error) {
        app.notify(t("table.season_add_failed", { message: describe(error) }), "error");
      }
    }
    await changed();
  }

  async function reopenFresh(row, close) {
    close();
    const fresh = await app.api.get(itemPath(row.id));
    await load();
    openEditor(fresh, t("common.stale"));
  }

  async function removeRow(row) {
    const sure = await confirmAction(t("table.delete_confirm", { name: label(row) }), t("table.delete"), { danger: true });
    if (!sure) return;
    try {
      await app.api.del(itemPath(row.id), ifMatch(row.version));
      app.notify(t("table.deleted", { name: label(row) }), "success");
    } catch (error) {
      app.notify(error.status === 409 ? t("common.stale") : t("common.error", { message: describe(error) }), "error");
    }
    await changed();
  }

  async function changed() {
    await load();
    await app.refreshSeasons();
  }

  return { load, render };
}
