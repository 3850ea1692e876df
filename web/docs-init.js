// The /docs page's start-up, served from the Worker's static assets (no inline script,
// no CDN). validatorUrl: null keeps Swagger UI from calling validator.swagger.io.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
});
