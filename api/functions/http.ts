/** Registers the HTTP API with Azure Functions v4: one catch-all trigger, the router does the rest. */
import { app } from '@azure/functions';
import { azureHost } from './azure-host.js';
import { createHttpHandler } from './http-handler.js';

export const httpApi = createHttpHandler(() => azureHost());

app.http('api', {
  route: 'v1/{*rest}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  authLevel: 'anonymous', // Entra ID tokens are validated by the router, not by function keys
  handler: httpApi,
});
