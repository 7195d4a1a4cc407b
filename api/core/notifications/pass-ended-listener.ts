import type { EngineLog } from '../engine/job-context.js';
import { ensureError } from '../errors.js';
import type { Pass } from '../model.js';
import type { Notifier, Store } from '../ports.js';
import type { StatisticsService } from '../services/statistics-service.js';

export interface PassEndedDeps {
  store: Store;
  statistics: StatisticsService;
  notifier: Notifier;
  log: EngineLog;
}

/**
 * What every host does when a pass ends: log it and post its Adaptive Card. One function so the
 * embedded host and the Azure Functions app cannot drift apart again (Azure once only logged).
 * A failed post is logged, never fatal to settling the pass.
 */
export function passEndedListener({ store, statistics, notifier, log }: PassEndedDeps): (pass: Pass) => Promise<void> {
  return async (pass) => {
    log.info(`Pass ${pass.kind} ${pass.status}`, { passId: pass.id, ...pass.summary });
    try {
      const project = await store.projects.get(pass.tenantId, pass.projectId);
      if (!project) return;
      const { errorsByReason } = await statistics.project(pass.tenantId, pass.projectId);
      await notifier.notifyPassEnded({ project, pass, topErrors: errorsByReason });
    } catch (error) {
      log.warn(`Could not post the pass card: ${ensureError(error).message}`, { passId: pass.id });
    }
  };
}
