#!/usr/bin/env node
/**
 * `mailferry`: the same core as the API, for scripts and quick jobs. Works on the data directory
 * of `npm start` (MAILFERRY_DATA or .mailferry); passes started here run in the running host, or
 * in this process with --wait.
 *
 * Only the argument parser is loaded up front: `migrate` and the other commands import what they
 * need when they run (a second `mailferry migrate` should take well under a second, Node included).
 */
import { ensureError, MailferryError } from '../core/errors.js';
import { EXIT, parseCli } from './cli-args.js';

const HELP = `mailferry — mailbox migration from the command line

  mailferry migrate --from imap://USER:PASS@HOST:PORT --to imaps://USER@HOST [--pass full|prestage|trial|verify] [--before 90d] [--into-non-empty] [--json]
                    (a first run into a mailbox that already holds mail stops with exit 3 unless --into-non-empty)
        one-shot job with its own store: a second run copies only what is new
        (passwords may come from MAILFERRY_FROM_PASSWORD / MAILFERRY_TO_PASSWORD)

  mailferry endpoint add --name N --kind imap --host H [--port P] [--security tls|starttls|none] [--allow-self-signed]
                         [--admin-mode plain-authzid|login-star --admin-login L --admin-password-env VAR]
  mailferry endpoint add --name N --kind exchange --host https://mail.contoso.com/owa
                         [--admin-mode delegation|impersonation --admin-login L --admin-password-env VAR]
  mailferry endpoint add --name N --kind m365 [--protocol graph] --auth-mechanism oauth-app --app-client-id ID --app-tenant-id T
                         --app-secret-env VAR | --app-certificate-file PEM   (certificate and private key in one PEM file)
                         (Exchange Online over Microsoft Graph, the default for a new m365 endpoint)
  mailferry endpoint add --name N --kind m365 --protocol ews|--kind m365-group [--cloud commercial|china|germany|usgov-gcchigh|usgov-dod]
                         [--auth-mechanism oauth-app --app-client-id ID --app-tenant-id T --app-secret-env VAR --admin-mode impersonation]
  mailferry endpoint set-protocol --endpoint ID --protocol graph|ews [--app-client-id ID --app-tenant-id T]
                         (a Groups endpoint switched to graph names the app its administrator signs in with)
  mailferry endpoint sign-in ENDPOINT   (id or name; Microsoft 365 Groups over Graph: shows a code to enter at
                         Microsoft's sign-in page, waits, and keeps the administrator's sign-in in the vault)
  mailferry endpoint check ENDPOINT [--test-mailbox ADDRESS | --test-login L --test-password-env VAR] [--side source|destination] [--json]
                         (id or name; "Save and Go to Summary": each check with what to fix, exit 1 when one failed;
                         over Microsoft Graph each permission is tried on the test mailbox)
  mailferry endpoint edit --endpoint ID [any flag of "endpoint add"]   (flags not given keep their value;
                         a password not given keeps the stored one; --app-certificate-file replaces the certificate)
  mailferry endpoint delete --endpoint ID   (refused while a project uses it)
  mailferry endpoint list [--search TEXT]
  mailferry project create --name N --source ENDPOINT_ID --destination ENDPOINT_ID [--option Key=Value ...] [--max-concurrent 5]
                         [--teams-webhook-env VAR]   (a Teams Workflows webhook URL: a card when each pass ends)
  mailferry project list [--search TEXT]
  mailferry project options --project ID --option Key=Value [--option ...]
  mailferry item add --project ID --source a@src.com --destination a@dst.com [--source-login L --source-password-env VAR]
                     [--destination-login L --destination-password-env VAR] [--option Key=Value]
                     [--end-user]   (the end user confirms the source password from an e-mailed link)
  mailferry item import --project ID --csv FILE        (columns: Source Email, Destination Email, logins, passwords)
  mailferry item delete --item ID | --items ID,ID   (with its ledger and error log; refused while its pass runs)
  mailferry item list --project ID [--status "Completed With Errors"] [--search TEXT]
  mailferry item change-domain --project ID --side source|destination --from old.com --to new.com [--items ID,ID]
  mailferry pass start --project ID --kind verify|trial|prestage|full|retry-errors [--cutoff 90d] [--items ID,ID]
                       [--item-types mail,contacts,calendar,tasks,notes,journal,rules,permissions] [--date-from D --date-to D]
                       [--start-at ISO] [--wait]
  mailferry pass stop --pass ID
  mailferry progress --project ID [--watch]
  mailferry errors --item ID
  mailferry stats --project ID [--format table|csv|json]

Exit codes: 0 success, 2 completed with errors, 1 failure, 3 migrate: the destination already holds mail, 64 usage error.
Data: MAILFERRY_DATA (default ./.mailferry), shared with "npm start".`;

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseCli(argv);
  if (flags.help || !command.length || command[0] === 'help') {
    console.log(HELP);
    return EXIT.ok;
  }
  if (command[0] === 'migrate') return (await import('./cli-migrate.js')).migrateCommand(flags);
  return (await import('./cli-commands.js')).runCommand(command, flags);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const e = ensureError(error);
    console.error(`mailferry: ${e.message}`);
    process.exit(e instanceof MailferryError && e.code === 'validation' ? EXIT.usage : EXIT.failed);
  },
);
