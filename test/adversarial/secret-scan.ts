/**
 * "Secrets never leave": the suite plants secrets (passwords, client secrets, webhook URLs, link
 * tokens), captures every response body, header and log line it sees, and at the end looks for
 * every planted secret in all of it. A match names where it was seen, never the whole text.
 */
export class SecretScanner {
  private readonly secrets = new Map<string, string>();
  private readonly captured: { where: string; text: string }[] = [];
  private capturedBytes = 0;

  /** A fresh, recognisable secret value, remembered for the scan. */
  plant(label: string, value = `${label}-${Math.random().toString(36).slice(2, 12)}-S3cr3t!`): string {
    this.secrets.set(value, label);
    return value;
  }

  capture(where: string, text: string | undefined): void {
    if (!text) return;
    this.captured.push({ where, text });
    this.capturedBytes += text.length;
  }

  /** A log sink shaped like the engine's log that keeps every line. */
  log(where: string) {
    const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      this.capture(`${where} ${level}`, `${message} ${JSON.stringify(fields ?? {})}`);
    return { info: line('info'), warn: line('warn'), error: line('error') };
  }

  get counts(): { secrets: number; captured: number; capturedBytes: number } {
    return { secrets: this.secrets.size, captured: this.captured.length, capturedBytes: this.capturedBytes };
  }

  /** Every place a planted secret was seen (also URL-encoded or JSON-escaped), as `label in where: …what came before it`. */
  leaks(): string[] {
    const found: string[] = [];
    for (const [secret, label] of this.secrets) {
      const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
      for (const { where, text } of this.captured) {
        const at = Math.max(...[...forms].map((form) => text.indexOf(form)));
        // A few characters around the secret say which field carried it, without repeating it.
        if (at >= 0) found.push(`${label} in ${where}: …${text.slice(Math.max(0, at - 60), at)}<secret>…`);
      }
    }
    return [...new Set(found)];
  }
}
