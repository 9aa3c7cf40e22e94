// The REST API from the browser: the login token, JSON requests, readable errors.

/** An API error: status, a message for people, and field errors {field: message}. */
export class ApiError extends Error {
  constructor(status, message, fields = {}, body = null) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.body = body;
  }
}

/** A client for one app ("planner" or "driver"): each keeps its own login. */
export function client(app) {
  const key = `kt.token.${app}`;
  const token = () => localStorage.getItem(key);

  async function request(path, { method = "GET", body, form, headers = {}, raw = false } = {}) {
    const init = { method, headers: { ...headers } };
    if (token()) init.headers.Authorization = `Bearer ${token()}`;
    if (form) init.body = form;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && token()) {
      localStorage.removeItem(key);
      window.dispatchEvent(new CustomEvent("loggedout", { detail: app }));
    }
    if (!response.ok) throw await toError(response);
    if (raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  return {
    request,
    get: (path, opts) => request(path, opts),
    post: (path, body, opts = {}) => request(path, { ...opts, method: "POST", body }),
    put: (path, body, opts = {}) => request(path, { ...opts, method: "PUT", body }),
    del: (path, opts = {}) => request(path, { ...opts, method: "DELETE" }),
    loggedIn: () => Boolean(token()),
    async login(username, password) {
      const form = new URLSearchParams({ username, password });
      const response = await fetch("/api/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form,
      });
      if (!response.ok) throw await toError(response);
      const data = await response.json();
      localStorage.setItem(key, data.access_token);
      return data.user;
    },
    async logout() {
      try { await request("/api/auth/logout", { method: "POST" }); } catch { /* already gone */ }
      localStorage.removeItem(key);
    },
  };
}

async function toError(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const fields = {};
  let message = `${response.status} ${response.statusText}`;
  if (body && typeof body.detail === "string") message = body.detail;
  else if (body && Array.isArray(body.detail)) {
    for (const item of body.detail) {
      const loc = (item.loc || []).filter((p) => p !== "body" && p !== "query" && p !== "path");
      fields[loc.join(".") || "(body)"] = item.msg;
    }
    message = Object.entries(fields).map(([f, m]) => `${f}: ${m}`).join("; ");
  }
  return new ApiError(response.status, message, fields, body);
}
