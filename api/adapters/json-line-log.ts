import type { EngineLog } from '../core/engine/job-context.js';

/**
 * Structured one-line logs on stdout/stderr (Application Insights and journald both read them).
 * Fields carry ids and counts only: the engine never hands a secret to its log.
 */
export const jsonLineLog: EngineLog = {
  info: (message, fields) => console.log(line('info', message, fields)),
  warn: (message, fields) => console.warn(line('warn', message, fields)),
  error: (message, fields) => console.error(line('error', message, fields)),
};

function line(level: string, message: string, fields?: Record<string, unknown>): string {
  return JSON.stringify({ at: new Date().toISOString(), level, message, ...fields });
}
