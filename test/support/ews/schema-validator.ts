/**
 * Validates EWS SOAP messages against Microsoft's own schema (../shared/ews-schema: messages.xsd,
 * which includes types.xsd) with xmllint from Debian's `libxml2-utils`. The SOAP envelope itself
 * is not in that schema, so what gets checked is what Exchange checks: the Body's child element
 * (e.g. `m:FindFolder`, `m:FindFolderResponse`) and the EWS header elements (`t:RequestServerVersion`,
 * `t:ExchangeImpersonation`, `t:ServerVersionInfo`, …), each cut out as its own document.
 *
 * One xmllint process validates all parts of one message, so the schema (≈14k lines) is compiled
 * once per message, not once per part.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, child, parseXml, standaloneXml } from './xml.js';

const XMLLINT_BIN = 'xmllint';
/** xmllint's exit code when the schema compiled but a document failed validation. */
const XMLLINT_RC_INVALID = 3;
const XMLLINT_TIMEOUT_MS = 30_000;
const XMLLINT_MAX_BUFFER = 16 * 1024 * 1024;

export interface PartResult {
  /** `Body` or `Header/<LocalName>`. */
  part: string;
  valid: boolean;
  errors: string[];
}

export interface MessageValidation {
  valid: boolean;
  /** Local name of the Body's child element (the operation or its response). */
  bodyElement: string;
  parts: PartResult[];
  ms: number;
}

export interface ValidatorStats {
  messages: number;
  failures: number;
  totalMs: number;
}

/** The directory holding package.json (works from the sources and from dist/). */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

export function defaultSchemaDir(): string {
  return join(findRepoRoot(), '..', 'shared', 'ews-schema');
}

export class EwsSchemaValidator {
  readonly stats: ValidatorStats = { messages: 0, failures: 0, totalMs: 0 };
  private readonly workDir: string;
  private readonly wrapperXsd: string;
  private seq = 0;

  constructor(readonly schemaDir = defaultSchemaDir()) {
    const messagesXsd = resolve(schemaDir, 'messages.xsd');
    if (!existsSync(messagesXsd)) {
      throw new Error(
        `EWS schema not found: ${messagesXsd} is missing. The EWS test server validates every SOAP body ` +
          `against Microsoft's messages.xsd/types.xsd, expected in <repo>/../shared/ews-schema.`,
      );
    }
    this.workDir = mkdtempSync(join(tmpdir(), 'ews-schema-'));
    // A wrapper that only imports the messages namespace: messages.xsd imports types.xsd, so
    // one compiled schema accepts both m: roots (bodies) and t: roots (headers).
    this.wrapperXsd = join(this.workDir, 'ews-wrapper.xsd');
    writeFileSync(
      this.wrapperXsd,
      `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n` +
        `  <xs:import namespace="${NS.messages}" schemaLocation="${pathToFileUrl(messagesXsd)}"/>\n</xs:schema>\n`,
    );
  }

  /** Validates standalone documents (each an EWS element as root) in one xmllint run. */
  async validateDocuments(docs: { part: string; xml: string }[]): Promise<PartResult[]> {
    const batch = ++this.seq;
    const files = docs.map((d, n) => {
      const file = join(this.workDir, `${batch}-${n}.xml`);
      writeFileSync(file, d.xml);
      return file;
    });
    try {
      const { code, stderr } = await runXmllint(['--noout', '--schema', this.wrapperXsd, ...files]);
      if (code !== 0 && code !== XMLLINT_RC_INVALID) {
        throw new Error(`xmllint could not run the schema check (exit ${code}): ${stderr.slice(0, 2000)}`);
      }
      return docs.map((d, n) => {
        const file = files[n]!;
        const lines = stderr.split('\n');
        const ok = lines.includes(`${file} validates`);
        const failed = lines.includes(`${file} fails to validate`);
        if (ok === failed) throw new Error(`xmllint gave no verdict for ${d.part}: ${stderr.slice(0, 2000)}`);
        const errors = lines.filter((l) => l.startsWith(`${file}:`)).map((l) => l.slice(file.length + 1));
        return { part: d.part, valid: ok, errors };
      });
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  }

  /**
   * Validates one SOAP message: the Body's first child element against messages.xsd and every
   * header element in the EWS types namespace against types.xsd (via the same wrapper).
   * A message that is not well-formed, or has no Body child, is invalid.
   */
  async validateSoap(soapXml: string): Promise<MessageValidation> {
    const started = performance.now();
    const result = await this.validateSoapUntimed(soapXml);
    const ms = performance.now() - started;
    this.stats.messages++;
    this.stats.totalMs += ms;
    if (!result.valid) this.stats.failures++;
    return { ...result, ms };
  }

  private async validateSoapUntimed(soapXml: string): Promise<Omit<MessageValidation, 'ms'>> {
    let envelope;
    try {
      envelope = parseXml(soapXml);
    } catch (err) {
      return invalid('', `not well-formed XML: ${(err as Error).message}`);
    }
    if (envelope.ns !== NS.soap || envelope.local !== 'Envelope') return invalid('', 'root is not a SOAP 1.1 Envelope');
    const body = child(envelope, NS.soap, 'Body');
    const bodyElement = body?.children[0];
    if (!bodyElement) return invalid('', 'SOAP Body has no element');
    const headers = (child(envelope, NS.soap, 'Header')?.children ?? []).filter((h) => h.ns === NS.types);
    const docs = [
      { part: 'Body', xml: standaloneXml(soapXml, bodyElement) },
      ...headers.map((h) => ({ part: `Header/${h.local}`, xml: standaloneXml(soapXml, h) })),
    ];
    const parts = await this.validateDocuments(docs);
    if (body!.children.length > 1) parts.push({ part: 'Body', valid: false, errors: ['SOAP Body has more than one element'] });
    return { valid: parts.every((p) => p.valid), bodyElement: bodyElement.local, parts };
  }

  /** Mean milliseconds per validated message so far. */
  get msPerMessage(): number {
    return this.stats.messages === 0 ? 0 : this.stats.totalMs / this.stats.messages;
  }

  dispose(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

export function describeFailure(v: MessageValidation): string {
  return v.parts
    .filter((p) => !p.valid)
    .map((p) => `${p.part}: ${p.errors.join(' | ')}`)
    .join('; ');
}

function invalid(bodyElement: string, error: string): Omit<MessageValidation, 'ms'> {
  return { valid: false, bodyElement, parts: [{ part: 'Envelope', valid: false, errors: [error] }] };
}

function pathToFileUrl(p: string): string {
  // xmllint resolves schemaLocation as a URI; a file: URL survives spaces and non-ASCII paths.
  return new URL(`file://${p}`).href;
}

function runXmllint(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(XMLLINT_BIN, args, { timeout: XMLLINT_TIMEOUT_MS, maxBuffer: XMLLINT_MAX_BUFFER }, (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? new Error('xmllint not found: install Debian package libxml2-utils')
            : err,
        );
        return;
      }
      resolveRun({ code: err ? (err.code as number) : 0, stderr });
    });
  });
}
