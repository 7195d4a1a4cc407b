/**
 * Graph collections come in pages: follow `@odata.nextLink` to the end; a delta listing ends with
 * `@odata.deltaLink`, which asks later for only what changed since.
 */
import type { GraphContext } from './context.js';
import type { GraphAction } from './map-error.js';

interface Page<T> {
  value?: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export interface Listing<T> {
  values: T[];
  deltaLink?: string;
}

export async function readAllPages<T>(
  ctx: Pick<GraphContext, 'transport' | 'limits'>,
  url: string,
  what: GraphAction,
): Promise<Listing<T>> {
  const values: T[] = [];
  const headers = { Prefer: `odata.maxpagesize=${ctx.limits.pageSize}` };
  for (let next: string | undefined = url; next; ) {
    const { body }: { body: Page<T> } = await ctx.transport.send<Page<T>>({ method: 'GET', url: next, headers, ...what });
    values.push(...(body?.value ?? []));
    if (body?.['@odata.deltaLink']) return { values, deltaLink: body['@odata.deltaLink'] };
    next = body?.['@odata.nextLink'];
  }
  return { values };
}
