import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../api/adapters/smtp-mailer.js';
import { AuthError, ConnectionError, MailferryError, ValidationError } from '../../api/core/errors.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const FROM = 'Contoso IT <migration@contoso.test>';
const USER = 'relay-user';
const PASSWORD = 'relay-Secret-42';
/** The test relay speaks plain text on loopback, so every test but the TLS one opts out as an admin would. */

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SmtpMailer against a real SMTP server', () => {
  let sink: SmtpSink | undefined;
  let mailer: SmtpMailer | undefined;

  afterEach(async () => {
    mailer?.close();
    await sink?.close();
    sink = mailer = undefined;
  });

  it('delivers a message with From, To, Subject, a text body and an HTML alternative', async () => {
    sink = await startSmtpSink({ auth: { user: USER, pass: PASSWORD } });
    mailer = new SmtpMailer({
      host: sink.host,
      port: sink.port,
      secure: false,
      requireTls: false,
      auth: { user: USER, pass: PASSWORD },
      from: FROM,
    });
    await mailer.send({
      to: 'alice@src.test',
      subject: 'Your mailbox moves on Friday — déjà vu',
      text: 'Hello Alice,\nyour mailbox moves on Friday.\n',
      html: '<p>Hello Alice,</p><p>your mailbox moves on <b>Friday</b>.</p>',
    });
    const mail = await sink.waitFor(() => true);
    expect(mail.envelopeFrom).toBe('migration@contoso.test');
    expect(mail.envelopeTo).toEqual(['alice@src.test']);
    expect(mail.headers.get('from')).toBe('Contoso IT <migration@contoso.test>');
    expect(mail.headers.get('to')).toBe('alice@src.test');
    expect(mail.headers.get('subject')).toBe('Your mailbox moves on Friday — déjà vu');
    expect(mail.headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(mail.text).toBe('Hello Alice,\nyour mailbox moves on Friday.\n');
    expect(mail.html).toBe('<p>Hello Alice,</p><p>your mailbox moves on <b>Friday</b>.</p>');
  });

  it('sends plain text alone when there is no HTML, to an open relay without login', async () => {
    sink = await startSmtpSink();
    mailer = new SmtpMailer({ host: sink.host, port: sink.port, secure: false, requireTls: false, from: FROM });
    await mailer.send({ to: 'bob@src.test', subject: 'Plain', text: 'Only text.' });
    const mail = await sink.waitFor(() => true);
    expect(mail.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(mail.text).toBe('Only text.');
    expect(mail.html).toBeUndefined();
  });

  it('reports a refused relay login (535) as an AuthError that names the user but never the password', async () => {
    sink = await startSmtpSink({ auth: { user: USER, pass: PASSWORD } });
    mailer = new SmtpMailer({
      host: sink.host,
      port: sink.port,
      secure: false,
      requireTls: false,
      auth: { user: USER, pass: 'wrong-Password-7' },
      from: FROM,
    });
    const error = await mailer.send({ to: 'alice@src.test', subject: 'x', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).retryable).toBe(false);
    expect((error as Error).message).toContain(`"${USER}"`);
    expect((error as Error).message).toMatch(/535/);
    expect((error as Error).message).not.toContain('wrong-Password-7');
    expect(sink.messages).toHaveLength(0);
  });

  it('reports a refused recipient (550) as a ValidationError naming the address', async () => {
    sink = await startSmtpSink({ rejectRecipients: ['nobody@src.test'] });
    mailer = new SmtpMailer({ host: sink.host, port: sink.port, secure: false, requireTls: false, from: FROM });
    const error = await mailer.send({ to: 'nobody@src.test', subject: 'x', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('nobody@src.test');
  });

  it('refuses by default to send through a relay that offers no STARTTLS, and says which setting to change', async () => {
    sink = await startSmtpSink({ auth: { user: USER, pass: PASSWORD } });
    mailer = new SmtpMailer({ host: sink.host, port: sink.port, secure: false, auth: { user: USER, pass: PASSWORD }, from: FROM });
    const error = await mailer.send({ to: 'alice@src.test', subject: 'Your link', text: 'secret link' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailferryError);
    expect((error as MailferryError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/STARTTLS/);
    expect((error as Error).message).toContain('MAILFERRY_SMTP_REQUIRE_TLS=false');
    expect((error as Error).message).not.toContain(PASSWORD);
    expect(sink.messages).toHaveLength(0);
  });

  it('reports a relay that is not listening as a retryable ConnectionError', async () => {
    mailer = new SmtpMailer({ host: '127.0.0.1', port: await closedPort(), secure: false, from: FROM });
    const error = await mailer.send({ to: 'alice@src.test', subject: 'x', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(true);
  });
});
