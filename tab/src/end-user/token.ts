/** `#token=…` from the e-mailed link; undefined when absent. */
export function tokenFromHash(hash: string): string | undefined {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token?.trim() || undefined;
}
