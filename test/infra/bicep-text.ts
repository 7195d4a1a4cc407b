/**
 * Just enough of Bicep to test infra/main.bicep without the Bicep CLI (none installs here): the
 * text of a resource block, and the value of an app setting evaluated with the property values
 * Azure documents for the resources it references.
 */
import { readFileSync } from 'node:fs';

export const bicep = readFileSync('infra/main.bicep', 'utf8');

/** `resource <symbol> '...' = {` up to its closing brace at the start of a line. */
export function resourceBlock(symbol: string): string {
  const start = bicep.search(new RegExp(`^resource ${symbol} '`, 'm'));
  if (start < 0) throw new Error(`infra/main.bicep declares no resource "${symbol}".`);
  const end = bicep.indexOf('\n}', start);
  return bicep.slice(start, end + 2);
}

/** The expression after `value:` of the app setting `name`, as written. */
export function appSettingExpression(name: string): string {
  const match = new RegExp(`\\{ name: '${name}', value: (.+) \\}\\s*$`, 'm').exec(bicep);
  if (!match) throw new Error(`infra/main.bicep sets no app setting ${name}.`);
  return match[1]!;
}

/**
 * Evaluates string literals with `${…}` interpolation, dotted references looked up in `refs`,
 * and the string functions the settings use. Anything else throws, so a new construct in the
 * template makes the test say so instead of guessing.
 */
export function evaluate(expression: string, refs: Record<string, string>): string {
  const parser = new ExpressionParser(expression, refs);
  const value = parser.expression();
  parser.expectEnd();
  return value;
}

const FUNCTIONS: Record<string, (...args: string[]) => string> = {
  replace: (text, from, to) => text.replaceAll(from, to),
  toLower: (text) => text.toLowerCase(),
  trim: (text) => text.trim(),
};

class ExpressionParser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly refs: Record<string, string>,
  ) {}

  expression(): string {
    this.skipSpaces();
    if (this.text[this.at] === "'") return this.stringLiteral();
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.text.slice(this.at))?.[0];
    if (!name) throw new Error(`Cannot read "${this.text.slice(this.at)}" in ${this.text}.`);
    this.at += name.length;
    this.skipSpaces();
    if (this.text[this.at] !== '(') return this.reference(name);
    this.at++;
    const args: string[] = [];
    while (this.text[this.at] !== ')') {
      args.push(this.expression());
      this.skipSpaces();
      if (this.text[this.at] === ',') this.at++;
    }
    this.at++;
    const fn = FUNCTIONS[name];
    if (!fn) throw new Error(`The test's Bicep reader does not know the function ${name}().`);
    return fn(...args);
  }

  expectEnd(): void {
    this.skipSpaces();
    if (this.at !== this.text.length) throw new Error(`Unexpected "${this.text.slice(this.at)}" in ${this.text}.`);
  }

  private stringLiteral(): string {
    let value = '';
    this.at++;
    while (this.at < this.text.length && this.text[this.at] !== "'") {
      if (this.text.startsWith('${', this.at)) {
        const close = this.text.indexOf('}', this.at);
        value += evaluate(this.text.slice(this.at + 2, close), this.refs);
        this.at = close + 1;
      } else {
        value += this.text[this.at++];
      }
    }
    this.at++;
    return value;
  }

  private reference(name: string): string {
    const value = this.refs[name];
    if (value === undefined) throw new Error(`The test gives no value for ${name}.`);
    return value;
  }

  private skipSpaces(): void {
    while (this.text[this.at] === ' ') this.at++;
  }
}
