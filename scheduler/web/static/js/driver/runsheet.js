// The printable run sheet, one tap away: fetched with the driver's token, opened from a Blob.
import { lang } from "../i18n.js";

/**
 * Open the run sheet of a day in a new window. The window opens at the tap (so no pop-up
 * blocker stops it) and shows the sheet once it has loaded; on failure it closes again and
 * the error is thrown for the caller to show.
 * @param {ReturnType<import("../api.js").client>} api
 * @param {string} date YYYY-MM-DD
 * @returns {Promise<void>}
 */
export async function openRunSheet(api, date) {
  const win = window.open("", "_blank");
  if (!win) throw new Error("popup-blocked");
  try {
    const params = new URLSearchParams({ date, lang: lang() });
    const response = await api.request(`/api/driver/runsheet?${params}`, { raw: true });
    const blob = new Blob([await response.text()], { type: "text/html;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    win.location.href = url;
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    win.close();
    throw error;
  }
}
