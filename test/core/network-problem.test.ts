import { describe, expect, it } from 'vitest';
import { networkProblem } from '../../api/core/network-problem.js';

describe("network problems in an admin's words", () => {
  it("Microsoft's own server not found: no host name to check in the form, so it points at this machine's network", () => {
    // A Microsoft 365 endpoint over Graph has no host field: "check the host name" sent the admin looking for one.
    const said = networkProblem({
      code: 'ENOTFOUND',
      message: 'getaddrinfo ENOTFOUND graph.microsoft.com',
      hostname: 'graph.microsoft.com',
    });
    expect(said).toBe(
      "This machine could not find Microsoft's server graph.microsoft.com: check its DNS, its Internet access and any proxy it must go through.",
    );
    expect(networkProblem({ code: 'ENOTFOUND', message: '', hostname: 'login.microsoftonline.com' })).toMatch(
      /^This machine could not find/,
    );
  });

  it('a host the admin typed is still named with "check the host name"', () => {
    expect(networkProblem({ code: 'ENOTFOUND', message: '', hostname: 'mail.contoso.com' })).toBe(
      'No server named mail.contoso.com was found: check the host name.',
    );
    expect(networkProblem({ code: 'ENOTFOUND', message: '', hostname: 'notmicrosoft.com' })).toMatch(/^No server named/);
  });
});
