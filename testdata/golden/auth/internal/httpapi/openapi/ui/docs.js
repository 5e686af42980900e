// Renders the service's OpenAPI document with Swagger UI. It is a file of
// its own, not an inline script, so that the page's Content-Security-Policy
// can keep forbidding inline scripts.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Swagger UI would otherwise send the document to a public validator:
    // the page makes no request to another host.
    validatorUrl: null,
    // Sign in by pasting a session token under "Authorize"; it is kept for
    // this tab only.
    persistAuthorization: false,
  });
});
