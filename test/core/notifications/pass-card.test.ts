import { describe, expect, it } from 'vitest';
import { MailferryError, ValidationError } from '../../../api/core/errors.js';
import type { Pass, PassKind, Project } from '../../../api/core/model.js';
import { adaptiveCardProblems } from '../../../api/core/notifications/card-problems.js';
import { formatBytes, formatDuration } from '../../../api/core/human-units.js';
import type { ErrorReasonCount, PassEndedNotice } from '../../../api/core/ports.js';
import { ERROR_REASON_MAX_CHARS, MAX_ERROR_REASONS, buildPassEndedMessage } from '../../../api/core/notifications/pass-card.js';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  TEAMS_MESSAGE_MAX_BYTES,
  serializedBytes,
  type AdaptiveCardJson,
  type TeamsCardMessage,
} from '../../../api/core/notifications/teams-message.js';

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TAB_LINK = { teamsAppId: 'a1b2c3d4-0000-4000-8000-000000000001', tabEntityId: 'projects' };

function project(overrides: Partial<Project> = {}): Project {
  return {
    tenantId: 't1',
    id: 'proj-42',
    version: 3,
    name: 'Contoso to Fabrikam',
    sourceEndpointId: 'e1',
    destinationEndpointId: 'e2',
    options: ['ModernAuthClientSecretExport=s3cr3t-value', 'RecipientMapping="@src.com->@dst.com"'],
    maxConcurrentMigrations: 5,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function pass(overrides: Partial<Pass> = {}): Pass {
  return {
    tenantId: 't1',
    id: 'pass-7',
    version: 4,
    projectId: 'proj-42',
    kind: 'full',
    itemIds: ['i1', 'i2', 'i3', 'i4'],
    options: { itemTypes: ['mail'] },
    status: 'completed',
    createdAt: '2026-01-02T00:00:00.000Z',
    finishedAt: '2026-01-02T02:05:00.000Z',
    summary: {
      items: 4,
      completed: 1234,
      completedWithErrors: 2,
      failedItems: 1,
      stopped: 0,
      copied: 45678,
      skipped: 10,
      failed: 17,
      bytes: 1.5 * GB,
      durationMs: 2 * HOUR + 5 * MINUTE,
    },
    ...overrides,
  };
}

function notice(overrides: Partial<PassEndedNotice> = {}): PassEndedNotice {
  return { project: project(), pass: pass(), topErrors: [], ...overrides };
}

function cardOf(message: TeamsCardMessage): AdaptiveCardJson {
  return message.attachments[0].content;
}

/** Every TextBlock text and fact in the card, in order, for assertions that read like the card. */
function textsOf(card: AdaptiveCardJson): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'TextBlock') texts.push(String(record.text));
    if (typeof record.title === 'string' && typeof record.value === 'string') texts.push(`${record.title}: ${record.value}`);
    Object.values(record).forEach(walk);
  };
  walk(card.body);
  return texts;
}

function errorTexts(card: AdaptiveCardJson): string[] {
  const texts = textsOf(card);
  const heading = texts.indexOf('Top error reasons');
  return heading < 0 ? [] : texts.slice(heading + 1);
}

function reasons(count: number, length: number): ErrorReasonCount[] {
  return Array.from({ length: count }, (_, i) => ({ code: 'rejected', reason: `reason ${i} `.padEnd(length, 'x'), count: count - i }));
}

describe('the pass-ended card', () => {
  it('is a Workflows message whose one attachment is an Adaptive Card 1.5 that the adaptivecards parser accepts', () => {
    const message = buildPassEndedMessage(notice({ topErrors: reasons(3, 80) }), { tabLink: TAB_LINK });
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0].contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    expect(message.attachments[0].contentUrl).toBeNull();
    expect(cardOf(message)).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(adaptiveCardProblems(cardOf(message))).toEqual([]);
  });

  it('still parses cleanly with no error reasons and no link', () => {
    const card = cardOf(buildPassEndedMessage(notice()));
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(errorTexts(card)).toEqual([]);
    expect(card.actions).toEqual([]);
  });

  it('is checked by a parser that does report problems (a link without url, an unknown element)', () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'Bogus' }],
      actions: [{ type: 'Action.OpenUrl', title: 'Open' }],
    };
    expect(adaptiveCardProblems(broken)).toEqual([expect.stringContaining('Bogus'), expect.stringContaining('url')]);
  });

  it('shows the project, the pass in admin words and its counts, bytes and duration', () => {
    const texts = textsOf(cardOf(buildPassEndedMessage(notice())));
    expect(texts.slice(0, 2)).toEqual(['Full Migration completed', 'Project: Contoso to Fabrikam']);
    expect(texts).toEqual(
      expect.arrayContaining([
        'Items completed: 1,234',
        'Completed with errors: 2',
        'Failed: 1',
        'Stopped: 0',
        'Messages copied: 45,678',
        'Messages failed: 17',
        'Data copied: 1.5 GiB',
        'Duration: 2 h 5 min',
      ]),
    );
  });

  it.each<[PassKind, string]>([
    ['verify', 'Verify Credentials completed'],
    ['trial', 'Trial Migration completed'],
    ['prestage', 'Pre-Stage Migration completed'],
    ['full', 'Full Migration completed'],
    ['retry-errors', 'Retry Errors completed'],
  ])('titles a %s pass "%s"', (kind, title) => {
    expect(textsOf(cardOf(buildPassEndedMessage(notice({ pass: pass({ kind }) }))))[0]).toBe(title);
  });

  it('says a stopped pass was stopped', () => {
    expect(textsOf(cardOf(buildPassEndedMessage(notice({ pass: pass({ status: 'stopped' }) }))))[0]).toBe('Full Migration stopped');
  });

  it('lists the five most frequent error reasons, most frequent first, with their counts and codes', () => {
    const topErrors = [
      { code: 'rejected', reason: 'Message has a malformed header', count: 3 },
      { code: 'too-large', reason: 'Message exceeds 35 MB', count: 40 },
      { code: 'rejected', reason: 'one', count: 1 },
      { code: 'rejected', reason: 'two', count: 2 },
      { code: 'rejected', reason: 'a thousand', count: 1000 },
      { code: 'rejected', reason: 'five', count: 5 },
    ];
    expect(errorTexts(cardOf(buildPassEndedMessage(notice({ topErrors }))))).toEqual([
      '1,000 × a thousand (rejected)',
      '40 × Message exceeds 35 MB (too-large)',
      '5 × five (rejected)',
      '3 × Message has a malformed header (rejected)',
      '2 × two (rejected)',
    ]);
  });

  it('cuts a long reason to its limit with an ellipsis and keeps it on one line', () => {
    const [text] = errorTexts(
      cardOf(buildPassEndedMessage(notice({ topErrors: [{ code: 'rejected', reason: `NO [ALERT]\r\n  ${'y'.repeat(5000)}`, count: 2 }] }))),
    );
    const reason = text.replace(/^2 × /, '');
    expect(reason.startsWith('NO \\[ALERT\\] yyy')).toBe(true);
    expect(reason.endsWith('…')).toBe(true);
    expect(Array.from(reason.replace(/\\/g, '')).length).toBe(ERROR_REASON_MAX_CHARS);
  });

  it('escapes Markdown in a server reason so it cannot become a link on the card', () => {
    const [text] = errorTexts(
      cardOf(buildPassEndedMessage(notice({ topErrors: [{ code: '', reason: 'see [here](https://evil.example) *now*', count: 1 }] }))),
    );
    expect(text).toBe('1 × see \\[here\\](https://evil.example) \\*now\\*');
  });

  it('stays within 28 KB with 500 long error reasons', () => {
    const message = buildPassEndedMessage(notice({ topErrors: reasons(500, 4000) }), { tabLink: TAB_LINK });
    expect(serializedBytes(message)).toBeLessThanOrEqual(TEAMS_MESSAGE_MAX_BYTES);
    expect(errorTexts(cardOf(message))).toHaveLength(MAX_ERROR_REASONS);
    expect(adaptiveCardProblems(cardOf(message))).toEqual([]);
  });

  it('drops the least frequent reasons one by one when the message is over the limit', () => {
    const five = reasons(5, 150);
    const full = buildPassEndedMessage(notice({ topErrors: five }));
    const withoutTwo = buildPassEndedMessage(notice({ topErrors: five.slice(0, 3) }));
    const limit = serializedBytes(withoutTwo) + 10;
    expect(serializedBytes(full)).toBeGreaterThan(limit);
    const fitted = buildPassEndedMessage(notice({ topErrors: five }), { maxMessageBytes: limit });
    expect(errorTexts(cardOf(fitted))).toEqual(errorTexts(cardOf(withoutTwo)));
    expect(serializedBytes(fitted)).toBeLessThanOrEqual(limit);
  });

  it('shortens the project name after the reasons are gone', () => {
    const longName = 'Northwind '.repeat(20).trim();
    const noReasons = buildPassEndedMessage(notice({ project: project({ name: longName }) }));
    const limit = serializedBytes(noReasons) - 100;
    const fitted = buildPassEndedMessage(notice({ project: project({ name: longName }), topErrors: reasons(5, 100) }), {
      maxMessageBytes: limit,
    });
    expect(serializedBytes(fitted)).toBeLessThanOrEqual(limit);
    expect(errorTexts(cardOf(fitted))).toEqual([]);
    expect(textsOf(cardOf(fitted))[1]).toMatch(/^Project: Northwind .*…$/);
  });

  it('refuses, with a clear error, a card that cannot fit at all', () => {
    const tabUrl = `https://mailferry.example/tab?x=${'a'.repeat(TEAMS_MESSAGE_MAX_BYTES)}`;
    const build = () => buildPassEndedMessage(notice({ tabUrl, topErrors: reasons(5, 100) }));
    expect(build).toThrow(MailferryError);
    expect(build).toThrow(/Teams accepts at most 28000/);
  });

  it('links "Open in Mailferry" to the Teams tab on this project', () => {
    const card = cardOf(buildPassEndedMessage(notice(), { tabLink: TAB_LINK }));
    const [action] = card.actions as { type: string; title: string; url: string }[];
    expect(action).toMatchObject({ type: 'Action.OpenUrl', title: 'Open in Mailferry' });
    const url = new URL(action.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://teams.microsoft.com/l/entity/${TAB_LINK.teamsAppId}/projects`);
    expect(JSON.parse(url.searchParams.get('context') ?? '')).toEqual({ subEntityId: 'proj-42' });
    expect(action.url).toContain(`?context=${encodeURIComponent('{"subEntityId":"proj-42"}')}`);
  });

  it('prefers a plain tab URL when the notice has one, and refuses one that is not a web link', () => {
    const card = cardOf(buildPassEndedMessage(notice({ tabUrl: 'https://mailferry.example/projects/proj-42' }), { tabLink: TAB_LINK }));
    expect((card.actions as { url: string }[])[0].url).toBe('https://mailferry.example/projects/proj-42');
    expect(() => buildPassEndedMessage(notice({ tabUrl: 'javascript:alert(1)' }))).toThrow(ValidationError);
  });

  it('carries names and counts only, never the project options where secrets live', () => {
    const json = JSON.stringify(buildPassEndedMessage(notice({ topErrors: reasons(2, 50) }), { tabLink: TAB_LINK }));
    expect(json).not.toContain('s3cr3t-value');
    expect(json).not.toContain('ModernAuthClientSecretExport');
    expect(json).not.toContain('RecipientMapping');
  });

  it('does not treat ${...} in a project name or reason as a binding', () => {
    const card = cardOf(
      buildPassEndedMessage(
        notice({ project: project({ name: 'Lab ${tabUrl}' }), topErrors: [{ code: 'x', reason: '${title}', count: 1 }] }),
      ),
    );
    expect(textsOf(card)[1]).toBe('Project: Lab ${tabUrl}');
    expect(errorTexts(card)).toEqual(['1 × ${title} (x)']);
  });

  it('gives the same card for the same notice (the template is not consumed)', () => {
    const input = notice({ topErrors: reasons(2, 30) });
    expect(buildPassEndedMessage(input, { tabLink: TAB_LINK })).toEqual(buildPassEndedMessage(input, { tabLink: TAB_LINK }));
  });

  it('refuses a pass that has not ended', () => {
    expect(() => buildPassEndedMessage(notice({ pass: pass({ status: 'running', summary: undefined }) }))).toThrow(ValidationError);
  });
});

describe('human-readable units', () => {
  it.each<[number, string]>([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1536, '1.5 KiB'],
    [9.96 * KB, '10 KiB'],
    [10 * MB, '10 MiB'],
    [340.4 * MB, '340 MiB'],
    [1.5 * GB, '1.5 GiB'],
    [2048 * GB, '2 TiB'],
  ])('shows %d bytes as "%s"', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each<[number, string]>([
    [0, 'less than 1 s'],
    [400, 'less than 1 s'],
    [45 * SECOND, '45 s'],
    [12 * MINUTE + 5 * SECOND, '12 min 5 s'],
    [HOUR, '1 h'],
    [2 * HOUR + 5 * MINUTE + 30 * SECOND, '2 h 5 min'],
    [HOUR + 30 * SECOND, '1 h'],
    [3 * DAY + 4 * HOUR + 10 * MINUTE, '3 d 4 h'],
  ])('shows %d ms as "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
