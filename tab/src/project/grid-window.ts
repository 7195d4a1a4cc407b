/**
 * Which rows of a long list are worth rendering: the ones in view plus a few either side, with
 * the space of the rest kept as padding so the scrollbar stays true. This is what keeps a
 * 5,000-item project as quick as a 50-item one.
 */
export interface GridWindow {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index (exclusive). */
  end: number;
  padTopPx: number;
  padBottomPx: number;
}

export interface WindowInput {
  scrollTopPx: number;
  viewportPx: number;
  rowPx: number;
  total: number;
  /** Rows rendered beyond each edge so fast scrolling shows no blank band. */
  overscan?: number;
}

const DEFAULT_OVERSCAN = 8;

export function gridWindow({ scrollTopPx, viewportPx, rowPx, total, overscan = DEFAULT_OVERSCAN }: WindowInput): GridWindow {
  if (total <= 0 || rowPx <= 0) return { start: 0, end: 0, padTopPx: 0, padBottomPx: 0 };
  const firstVisible = Math.floor(Math.max(0, scrollTopPx) / rowPx);
  const visibleCount = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  const start = Math.min(Math.max(0, firstVisible - overscan), total);
  const end = Math.min(total, firstVisible + visibleCount + overscan);
  return { start, end, padTopPx: start * rowPx, padBottomPx: (total - end) * rowPx };
}
