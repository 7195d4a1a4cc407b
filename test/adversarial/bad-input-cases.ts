/**
 * The bad-input property shared by both hosts: generate requests from the OpenAPI document the
 * host serves, send each one, and collect every answer that is not a clear 4xx problem, grouped
 * by route and defect so one finding reads as one line however many cases hit it.
 */
import fc from 'fast-check';
import { adversarialRun } from './adversarial-run.js';
import type { HostUnderAttack } from './hosts.js';
import { badRequests, operationsOf, type BadRequest, type Operation } from './openapi-cases.js';
import { problemViolation, type RawResponse } from './http-probe.js';

export async function servedOperations(host: HostUnderAttack): Promise<Operation[]> {
  const res = await host.send({ method: 'GET', path: '/api/v1/openapi.json' });
  if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  return operationsOf(JSON.parse(res.text));
}

export interface BadInputOutcome {
  cases: number;
  defects: number;
  /** `operation / defect: what was wrong`, one line per distinct kind. */
  violations: string[];
}

/** Runs `cases` generated bad requests (seeded) and judges each answer; `skip` keeps out cases another finding owns. */
export async function runBadInput(
  host: HostUnderAttack,
  ids: Record<string, string>,
  cases = adversarialRun.httpCases,
  judge: (req: BadRequest, res: RawResponse) => string | undefined = defaultJudge,
): Promise<BadInputOutcome> {
  const operations = await servedOperations(host);
  const requests = fc.sample(badRequests(operations, { ids }), { seed: adversarialRun.seed, numRuns: cases });
  const violations = new Map<string, string>();
  const defects = new Set<string>();
  for (const req of requests) {
    defects.add(`${req.operation} ${req.defect}`);
    const res = await host.send(req);
    const violation = judge(req, res);
    if (violation) violations.set(`${req.operation} / ${req.defect}`, violation);
  }
  return { cases: requests.length, defects: defects.size, violations: [...violations].map(([k, v]) => `${k}: ${v}`) };
}

function defaultJudge(req: BadRequest, res: RawResponse): string | undefined {
  return problemViolation(res, { bodyDefect: req.body !== undefined && !req.defect.startsWith('path') });
}
