/**
 * tab/office-js/microsoft-ajax.js, Mailferry's stand-in for MicrosoftAjax.js, against the Office.js
 * files the taskpane build ships (tab/vite.config.ts copies them from @microsoft/office-js). Every
 * MicrosoftAjax name office.js and the Outlook host files use must be there: an upgrade of the
 * package that calls one more fails here, before an Outlook user finds a taskpane that never starts.
 * The Outlook-on-the-web path runs for real in ./outlook-taskpane.browser.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const STAND_IN = readFileSync(new URL('../../tab/office-js/microsoft-ajax.js', import.meta.url), 'utf8');
const VITE_CONFIG = readFileSync(new URL('../../tab/vite.config.ts', import.meta.url), 'utf8');
const DIST = join(dirname(createRequire(import.meta.url).resolve('@microsoft/office-js/package.json')), 'dist');
const OUTLOOK_HOST_FILES = readdirSync(DIST).filter((f) => /^outlook-[a-z0-9]+-16\.\d\d\.js$/.test(f));
const CHROMIUM_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/** A window with the stand-in loaded, as the taskpane has it before office.js. */
function standInWindow(): vm.Context {
  const context: Record<string, unknown> = { navigator: { userAgent: CHROMIUM_AGENT, appName: 'Netscape' }, console };
  context['window'] = context;
  vm.createContext(context);
  vm.runInContext(STAND_IN, context);
  return context;
}
const defined = (path: string, context: vm.Context) => {
  try {
    return vm.runInContext(`typeof ${path} !== 'undefined'`, context) as boolean;
  } catch {
    return false;
  }
};

/** The MicrosoftAjax names a file uses: Sys.*, Type.*, the statics MicrosoftAjax adds to built-ins, and Office's aliases for them. */
function microsoftAjaxNames(source: string): string[] {
  const names = [
    ...source.matchAll(/(?<![\w$.'"])(Sys|Type|Function|Error|String|Object|Array)\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)/g),
  ].map((m) => `${m[1]}.${m[2]}`);
  const aliases: Record<string, string> = { Error: 'Error', String: 'String', Debug: 'Sys.Debug' };
  for (const m of source.matchAll(/OsfMsAjaxFactory\.msAjax(Error|String|Debug)\.([A-Za-z_$][\w$]*)/g))
    names.push(`${aliases[m[1]!]}.${m[2]}`);
  // What the file assigns itself (Office's own Sys.* errors, OSF helpers) is not asked of MicrosoftAjax.
  const own = new Set(
    [...source.matchAll(/(?<![\w$.])((?:Sys|Type|Function|Error|String|Object|Array)(?:\.[A-Za-z_$][\w$]*)+)\s*=(?!=)/g)].map((m) => m[1]!),
  );
  const bare = vm.createContext({});
  return [...new Set(names.filter((n) => ![...own].some((o) => n === o || n.startsWith(`${o}.`)) && !defined(n, bare)))].sort();
}

describe('the MicrosoftAjax stand-in the Outlook taskpane loads before office.js', () => {
  it('is copied with every Outlook host file Office.js may pick', () => {
    expect(OUTLOOK_HOST_FILES.length).toBeGreaterThan(0);
    for (const file of [...OUTLOOK_HOST_FILES, 'office.js']) expect(VITE_CONFIG, file).toContain(`'${file}'`);
    expect(VITE_CONFIG).toContain('./office-js/microsoft-ajax.js');
  });

  for (const file of ['office.js', ...OUTLOOK_HOST_FILES]) {
    it(`has every MicrosoftAjax name ${file} uses`, () => {
      const window = standInWindow();
      const names = microsoftAjaxNames(readFileSync(join(DIST, file), 'utf8'));
      expect(names).toEqual(expect.arrayContaining(['Sys.StringBuilder'])); // the scan finds what it must
      expect(names.filter((name) => !defined(name, window))).toEqual([]);
    });
  }

  it("passes the Outlook host files' own test for a loaded MicrosoftAjax, so they ask no CDN", () => {
    const window = standInWindow();
    // outlook-web-16.01.js: OfficeExt.MicrosoftAjaxFactory.prototype.isMsAjaxLoaded (office.js tests a subset of it).
    expect(
      vm.runInContext(
        `typeof Sys !== 'undefined' && typeof Type !== 'undefined' && typeof Sys.StringBuilder === 'function' &&
         typeof Type.registerNamespace === 'function' && typeof Type.registerClass === 'function' &&
         typeof Function._validateParams === 'function' && typeof Sys.Serialization.JavaScriptSerializer.serialize === 'function'`,
        window,
      ),
    ).toBe(true);
  });

  it('behaves as MicrosoftAjax: parameter checks, errors, namespaces and classes, JSON dates, String.format', () => {
    const window = standInWindow();
    const run = (code: string) => vm.runInContext(code, window);
    const spec = '[{ name: "coercionType", type: String }, { name: "callback", type: Function, optional: true, mayBeNull: true }]';
    expect(run(`Function._validateParams(['html', function () {}], ${spec})`)).toBeNull();
    expect(run(`Function._validateParams(['html'], ${spec})`)).toBeNull();
    expect(run(`Function._validateParams([3], ${spec}).name`)).toBe('Sys.ArgumentTypeException');
    expect(run(`Function._validateParams([3], ${spec}).message`)).toBe(
      "Sys.ArgumentTypeException: Object of type 'Number' cannot be converted to type 'String'.\nParameter name: coercionType",
    );
    expect(run(`Function._validateParams([null], ${spec}).name`)).toBe('Sys.ArgumentNullException');
    expect(run(`Function._validateParams([], ${spec}).name`)).toBe('Sys.ParameterCountException');
    expect(run(`Function._validateParams(['a', null, 3], ${spec}).name`)).toBe('Sys.ParameterCountException');
    expect(run(`Function._validateParams(['a', null, 3], ${spec}, false)`)).toBeNull();
    expect(run(`Function._validateParams([[1, 'x']], [{ name: "ids", type: Array, elementType: Number }]).paramName`)).toBe('ids[1]');
    expect(run(`Function._validateParams([1.5], [{ name: "n", type: Number, integer: true }]).name`)).toBe(
      'Sys.ArgumentOutOfRangeException',
    );
    expect(run(`(Error.argument('x') instanceof Error) && Error.invalidOperation().name`)).toBe('Sys.InvalidOperationException');

    run(`Type.registerNamespace('Contoso.Mail'); Contoso.Mail.Base = function () { this.base = true; };
         Contoso.Mail.Base.prototype = { hello: function () { return 'hello'; } };
         Contoso.Mail.Base.registerClass('Contoso.Mail.Base');
         Contoso.Mail.Derived = function () { Contoso.Mail.Derived.initializeBase(this); };
         Contoso.Mail.Derived.registerClass('Contoso.Mail.Derived', Contoso.Mail.Base);
         var derived = new Contoso.Mail.Derived();`);
    expect(run(`Contoso.Mail.getName()`)).toBe('Contoso.Mail');
    expect(run(`Type.isNamespace(Contoso.Mail) && Type.isClass(Contoso.Mail.Derived)`)).toBe(true);
    expect(
      run(`[derived.base, derived.hello(), Object.getTypeName(derived), Contoso.Mail.Derived.inheritsFrom(Contoso.Mail.Base)]`),
    ).toEqual([true, 'hello', 'Contoso.Mail.Derived', true]);
    expect(
      run(`Contoso.Mail.Base.isInstanceOfType(derived) && Function._validateParams([derived], [{ name: 'b', type: Contoso.Mail.Base }])`),
    ).toBeNull();

    const text = run(`Sys.Serialization.JavaScriptSerializer.serialize({ at: new Date(86400000), list: [1, 'a "quoted" b'] })`);
    expect(text).toBe('{"at":"\\/Date(86400000)\\/","list":[1,"a \\"quoted\\" b"]}');
    expect(run(`Sys.Serialization.JavaScriptSerializer.deserialize(${JSON.stringify(text)}).at.getTime()`)).toBe(86_400_000);
    expect(() => run(`Sys.Serialization.JavaScriptSerializer.deserialize('{not json')`)).toThrow(/valid JSON/);
    expect(run(`new Sys.StringBuilder('a').append('b').append(null).appendLine('c').toString()`)).toBe('abc\r\n');
    expect(run(`String.format('{0} of {1} {{done}}', 3, 'ten')`)).toBe('3 of ten {done}');
    expect(run(`var list = [1, 2, 3]; Array.removeAt(list, 1); list`)).toEqual([1, 3]);
    expect(run(`Sys.Browser.agent === Sys.Browser.Safari && Sys.Browser.agent !== Sys.Browser.InternetExplorer`)).toBe(true);
  });

  it('leaves a loaded MicrosoftAjax alone', () => {
    const window = standInWindow();
    vm.runInContext(`Sys.marker = 1; var before = Type.registerNamespace;`, window);
    vm.runInContext(STAND_IN, window);
    expect(vm.runInContext(`Sys.marker === 1 && Type.registerNamespace === before`, window)).toBe(true);
  });
});
