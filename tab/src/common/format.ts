/** Sizes are written one way everywhere (KiB, MiB, GiB): the API's cards, the CLI and the console. */
export { formatBytes } from '../../../api/core/human-units';

export function formatDate(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
