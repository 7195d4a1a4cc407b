/**
 * Validates EWS SOAP messages against Microsoft's own schema (../shared/ews-schema: messages.xsd,
 * which includes types.xsd) with xmllint from Debian's `libxml2-utils`. The SOAP envelope itself
 * is not in that schema, so what gets checked is what Exchange checks: the Body's child element
 * (e.g. `m:FindFolder`, `m:FindFolderResponse`) and the EWS header elements (`t:RequestServerVersion`,
 * `t:ExchangeImpersonation`, `t:ServerVersionInfo`, …), each cut out as its own document.
 *
 * The checker is libxml2, the library behind `xmllint --schema`: a small C program
 * (xsd-validate.c, built on first use with `cc` and Debian's libxml2-dev) compiles the schema once
 * and validates every document sent to it (≈1 ms per message instead of ≈100 ms for an xmllint
 * run that recompiles the ≈14k-line schema each time). Without a C compiler or libxml2-dev it
 * falls back to one xmllint run per message, with a warning.
 */
import { type ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, type XmlElement, child, parseXml, standaloneXml } from './xml.js';

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
  private daemon?: Promise<SchemaDaemon | undefined>;

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

  /** Which checker runs: the libxml2 daemon, or xmllint per message when the daemon cannot be built. */
  async engine(): Promise<'libxml2-daemon' | 'xmllint'> {
    this.daemon ??= SchemaDaemon.start(this.wrapperXsd);
    return (await this.daemon) ? 'libxml2-daemon' : 'xmllint';
  }

  /** Validates standalone documents (each an EWS element as root). */
  async validateDocuments(docs: { part: string; xml: string }[]): Promise<PartResult[]> {
    this.daemon ??= SchemaDaemon.start(this.wrapperXsd);
    const daemon = await this.daemon;
    if (daemon) return Promise.all(docs.map(async (d) => ({ part: d.part, ...(await daemon.validate(d.xml)) })));
    return this.validateWithXmllint(docs);
  }

  private async validateWithXmllint(docs: { part: string; xml: string }[]): Promise<PartResult[]> {
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
    let envelope: XmlElement;
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
    void this.daemon?.then((d) => d?.stop());
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
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('xmllint not found: install Debian package libxml2-utils') : err,
        );
        return;
      }
      resolveRun({ code: err ? (err.code as number) : 0, stderr });
    });
  });
}

let fallbackWarned = false;

/** Builds xsd-validate.c once per source version into node_modules/.cache; undefined if it cannot. */
function daemonBinary(): string | undefined {
  // From the repository, not from this file: the bench runs this module compiled under dist/.
  const sourcePath = join(findRepoRoot(), 'test', 'support', 'ews', 'xsd-validate.c');
  const source = readFileSync(sourcePath);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(findRepoRoot(), 'node_modules', '.cache', 'mailferry-xsd-validate');
  const binary = join(dir, `xsd-validate-${hash}`);
  if (existsSync(binary)) return binary;
  try {
    mkdirSync(dir, { recursive: true });
    const flags = execFileSync('xml2-config', ['--cflags', '--libs'], { encoding: 'utf8' }).trim().split(/\s+/);
    // Build under a private name, then rename: parallel test workers may race to build it.
    const temp = `${binary}.${process.pid}.tmp`;
    execFileSync('cc', ['-O2', '-o', temp, sourcePath, ...flags], { stdio: 'pipe' });
    renameSync(temp, binary);
    return binary;
  } catch (err) {
    if (!fallbackWarned) {
      fallbackWarned = true;
      console.warn(
        `EWS schema checks fall back to one xmllint run per message (slow): could not build xsd-validate (${(err as Error).message.split('\n')[0]}). Install gcc and libxml2-dev.`,
      );
    }
    return undefined;
  }
}

/** One xsd-validate process: requests are written in order and answered in order. */
class SchemaDaemon {
  private readonly waiting: ((r: { valid: boolean; errors: string[] }) => void)[] = [];
  private pendingErrors: string[] | undefined;
  private expected = 0;
  private buffered = '';
  private failure?: Error;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  static start(schema: string): Promise<SchemaDaemon | undefined> {
    const binary = daemonBinary();
    if (!binary) return Promise.resolve(undefined);
    const child = spawn(binary, [schema], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    const daemon = new SchemaDaemon(child);
    return new Promise((resolveStart, reject) => {
      let ready = false;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (!ready) {
          daemon.buffered += chunk;
          const nl = daemon.buffered.indexOf('\n');
          if (nl < 0) return;
          const first = daemon.buffered.slice(0, nl);
          daemon.buffered = daemon.buffered.slice(nl + 1);
          if (first !== 'READY') return reject(new Error(`xsd-validate could not compile the EWS schema: ${first}`));
          ready = true;
          resolveStart(daemon);
          return;
        }
        daemon.onData(chunk);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        daemon.failure = new Error(`xsd-validate exited (${code})`);
        for (const w of daemon.waiting.splice(0)) w({ valid: false, errors: [daemon.failure.message] });
        if (!ready) reject(daemon.failure);
      });
    });
  }

  validate(xml: string): Promise<{ valid: boolean; errors: string[] }> {
    if (this.failure) return Promise.reject(this.failure);
    const bytes = Buffer.from(xml, 'utf8');
    return new Promise((resolveOne) => {
      this.waiting.push(resolveOne);
      this.child.stdin.write(`${bytes.length}\n`);
      this.child.stdin.write(bytes);
    });
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (this.pendingErrors) {
        this.pendingErrors.push(line);
        if (this.pendingErrors.length === this.expected) this.settle(false, this.pendingErrors);
      } else if (line === 'OK') {
        this.settle(true, []);
      } else {
        const m = /^FAIL (\d+)$/.exec(line);
        if (!m) throw new Error(`xsd-validate said something unexpected: ${line}`);
        this.expected = Number(m[1]);
        this.pendingErrors = [];
      }
    }
  }

  private settle(valid: boolean, errors: string[]): void {
    this.pendingErrors = undefined;
    this.waiting.shift()?.({ valid, errors });
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
