// WebAuthn ceremonies of the hosted pages: security keys, platform authenticators and passkeys.
// A form with data-webauthn="create" or "get" carries the server's options (JSON, base64url
// binary fields) in data-options; its button runs the ceremony, the answer goes in the hidden
// field "credential" and the form is posted. A form with data-webauthn="autofill" also starts a
// conditional request as soon as the page loads, which the browser answers from the username
// field's autofill (autocomplete="username webauthn").
(function () {
  "use strict";

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = b64urlToBuf(pk.challenge);
    pk.user.id = b64urlToBuf(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
    return pk;
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = b64urlToBuf(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
    return pk;
  }

  function encode(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64url(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function showError(form, msg) {
    var box = document.getElementById("form-error");
    if (!box) return;
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = msg;
    box.appendChild(p);
    var btn = form.querySelector("button[data-webauthn-start]");
    if (btn) btn.disabled = false;
  }

  var pending = null; // the conditional request's AbortController, aborted before a button's request

  function run(form, mediation) {
    return Promise.resolve().then(function () { return ceremony(form, mediation); });
  }

  function ceremony(form, mediation) {
    var opts = JSON.parse(form.getAttribute("data-options"));
    var mode = form.getAttribute("data-webauthn");
    var p;
    if (mode === "create") {
      p = navigator.credentials.create({ publicKey: creationOptions(opts) });
    } else {
      if (pending) { pending.abort(); pending = null; }
      var req = { publicKey: requestOptions(opts) };
      if (mediation === "conditional") {
        pending = new AbortController();
        req.mediation = "conditional";
        req.signal = pending.signal;
      }
      p = navigator.credentials.get(req);
    }
    return p.then(function (cred) {
      if (!cred) return;
      form.querySelector("input[name=credential]").value = encode(cred);
      form.submit();
    });
  }

  function start(form) {
    var btn = form.querySelector("button[data-webauthn-start]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, "This browser does not support security keys or passkeys.");
      if (btn) btn.disabled = true;
      return;
    }
    if (btn) {
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        btn.disabled = true;
        run(form, "").catch(function (e) {
          if (e && e.name === "AbortError") { btn.disabled = false; return; }
          showError(form, e && e.name === "InvalidStateError"
            ? "This authenticator is already registered."
            : "The operation was cancelled or timed out. Please try again.");
        });
      });
    }
    if (form.hasAttribute("data-autofill") && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) run(form, "conditional").catch(function () {});
      });
    }
  }

  document.querySelectorAll("form[data-webauthn]").forEach(start);
})();
