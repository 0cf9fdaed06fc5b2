import { SCOPES } from './scopes.js';

/** The MCP endpoints this server protects, each a resource of its own for RFC 9728 and RFC 8707. */
export const RESOURCE_PATHS = ['/mcp', '/sse'] as const;

export const OAUTH_ENDPOINTS = ['/authorize', '/token', '/register', '/revoke'];

/** RFC 9728: what a client learns from the 401's resource_metadata link. */
export const protectedResource = (issuer: string, path: string) => ({
  resource: issuer + path,
  authorization_servers: [issuer],
  scopes_supported: SCOPES,
  bearer_methods_supported: ['header'],
  resource_name: 'Classic Models',
});

/** RFC 8414, with what the MCP authorization specification (2025-11-25) asks clients to look for. */
export const authorizationServer = (issuer: string) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  registration_endpoint: `${issuer}/register`,
  revocation_endpoint: `${issuer}/revoke`,
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
  revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
  scopes_supported: SCOPES,
  client_id_metadata_document_supported: true,
  authorization_response_iss_parameter_supported: true,
});

/** The WWW-Authenticate of a 401 from /mcp or /sse: where to start, and what to ask for. */
export function challenge(issuer: string, path: string, error?: { code: string; description: string }) {
  const resource = path === '/messages' ? '/sse' : path;
  const parts = [`resource_metadata="${issuer}/.well-known/oauth-protected-resource${resource}"`, `scope="${SCOPES.join(' ')}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`);
  return `Bearer ${parts.join(', ')}`;
}
