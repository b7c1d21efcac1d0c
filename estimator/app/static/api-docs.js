// Starts the vendored Swagger UI on /api/v1/docs. A file, not an inline script, so the page works
// under Content-Security-Policy: default-src 'self'.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    validatorUrl: null, // never call the online validator
    deepLinking: true,
  });
});
