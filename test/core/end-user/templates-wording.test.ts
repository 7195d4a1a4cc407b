import { describe, expect, it } from 'vitest';
import { credentialRequestEmail } from '../../../api/core/end-user/templates.js';

/** Issue 14 #8: the default sender reads "…so your IT administrator can move…", not "so Your IT administrator". */
describe('credential e-mail wording', () => {
  it('writes the default requester in lower case inside a sentence and capitalised at its start', () => {
    const mail = credentialRequestEmail({
      requestedBy: 'Your IT administrator',
      projectName: 'Wave 1',
      sourceAddress: 'a@old.test',
      destinationAddress: 'a@new.test',
      link: 'https://m.test/#token=x',
      expiresAt: new Date('2026-12-11T00:00:00Z'),
      maxAttempts: 5,
    });
    expect(mail.subject).toBe('Action needed: confirm your mailbox password so your IT administrator can move a@old.test');
    expect(mail.text).toMatch(/^Your IT administrator is moving your mailbox/);
    expect(mail.text).toMatch(/contact your IT administrator\./);
    expect(mail.text).not.toMatch(/ Your IT administrator/);
  });
});
