// Owner onboarding: sends the payOS credentials with the owner's API key (never stored by this page), shows only
// the outcome and the masked hint. Every text comes from the form's data-msg-* attributes (rendered in vi or en).
(function () {
  "use strict";
  var form = document.getElementById("onboarding");
  var result = document.getElementById("result");
  var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };
  var show = function (text) { result.textContent = text; };
  var value = function (id) { return document.getElementById(id).value.trim(); };
  var headers = function () {
    return { "Authorization": "Bearer " + value("owner_key"), "Content-Type": "application/json", "Accept": "application/json" };
  };
  var explain = function (status, body) {
    if (status === 401) return msg("unauthorized");
    if (body && body.code === "PAYOS_CREDENTIALS_INVALID" && body.part) return msg(body.part.replace(/_/g, "-"));
    if (body && body.code === "VALIDATION_ERROR") return msg("validation");
    if (status === 503) return msg("unavailable");
    return msg("error");
  };
  var describe = function (body) {
    if (!body || !body.configured) return msg("none");
    return msg("current").replace("{hint}", body.client_id_hint || "").replace("{time}", body.rotated_at || "");
  };
  var call = function (method, payload) {
    return fetch("/api/owner/payos-credentials", {
      method: method, headers: headers(), body: payload ? JSON.stringify(payload) : undefined, credentials: "omit", cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) { return { status: response.status, body: body }; });
    });
  };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(msg("busy"));
    call("PUT", { client_id: value("client_id"), api_key: value("api_key"), checksum_key: value("checksum_key") })
      .then(function (answer) {
        document.getElementById("api_key").value = "";
        document.getElementById("checksum_key").value = "";
        show(answer.status === 200 ? msg("ok") + " " + describe(answer.body) : explain(answer.status, answer.body));
      })
      .catch(function () { show(msg("unavailable")); });
  });
  document.getElementById("show").addEventListener("click", function () {
    call("GET").then(function (answer) {
      show(answer.status === 200 ? describe(answer.body) : explain(answer.status, answer.body));
    }).catch(function () { show(msg("unavailable")); });
  });
})();
