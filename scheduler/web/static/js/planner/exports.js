// Export menu of the shown version: iCal (truck, venue, public), CSV, GeoJSON and the run sheet.
import { t, lang, fmtDay } from "/static/js/i18n.js";
import { h, busy, saveBlob } from "./dom.js";
import { notifyError } from "./notify.js";

const FILENAME = /filename="?([^";]+)"?/;

// An open drop-down closes on a click elsewhere or on Escape.
document.addEventListener("click", (event) => {
  if (!event.isTrusted) return; // a download's own <a>.click()
  for (const menu of document.querySelectorAll("details.menu[open]")) if (!menu.contains(event.target)) menu.open = false;
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});

/**
 * Fetch an export with the login token and save it as a file.
 * @param {*} api the planner's API client
 * @param {string} path
 * @param {string} fallback the file name when the answer names none
 * @returns {Promise<string>} the file name
 */
async function download(api, path, fallback) {
  const response = await api.request(path, { raw: true });
  const name = FILENAME.exec(response.headers.get("Content-Disposition") || "")?.[1] || fallback;
  saveBlob(await response.blob(), name);
  return name;
}

/**
 * Open the printable run sheet in a new tab (from a Blob; the request carries the token).
 * The tab is opened at the click so the browser does not block it.
 * @param {*} api
 * @param {string} path
 * @param {string} name the file name if the tab cannot be opened
 */
async function openRunSheet(api, path, name) {
  const tab = window.open("", "_blank");
  try {
    const html = await api.request(path, { raw: true }).then((response) => response.text());
    const blob = new Blob([html], { type: "text/html;charset=utf-8" });
    if (tab) tab.location.href = URL.createObjectURL(blob);
    else { saveBlob(blob, name); return t("export.popup"); }
  } catch (error) {
    tab?.close();
    throw error;
  }
  return null;
}

function options(pairs) {
  return pairs.map(([value, label]) => h("option", { value }, label));
}

function row(label, ...controls) {
  return h("div", { class: "export-row" }, h("span", { class: "export-label" }, label), h("span", { class: "export-controls" }, controls));
}

/**
 * The export menu (a <details> drop-down) of a plan version.
 * @param {Object} plan GET /api/plans/{id}
 * @param {Object} app the workspace: api, notify
 * @returns {HTMLElement}
 */
export function exportMenu(plan, app) {
  const base = `/api/plans/${plan.id}/export`;
  const trucks = [...new Map(plan.routes.map((r) => [r.truck_id, r.truck_name])).entries()];
  const venues = [...new Map(plan.routes.flatMap((r) => r.stops).map((s) => [s.venue_id, s.venue_name])).entries()]
    .sort((a, b) => a[1].localeCompare(b[1]));
  const days = (truckId) => plan.routes.filter((r) => r.truck_id === truckId).map((r) => r.day).sort();

  const button = (label, action) => {
    const el = h("button", { type: "button", class: "btn btn-small" }, label);
    el.addEventListener("click", () => busy(el, async () => {
      const message = await action();
      if (message) app.notify(message, "info");
    }, notifyError));
    return el;
  };
  const save = (pathOf, name) => async () => t("export.done", { name: await download(app.api, `${base}/${pathOf()}`, name) });

  const truckPick = h("select", { "aria-label": t("export.ical_truck") }, options(trucks));
  const venuePick = h("select", { "aria-label": t("export.ical_venue") }, options(venues));
  const sheetTruck = h("select", { "aria-label": t("export.ical_truck") }, options(trucks));
  const sheetDay = h("select", { "aria-label": t("export.runsheet") });
  const fillDays = () => sheetDay.replaceChildren(...options(days(sheetTruck.value).map((d) => [d, fmtDay(d)])));
  sheetTruck.addEventListener("change", fillDays);
  fillDays();
  const enc = encodeURIComponent;

  const body = trucks.length === 0 ? h("p", { class: "empty" }, t("export.no_routes")) : [
    row(t("export.ical"),
      truckPick, button(t("export.ical_truck"), save(() => `ical/trucks/${enc(truckPick.value)}.ics`, "truck.ics")),
      venuePick, button(t("export.ical_venue"), save(() => `ical/venues/${enc(venuePick.value)}.ics`, "venue.ics")),
      button(t("export.ical_public"), save(() => "ical/public.ics", "public.ics"))),
    row(t("export.csv"),
      button(t("export.stops"), save(() => "stops.csv", "stops.csv")),
      button(t("export.screenings"), save(() => "screenings.csv", "screenings.csv"))),
    row(t("export.geojson"), button(t("export.geojson_file"), save(() => "plan.geojson", "plan.geojson"))),
    row(t("export.runsheet"), sheetTruck, sheetDay, button(t("export.open"), () =>
      openRunSheet(app.api, `${base}/runsheet/${enc(sheetTruck.value)}/${sheetDay.value}.html?lang=${lang()}`,
        `runsheet-${sheetTruck.value}-${sheetDay.value}.html`))),
  ];
  return h("details", { class: "menu export-menu" },
    h("summary", { class: "btn" }, t("plan.export")),
    h("div", { class: "menu-panel" }, body));
}
