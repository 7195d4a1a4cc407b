import { useCallback, useEffect, useRef, useState } from 'react';
import { asProblem, type ApiProblem } from '../api/client';

/** Loads once per `key` change; `reload` refetches. Stale answers for an older key are dropped. */
export function useApi<T>(
  load: () => Promise<T>,
  key: string,
): { data: T | undefined; problem: ApiProblem | undefined; reload: () => void; loading: boolean } {
  const [data, setData] = useState<T>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` and `tick` are the triggers (a new key, reload()); the effect reads the loader through loadRef so a new closure each render does not refetch
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (live) {
          setData(value);
          setProblem(undefined);
          setLoading(false);
        }
      },
      (error) => {
        if (live) {
          setProblem(asProblem(error));
          setLoading(false);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, problem, reload, loading };
}

/** Runs `fn` every `intervalMs` while mounted, never overlapping itself. */
export function usePolling(fn: () => Promise<void>, intervalMs: number, enabled = true): void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const run = async () => {
      try {
        await fnRef.current();
      } catch {
        /* the next poll retries; screens show their own problems */
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    };
    timer = setTimeout(run, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, enabled]);
}
