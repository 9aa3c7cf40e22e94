// A data table: sortable columns (click a header), a text filter, row action buttons.
import { t } from "/static/js/i18n.js";
import { h, fill } from "./dom.js";

/**
 * @typedef {Object} Column
 * @property {string} key
 * @property {string} label the header text (translated)
 * @property {(row: Object) => *} value what the column sorts by
 * @property {(row: Object) => (Node|string)} [cell] the cell's content (default: the value)
 * @property {boolean} [numeric] right-aligned, sorted as numbers
 */

const collator = () => new Intl.Collator(document.documentElement.lang || "ru", { numeric: true, sensitivity: "base" });

function compare(column, a, b) {
  const x = column.value(a);
  const y = column.value(b);
  if (x === y) return 0;
  if (x === null || x === undefined || x === "") return 1;
  if (y === null || y === undefined || y === "") return -1;
  if (column.numeric && typeof x === "number" && typeof y === "number") return x - y;
  return collator().compare(String(x), String(y));
}

function cellContent(column, row) {
  if (column.cell) return column.cell(row);
  const value = column.value(row) ?? "";
  return column.numeric ? value : h("span", { class: "cell-text", title: String(value) }, value);
}

/**
 * A table of rows with sortable headers.
 * @param {Column[]} columns
 * @param {{actions?: (row: Object) => Node[], actionsLabel?: string, sort?: {key: string, dir: 1|-1},
 *   rowAttrs?: (row: Object) => Object, className?: string}} [options]
 * @returns {{el: HTMLElement, sort: {key: string|null, dir: 1|-1},
 *   update: (rows: Object[], query?: string) => number}} update shows the rows matching the
 *   query (in any column) and returns how many
 */
export function dataTable(columns, { actions, actionsLabel, sort = { key: null, dir: 1 }, rowAttrs, className = "" } = {}) {
  const state = { rows: [], query: "" };
  const body = h("tbody");
  const heads = columns.map((column) => {
    const button = h("button", { type: "button", class: "sort", title: t("table.sort") }, column.label);
    button.addEventListener("click", () => {
      sort.dir = sort.key === column.key ? -sort.dir : 1;
      sort.key = column.key;
      markSorted();
      update(state.rows, state.query);
    });
    return h("th", { scope: "col", class: column.numeric ? "num" : null, dataset: { key: column.key } }, button);
  });
  const head = h("tr", {}, heads, actions ? h("th", { scope: "col", class: "actions" }, actionsLabel || "") : null);
  const el = h("div", { class: "table-wrap" }, h("table", { class: `data ${className}` }, h("thead", {}, head), body));

  function markSorted() {
    for (const th of heads) {
      const sorted = th.dataset.key === sort.key;
      if (sorted) th.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  function matches(row, query) {
    if (!query) return true;
    return columns.some((column) => {
      const content = column.cell ? column.cell(row) : column.value(row);
      const text = content instanceof Node ? content.textContent : String(content ?? "");
      return text.toLowerCase().includes(query);
    });
  }

  function update(rows, query = "") {
    state.rows = rows;
    state.query = query.trim().toLowerCase();
    const column = columns.find((c) => c.key === sort.key);
    const shown = rows.filter((row) => matches(row, state.query));
    if (column) shown.sort((a, b) => sort.dir * compare(column, a, b));
    fill(body, shown.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {},
      columns.map((c) => h("td", { class: c.numeric ? "num" : null }, cellContent(c, row))),
      actions ? h("td", { class: "actions" }, actions(row)) : null)));
    return shown.length;
  }

  markSorted();
  return { el, sort, update };
}
