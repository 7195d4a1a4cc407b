/*
 * Mailferry's own stand-in for the part of Microsoft's MicrosoftAjax.js (ASP.NET AJAX 3.5) that
 * Office.js for Outlook needs. MIT, like the rest of Mailferry: no line of Microsoft's file is here.
 *
 * Why: Outlook's Office.js host files (outlook-web-16.01.js, outlook-win32-16.0x.js,
 * outlook-mac-16.00.js, … in @microsoft/office-js) do not start until MicrosoftAjax.js is loaded,
 * and fetch it from ajax.aspnetcdn.com when it is not. No npm package ships that file, and tenants
 * that block Microsoft's CDN (or lose it: office-js issues 4131, 5733) would get a taskpane that
 * never starts. tab/index.html loads this file before office.js, only when Outlook hosts the page;
 * office.js and the host file then find MicrosoftAjax "loaded" (they test Sys.StringBuilder,
 * Type.registerNamespace, Type.registerClass, Function._validateParams and
 * Sys.Serialization.JavaScriptSerializer.serialize) and ask no CDN.
 *
 * What is here is what the host files of the pinned @microsoft/office-js call (checked by
 * test/tab/microsoft-ajax-stand-in.test.ts, which fails when an upgrade calls more), with
 * MicrosoftAjax's documented behaviour: namespaces and class registration, parameter validation
 * returning Sys.* errors, the Error factories, String.format, the static Array helpers,
 * Sys.StringBuilder, Sys.Serialization's JSON with MicrosoftAjax's "\/Date(ms)\/" dates,
 * Sys.Browser and Sys.Debug.
 * Built-ins are only added to, never replaced (no String.prototype rewrites as the original did).
 */
((global) => {
  if (global.Sys && global.Type?.registerNamespace) return; // the real one (or this) is already loaded

  if (!global.Sys) global.Sys = {};
  const Sys = global.Sys;
  Sys.__upperCaseTypes = {};
  Sys.__rootNamespaces = [Sys];
  Sys.Res = {
    argument: 'Value does not fall within the expected range.',
    argumentNull: 'Value cannot be null.',
    argumentOutOfRange: 'Specified argument was out of the range of valid values.',
    argumentType: 'Object cannot be converted to the required type.',
    argumentTypeWithTypes: "Object of type '{0}' cannot be converted to type '{1}'.",
    argumentUndefined: 'Value cannot be undefined.',
    argumentDomElement: 'Value must be a DOM element.',
    argumentInteger: 'Value must be an integer.',
    enumInvalidValue: "'{0}' is not a valid value for enum {1}.",
    format: 'One of the identified items was in an invalid format.',
    invalidOperation: 'Operation is not valid due to the current state of the object.',
    notImplemented: 'The method or operation is not implemented.',
    parameterCount: 'Parameter count mismatch.',
    paramName: 'Parameter name: {0}',
    actualValue: 'Actual value was {0}.',
  };

  // String.format: "{0}" placeholders, "{{" and "}}" for braces.
  function format(template, args) {
    return String(template).replace(/\{\{|\}\}|\{(\d+)(?::[^}]*)?\}/g, (match, index) => {
      if (match === '{{') return '{';
      if (match === '}}') return '}';
      const value = args[Number(index)];
      return value === undefined || value === null ? '' : String(value);
    });
  }
  if (!String.format) String.format = (template, ...args) => format(template, args);

  // Type is Function: every constructor gets registerClass, getName, … through Function.prototype.
  global.Type = Function;
  const Type = global.Type;
  function registerBuiltin(type, name) {
    if (type.__typeName === undefined) type.__typeName = name;
    if (type.__class === undefined) type.__class = true;
  }
  registerBuiltin(Object, 'Object');
  registerBuiltin(Function, 'Function');
  registerBuiltin(String, 'String');
  registerBuiltin(Boolean, 'Boolean');
  registerBuiltin(Number, 'Number');
  registerBuiltin(Date, 'Date');
  registerBuiltin(RegExp, 'RegExp');
  registerBuiltin(Array, 'Array');
  registerBuiltin(Error, 'Error');

  Type.registerNamespace = (name) => {
    let parent = global;
    const parts = String(name).split('.');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      let ns = parent[part];
      if (!ns) ns = parent[part] = {};
      if (!ns.__namespace) {
        if (i === 0 && name !== 'Sys') Sys.__rootNamespaces.push(ns);
        ns.__namespace = true;
        ns.__typeName = parts.slice(0, i + 1).join('.');
        ns.getName = namespaceName;
      }
      parent = ns;
    }
  };
  function namespaceName() {
    return this.__typeName;
  }
  Type.isNamespace = (value) => !!value?.__namespace;
  Type.isClass = (value) => !!value?.__class;
  Type.isInterface = (value) => !!value?.__interface;
  Type.isEnum = (value) => !!value?.__enum;

  const proto = Type.prototype;
  proto.registerClass = function (typeName, baseType, ...interfaces) {
    this.prototype.constructor = this;
    this.__typeName = typeName;
    this.__class = true;
    if (baseType) {
      this.__baseType = baseType;
      this.__basePrototypePending = true;
    }
    Sys.__upperCaseTypes[String(typeName).toUpperCase()] = this;
    if (interfaces.length > 0) this.__interfaces = interfaces;
    return this;
  };
  proto.registerInterface = function (typeName) {
    Sys.__upperCaseTypes[String(typeName).toUpperCase()] = this;
    this.prototype.constructor = this;
    this.__typeName = typeName;
    this.__interface = true;
    return this;
  };
  proto.registerEnum = function (typeName, flags) {
    for (const key in this.prototype) this[key] = this.prototype[key];
    Sys.__upperCaseTypes[String(typeName).toUpperCase()] = this;
    this.__typeName = typeName;
    this.__enum = true;
    if (flags) this.__flags = true;
    return this;
  };
  proto.getName = function () {
    return this.__typeName === undefined ? '' : this.__typeName;
  };
  proto.getBaseType = function () {
    return this.__baseType === undefined ? null : this.__baseType;
  };
  proto.resolveInheritance = function () {
    if (!this.__basePrototypePending) return;
    const base = this.__baseType;
    base.resolveInheritance();
    for (const key in base.prototype) if (!this.prototype[key]) this.prototype[key] = base.prototype[key];
    delete this.__basePrototypePending;
  };
  proto.initializeBase = function (instance, args) {
    this.resolveInheritance();
    if (this.__baseType) this.__baseType.apply(instance, args || []);
    return instance;
  };
  proto.callBaseMethod = function (instance, name, args) {
    this.resolveInheritance();
    const base = this.__baseType;
    const method = base?.prototype[name];
    if (typeof method !== 'function') return undefined;
    return method.apply(instance, args || []);
  };
  proto.inheritsFrom = function (type) {
    this.resolveInheritance();
    for (let base = this.__baseType; base; base = base.__baseType) if (base === type) return true;
    return false;
  };
  proto.implementsInterface = function (type) {
    this.resolveInheritance();
    for (let t = this; t; t = t.__baseType) if (t.__interfaces && t.__interfaces.indexOf(type) !== -1) return true;
    return false;
  };
  proto.isInstanceOfType = function (instance) {
    return isInstanceOfType(this, instance);
  };

  Object.getType = (instance) => {
    const ctor = instance === undefined || instance === null ? undefined : instance.constructor;
    if (!ctor || typeof ctor !== 'function' || !ctor.__typeName || ctor.__typeName === 'Object') return Object;
    return ctor;
  };
  Object.getTypeName = (instance) => Object.getType(instance).getName();

  function isInstanceOfType(type, instance) {
    if (instance === undefined || instance === null) return false;
    if (instance instanceof type) return true;
    const actual = Object.getType(instance);
    if (actual === type) return true;
    if (actual.inheritsFrom?.(type)) return true;
    if (actual.implementsInterface?.(type)) return true;
    // Primitives: a string is a String, a number a Number, a boolean a Boolean.
    return (
      (type === String && typeof instance === 'string') ||
      (type === Number && typeof instance === 'number') ||
      (type === Boolean && typeof instance === 'boolean') ||
      (type === Function && typeof instance === 'function')
    );
  }
  Sys._isInstanceOfType = isInstanceOfType;
  Sys._isDomElement = (value) => !!(value && typeof value === 'object' && typeof value.nodeType === 'number');

  // Errors: a plain Error with MicrosoftAjax's message and fields (name "Sys.ArgumentNullException", paramName, …).
  function create(message, fields) {
    const error = new Error(message);
    error.message = message;
    if (fields) for (const key in fields) error[key] = fields[key];
    return error;
  }
  function withParam(kind, text, paramName, extra) {
    let message = `Sys.${kind}: ${text}`;
    if (paramName) message += `\n${format(Sys.Res.paramName, [paramName])}`;
    if (extra) message += `\n${extra}`;
    return message;
  }
  Error.create = create;
  Error.argument = (paramName, message) =>
    create(withParam('ArgumentException', message || Sys.Res.argument, paramName), {
      name: 'Sys.ArgumentException',
      paramName: paramName,
    });
  Error.argumentNull = (paramName, message) =>
    create(withParam('ArgumentNullException', message || Sys.Res.argumentNull, paramName), {
      name: 'Sys.ArgumentNullException',
      paramName: paramName,
    });
  Error.argumentUndefined = (paramName, message) =>
    create(withParam('ArgumentUndefinedException', message || Sys.Res.argumentUndefined, paramName), {
      name: 'Sys.ArgumentUndefinedException',
      paramName: paramName,
    });
  Error.argumentOutOfRange = (paramName, actualValue, message) => {
    const extra = actualValue === undefined || actualValue === null ? '' : format(Sys.Res.actualValue, [actualValue]);
    return create(withParam('ArgumentOutOfRangeException', message || Sys.Res.argumentOutOfRange, paramName, extra), {
      name: 'Sys.ArgumentOutOfRangeException',
      paramName: paramName,
      actualValue: actualValue,
    });
  };
  Error.argumentType = (paramName, actualType, expectedType, message) => {
    const text =
      message ||
      (actualType && expectedType
        ? format(Sys.Res.argumentTypeWithTypes, [typeName(actualType), typeName(expectedType)])
        : Sys.Res.argumentType);
    return create(withParam('ArgumentTypeException', text, paramName), {
      name: 'Sys.ArgumentTypeException',
      paramName: paramName,
      actualType: actualType,
      expectedType: expectedType,
    });
  };
  function typeName(type) {
    return type?.getName ? type.getName() : String(type);
  }
  Error.format = (message) => create(`Sys.FormatException: ${message || Sys.Res.format}`, { name: 'Sys.FormatException' });
  Error.invalidOperation = (message) =>
    create(`Sys.InvalidOperationException: ${message || Sys.Res.invalidOperation}`, { name: 'Sys.InvalidOperationException' });
  Error.notImplemented = (message) =>
    create(`Sys.NotImplementedException: ${message || Sys.Res.notImplemented}`, { name: 'Sys.NotImplementedException' });
  Error.parameterCount = (message) =>
    create(`Sys.ParameterCountException: ${message || Sys.Res.parameterCount}`, { name: 'Sys.ParameterCountException' });
  // MicrosoftAjax trims its own frames off Firefox's fileName/lineNumber stacks; other browsers have none to trim.
  if (!Error.prototype.popStackFrame) Error.prototype.popStackFrame = () => {};

  // Function._validateParams(arguments, [{name, type, mayBeNull, optional, parameterArray, integer, domElement,
  // elementType, elementMayBeNull, …}], validateCount = true): the first problem as an Error, or null.
  Function._validateParams = (params, expected, validateCount) => {
    if (validateCount === undefined) validateCount = true;
    let error = Function._validateParameterCount(params, expected, validateCount);
    if (error) return error;
    for (let i = 0; i < params.length; i++) {
      const spec = expected[Math.min(i, expected.length - 1)];
      if (!spec) break;
      let name = spec.name;
      if (spec.parameterArray) name += `[${i - expected.length + 1}]`;
      else if (!validateCount && i >= expected.length) break;
      error = Function._validateParameter(params[i], spec, name);
      if (error) return error;
    }
    return null;
  };
  Function._validateParameterCount = (params, expected, validateCount) => {
    let required = 0;
    let open = false;
    for (let i = 0; i < expected.length; i++) {
      if (expected[i].parameterArray) open = true;
      else if (!expected[i].optional) required = i + 1;
    }
    if (params.length < required) return Error.parameterCount();
    if (validateCount && !open && params.length > expected.length) return Error.parameterCount();
    return null;
  };
  Function._validateParameter = (value, spec, name) => {
    let error = Function._validateParameterType(value, spec.type, !!spec.integer, !!spec.domElement, !!spec.mayBeNull, name);
    if (error) return error;
    if (spec.type === Array && value !== undefined && value !== null && (spec.elementType || !spec.elementMayBeNull)) {
      for (let i = 0; i < value.length; i++) {
        error = Function._validateParameterType(
          value[i],
          spec.elementType,
          !!spec.elementInteger,
          !!spec.elementDomElement,
          !!spec.elementMayBeNull,
          `${name}[${i}]`,
        );
        if (error) return error;
      }
    }
    return null;
  };
  Function._validateParameterType = (value, type, integer, domElement, mayBeNull, name) => {
    if (value === undefined) return mayBeNull ? null : Error.argumentUndefined(name);
    if (value === null) return mayBeNull ? null : Error.argumentNull(name);
    if (type?.__enum) {
      if (typeof value !== 'number') return Error.argumentType(name, Object.getType(value), type);
      if (isEnumValue(type, value)) return null;
      return Error.argumentOutOfRange(name, value, format(Sys.Res.enumInvalidValue, [value, type.getName()]));
    }
    if (domElement && (!Sys._isDomElement(value) || value.nodeType === 3)) return Error.argument(name, Sys.Res.argumentDomElement);
    if (type && !isInstanceOfType(type, value)) return Error.argumentType(name, Object.getType(value), type);
    if (type === Number && integer && value % 1 !== 0) return Error.argumentOutOfRange(name, value, Sys.Res.argumentInteger);
    return null;
  };
  Function.validateParameters = (params, expected, validateCount) => Function._validateParams(params, expected, validateCount);
  function isEnumValue(type, value) {
    if (value % 1 !== 0) return false;
    const values = type.prototype;
    let key;
    if (!type.__flags || value === 0) {
      for (key in values) if (values[key] === value) return true;
      return false;
    }
    let rest = value;
    for (key in values) if (values[key] !== 0 && (values[key] & value) === values[key]) rest -= values[key];
    return rest === 0;
  }

  if (!Function.createDelegate)
    Function.createDelegate =
      (instance, method) =>
      (...args) =>
        method.apply(instance, args);
  if (!Function.createCallback)
    Function.createCallback = (method, context) =>
      function (...args) {
        return method.apply(this, [...args, context]);
      };
  if (!Function.emptyFunction) Function.emptyFunction = Function.emptyMethod = () => {};

  // MicrosoftAjax's static Array helpers (the Windows host files remove callbacks with Array.removeAt).
  const arrayHelpers = {
    add: (array, item) => {
      array[array.length] = item;
    },
    addRange: (array, items) => {
      array.push(...items);
    },
    clear: (array) => {
      array.length = 0;
    },
    clone: (array) => array.slice(),
    contains: (array, item) => array.indexOf(item) >= 0,
    insert: (array, index, item) => {
      array.splice(index, 0, item);
    },
    remove: (array, item) => {
      const index = array.indexOf(item);
      if (index >= 0) array.splice(index, 1);
      return index >= 0;
    },
    removeAt: (array, index) => {
      array.splice(index, 1);
    },
  };
  for (const name in arrayHelpers) if (!Array[name]) Array[name] = arrayHelpers[name];

  // The classes office.js and the Outlook host files use by name, registered as MicrosoftAjax registers them.
  Type.registerNamespace('Sys');

  Sys.StringBuilder = function (initialText) {
    this._parts = initialText !== undefined && initialText !== null && initialText !== '' ? [String(initialText)] : [];
  };
  Sys.StringBuilder.prototype = {
    append: function (text) {
      if (text !== undefined && text !== null) this._parts.push(String(text));
      return this;
    },
    appendLine: function (text) {
      this._parts.push(text === undefined || text === null ? '\r\n' : `${String(text)}\r\n`);
      return this;
    },
    clear: function () {
      this._parts = [];
    },
    isEmpty: function () {
      return this._parts.join('') === '';
    },
    toString: function (separator) {
      return this._parts.join(separator || '');
    },
  };
  Sys.StringBuilder.registerClass('Sys.StringBuilder');

  // JSON, with MicrosoftAjax's date form: a Date is the string "\/Date(<ms since 1970>)\/".
  const DATE_TEXT = /^\/Date\((-?\d+)\)\/$/;
  Type.registerNamespace('Sys.Serialization');
  // A class (MicrosoftAjax's is instantiable too): registerClass needs a prototype, which an arrow function lacks.
  Sys.Serialization.JavaScriptSerializer = function JavaScriptSerializer() {};
  Sys.Serialization.JavaScriptSerializer.serialize = (value) => {
    const text = JSON.stringify(value, function (key, item) {
      const original = this[key];
      return original instanceof Date ? `\u0000Date(${original.getTime()})\u0000` : item;
    });
    return text === undefined ? '' : text.replace(/\\u0000Date\((-?\d+)\)\\u0000/g, '\\/Date($1)\\/');
  };
  Sys.Serialization.JavaScriptSerializer.deserialize = (data) => {
    if (data === undefined || data === null || String(data).length === 0) throw Error.argument('data', 'Cannot deserialize empty string.');
    try {
      return JSON.parse(data, (_key, item) => {
        const date = typeof item === 'string' ? DATE_TEXT.exec(item) : null;
        return date ? new Date(Number(date[1])) : item;
      });
    } catch (_cause) {
      throw Error.argument('data', 'Cannot deserialize. The data does not correspond to valid JSON.');
    }
  };
  Sys.Serialization.JavaScriptSerializer.registerClass('Sys.Serialization.JavaScriptSerializer');

  // Sys.Browser: which browser this is, as MicrosoftAjax 3.5 names them (Chromium and Edge are "Safari": WebKit).
  Sys.Browser = { InternetExplorer: {}, Firefox: {}, Safari: {}, Opera: {} };
  const agent = global.navigator?.userAgent || '';
  const browsers = [
    [/ MSIE (\d+\.\d+)/, Sys.Browser.InternetExplorer, 'Microsoft Internet Explorer'],
    [/ Firefox\/(\d+\.\d+)/, Sys.Browser.Firefox, 'Firefox'],
    [/ AppleWebKit\/(\d+(\.\d+)?)/, Sys.Browser.Safari, 'Safari'],
    [/Opera\/(\d+\.\d+)/, Sys.Browser.Opera, 'Opera'],
  ];
  const known = browsers.find(([pattern]) => pattern.test(agent));
  if (known) setBrowser(known[1], known[2], known[0].exec(agent)[1]);
  else setBrowser(null, global.navigator?.appName || '', 0);
  function setBrowser(browser, name, number) {
    Sys.Browser.agent = browser;
    Sys.Browser.name = name;
    Sys.Browser.version = Number.parseFloat(number) || 0;
    Sys.Browser.documentMode = 0;
  }

  // Sys.Debug: trace lines to the console (and to a <textarea id="TraceConsole"> if the page has one).
  Sys.Debug = {
    isDebug: false,
    trace: (text) => {
      if (global.console?.debug) global.console.debug(text);
      const area = global.document?.getElementById('TraceConsole');
      if (area && area.tagName === 'TEXTAREA') area.value += `${text}\n`;
    },
    traceDump: (value, name) => {
      Sys.Debug.trace((name ? `${name}: ` : '') + Sys.Serialization.JavaScriptSerializer.serialize(value));
    },
    clearTrace: () => {},
    assert: (condition, message) => {
      if (!condition) Sys.Debug.trace(`Assertion failed: ${message || ''}`);
    },
    fail: (message) => {
      Sys.Debug.trace(`Failure: ${message || ''}`);
    },
  };
})(window);
