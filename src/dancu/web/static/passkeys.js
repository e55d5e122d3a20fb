// Passkeys (WebAuthn) for the identity pages: runs the ceremony a [data-passkey] button
// names with the options the server sends, posts the result back, then follows the
// server's redirect. Pages work without it (passwords and codes); it only adds passkeys.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }

  function fromBytes(buffer) {
    var s = "";
    new Uint8Array(buffer).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(url, body, csrf) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {}),
    });
    var data = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      var error = new Error(data.message || response.statusText);
      error.code = data.code || String(response.status);
      throw error;
    }
    return data;
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, {id: toBytes(d.id)}); });
  }

  async function register(button) {
    var options = await post(button.dataset.options, {}, button.dataset.csrf);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    var credential = await navigator.credentials.create({publicKey: options});
    var response = credential.response;
    var nameInput = document.querySelector("[data-passkey-name]");
    return post(button.dataset.finish, {
      name: nameInput ? nameInput.value : "",
      credential: {
        id: credential.id, rawId: fromBytes(credential.rawId), type: credential.type,
        response: {
          clientDataJSON: fromBytes(response.clientDataJSON),
          attestationObject: fromBytes(response.attestationObject),
          transports: response.getTransports ? response.getTransports() : [],
        },
        clientExtensionResults: credential.getClientExtensionResults(),
      },
    }, button.dataset.csrf);
  }

  async function authenticate(button) {
    var options = await post(button.dataset.options, {}, button.dataset.csrf);
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    var credential = await navigator.credentials.get({publicKey: options});
    var response = credential.response;
    return post(button.dataset.finish, {
      next: button.dataset.next || "",
      credential: {
        id: credential.id, rawId: fromBytes(credential.rawId), type: credential.type,
        response: {
          clientDataJSON: fromBytes(response.clientDataJSON),
          authenticatorData: fromBytes(response.authenticatorData),
          signature: fromBytes(response.signature),
          userHandle: response.userHandle ? fromBytes(response.userHandle) : null,
        },
        clientExtensionResults: credential.getClientExtensionResults(),
      },
    }, button.dataset.csrf);
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    var box = button.parentElement.querySelector("[data-passkey-error]");
    button.hidden = false;
    button.addEventListener("click", async function () {
      button.disabled = true;
      if (box) box.hidden = true;
      try {
        var run = button.dataset.passkey === "register" ? register : authenticate;
        var result = await run(button);
        var target = new URL(result.redirect || window.location.href, window.location.href);
        if (target.origin !== window.location.origin) {  // only this site, whatever came back
          target = new URL("/", window.location.href);
        }
        if (target.pathname === window.location.pathname &&
            target.search === window.location.search) {
          window.location.hash = target.hash;  // same page: a hash change alone would not reload
          window.location.reload();
        } else {
          window.location.assign(target.href);
        }
      } catch (error) {
        if (box) {
          box.textContent = button.dataset.failed + " (" + (error.code || error.name) + ")";
          box.hidden = false;
        }
        button.disabled = false;
      }
    });
  });
})();
