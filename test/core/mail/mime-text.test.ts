/**
 * readMimeText on postal-mime: what a Groups post shows of a message — decoded headers as a
 * person reads them, the Date header as written, HTML preferred over text, charsets, and every
 * attachment named (RFC 2231 names, an attached message by its subject) with its decoded size.
 */
import { describe, expect, it } from 'vitest';
import { readMimeText } from '../../../api/core/mail/mime-text.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

describe('readMimeText', () => {
  it('decodes encoded words and addresses, keeps the Date as written, reads a Latin-1 text body', async () => {
    const read = await readMimeText(
      crlf([
        'From: =?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.com>',
        'To: Dana <dana@src.test>, "Bob, B." <bob@x.test>, team: a@x.test, b@x.test;',
        'Cc: carol@x.test',
        'Subject: =?iso-8859-1?Q?R=E9sum=E9?= and more',
        'Date: Tue, 2 Jan 2024 09:01:00 +0100',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Caf=E9 <1>=',
        ' ok',
      ]),
    );
    expect(read).toMatchObject({
      from: 'Jürgen Müller <juergen@example.com>',
      to: 'Dana <dana@src.test>, "Bob, B." <bob@x.test>, team: a@x.test, b@x.test;',
      cc: 'carol@x.test',
      subject: 'Résumé and more',
      date: 'Tue, 2 Jan 2024 09:01:00 +0100',
      body: { contentType: 'text', content: expect.stringMatching(/^Café <1> ok\n?$/) },
      attachments: [],
    });
  });

  it('prefers the HTML part and names every attachment with its decoded size', async () => {
    const read = await readMimeText(
      crlf([
        'From: Ops <ops@example.com>',
        'Subject: Report',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: multipart/alternative; boundary="b2"',
        '',
        '--b2',
        'Content-Type: text/plain',
        '',
        'See the report.',
        '--b2',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>See the <b>report</b>.</p>',
        '--b2--',
        '--b1',
        'Content-Type: application/pdf',
        "Content-Disposition: attachment; filename*=utf-8''Q4%20R%C3%A9sultats.pdf",
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQK',
        '--b1',
        'Content-Type: message/rfc822',
        '',
        'Subject: The original',
        '',
        'hi',
        '--b1--',
        '',
      ]),
    );
    expect(read.body).toEqual({ contentType: 'html', content: expect.stringMatching(/^<p>See the <b>report<\/b>\.<\/p>\n?$/) });
    expect(read.attachments).toEqual([
      { name: 'Q4 Résultats.pdf', size: 9, contentType: 'application/pdf' },
      { name: 'The original.eml', size: expect.any(Number), contentType: 'message/rfc822' },
    ]);
  });
});
