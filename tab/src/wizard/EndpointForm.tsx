import {
  Button,
  Checkbox,
  Dropdown,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Option,
  Radio,
  RadioGroup,
  Textarea,
} from '@fluentui/react-components';
import { useState } from 'react';
import { ALL_GRAPH_PERMISSIONS } from '../../../api/connectors/graph/permissions';
import {
  adminModesFor,
  CLOUD_LABELS,
  ENDPOINT_KIND_LABELS,
  isM365,
  modernAuthAllowed,
  speaksGraph,
  withKind,
  withProtocol,
  withSignIn,
  type AdminMode,
  type EndpointDraft,
  type EndpointKind,
  type M365Cloud,
  type M365Protocol,
  type Security,
} from './wizard-steps';
import { GROUPS_GRAPH_LOSSES, GROUPS_GRAPH_SETUP, groupsOverGraph } from './groups-graph';

const useStyles = makeStyles({
  stack: { display: 'grid', gap: '12px' },
  // start: a field with a validation message under it no longer stretches its row neighbours' inputs.
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))', gap: '12px', alignItems: 'start' },
  wide: { gridColumn: '1 / -1' },
  permissions: { fontFamily: 'monospace', margin: 0, whiteSpace: 'pre-wrap' },
  // A Field lays its children out in a grid, which would stretch the button across the form.
  copy: { justifySelf: 'start' },
  pem: { fontFamily: 'monospace' },
});

const SECURITY: Record<Security, string> = { tls: 'TLS (port 993)', starttls: 'STARTTLS (port 143)', none: 'None (trusted networks only)' };
const ADMIN_MODES: Record<AdminMode, string> = {
  none: 'None: each item has its own login',
  'plain-authzid': 'Master user (SASL PLAIN authzid)',
  'login-star': 'Master user (user*admin login)',
  delegation: 'Delegation (FullAccess)',
  impersonation: 'Impersonation',
};
const ADMIN_MODE_HINTS: Partial<Record<EndpointKind, string>> = {
  exchange: 'Delegation: grant the admin FullAccess on each mailbox. Impersonation: assign the ApplicationImpersonation role.',
  m365: 'Delegation: FullAccess on each mailbox (Add-MailboxPermission). Impersonation: ApplicationImpersonation or RBAC for Applications.',
  'm365-group': 'Delegation: make the admin an owner or member of each group. Groups mailboxes cannot be impersonated.',
};
const LOGIN_HINTS: Record<EndpointKind, string | undefined> = {
  imap: undefined,
  exchange: 'e.g. migration-admin@contoso.com or CONTOSO\\migration-admin',
  m365: 'e.g. migration-admin@contoso.onmicrosoft.com',
  'm365-group': 'e.g. migration-admin@contoso.onmicrosoft.com',
};
export const GROUPS_NOTE = 'Groups mailboxes hold Inbox and Calendar only; add FolderFilter=^(?!Inbox$|Calendar$) to the project.';
export const GRAPH_NOTE =
  'Microsoft Graph copies every item type between Exchange Online mailboxes (export/import) and mail from IMAP or Exchange on premises as MIME. ' +
  'It reaches primary and shared mailboxes only: Groups mailboxes stay on EWS.';
export const EWS_RETIRING_NOTE =
  'Microsoft is switching EWS off in Exchange Online tenant by tenant and removes it on 2027-04-01; ' +
  'a tenant that blocks it must allow-list the app (Set-OrganizationConfig -EwsAllowedAppIDs) until then.';
/** What to paste into the app registration: Microsoft Graph → Application permissions, then admin consent. */
export const GRAPH_PERMISSION_LIST = ALL_GRAPH_PERMISSIONS.join('\n');

function GraphPermissions() {
  const styles = useStyles();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(GRAPH_PERMISSION_LIST);
    setCopied(true);
  };
  return (
    <Field
      label="Permissions the app registration needs"
      className={styles.wide}
      hint="Entra admin center → App registrations → your app → API permissions → Add a permission → Microsoft Graph → Application permissions; then Grant admin consent."
    >
      {/* biome-ignore lint/a11y/useSemanticElements: a <pre> keeps the list one name per line; a <fieldset> is for form controls. The role lets screen readers read the label */}
      <pre className={styles.permissions} role="group" aria-label="Microsoft Graph application permissions">
        {GRAPH_PERMISSION_LIST}
      </pre>
      <Button size="small" className={styles.copy} onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy the list'}
      </Button>
    </Field>
  );
}

/** The app registration's ids: with a secret for an app's own sign-in, alone for Groups over Graph (an administrator signs in). */
function AppIdFields({
  draft,
  msg,
  set,
}: {
  draft: EndpointDraft;
  msg: (key: string) => object;
  set: <K extends keyof EndpointDraft>(key: K, value: EndpointDraft[K]) => void;
}) {
  return (
    <>
      <Field label="Application (client) ID" required hint="From the app registration's Overview page" {...msg('appClientId')}>
        <Input
          value={draft.appClientId}
          autoComplete="off"
          placeholder="00000000-0000-0000-0000-000000000000"
          onChange={(_, d) => set('appClientId', d.value)}
        />
      </Field>
      <Field label="Directory (tenant) ID" required hint="A GUID, or a domain such as contoso.onmicrosoft.com" {...msg('appTenantId')}>
        <Input value={draft.appTenantId} autoComplete="off" onChange={(_, d) => set('appTenantId', d.value)} />
      </Field>
    </>
  );
}

const MODERN_AUTH_NOTE =
  'Modern Auth uses Impersonation: an app registration has no mailbox of its own, so it opens each mailbox by impersonation ' +
  '(the full_access_as_app permission or RBAC for Applications).';

/** The fields of the endpoint schema (api/core/schemas.ts `endpointInput`), per kind. */
export function EndpointForm({
  draft,
  problems,
  onChange,
}: {
  draft: EndpointDraft;
  problems: Record<string, string>;
  onChange: (draft: EndpointDraft) => void;
}) {
  const styles = useStyles();
  const set = <K extends keyof EndpointDraft>(key: K, value: EndpointDraft[K]) => onChange({ ...draft, [key]: value });
  const msg = (key: string) => (problems[key] ? { validationMessage: problems[key], validationState: 'error' as const } : {});
  const kind = draft.kind;
  const appAuth = draft.authMechanism === 'oauth-app';
  const graph = speaksGraph(draft);
  const groupGraph = groupsOverGraph(draft);
  const modes = appAuth ? (['impersonation'] as const) : adminModesFor(kind);

  return (
    <div className={styles.stack}>
      <Field label="Kind" required>
        <RadioGroup value={kind} layout="horizontal" onChange={(_, d) => onChange(withKind(draft, d.value as EndpointKind))}>
          {(Object.keys(ENDPOINT_KIND_LABELS) as EndpointKind[]).map((k) => (
            <Radio key={k} value={k} label={ENDPOINT_KIND_LABELS[k]} />
          ))}
        </RadioGroup>
      </Field>
      <div className={styles.grid}>
        <Field label="Endpoint name" required {...msg('name')}>
          <Input value={draft.name} onChange={(_, d) => set('name', d.value)} />
        </Field>
        {kind === 'imap' && (
          <>
            <Field label="Server host name" required hint="e.g. imap.contoso.com" {...msg('host')}>
              <Input value={draft.host} onChange={(_, d) => set('host', d.value)} />
            </Field>
            <Field label="Port" hint="Empty: 993 for TLS, 143 otherwise" {...msg('port')}>
              <Input inputMode="numeric" value={draft.port} onChange={(_, d) => set('port', d.value)} />
            </Field>
            <Field label="Encryption">
              <Dropdown
                value={SECURITY[draft.security]}
                selectedOptions={[draft.security]}
                onOptionSelect={(_, d) => set('security', d.optionValue as Security)}
              >
                {Object.entries(SECURITY).map(([value, label]) => (
                  <Option key={value} value={value}>
                    {label}
                  </Option>
                ))}
              </Dropdown>
            </Field>
          </>
        )}
        {kind === 'exchange' && (
          <Field
            label="EWS or OWA URL"
            required
            className={styles.wide}
            {...msg('host')}
            hint="e.g. https://mail.contoso.com/EWS/Exchange.asmx or https://mail.contoso.com/owa (the address you see after signing in to Outlook on the web)"
          >
            <Input
              type="url"
              value={draft.host}
              placeholder="https://mail.contoso.com/EWS/Exchange.asmx"
              onChange={(_, d) => set('host', d.value)}
            />
          </Field>
        )}
        {kind === 'm365' && (
          <Field label="Protocol" className={styles.wide} hint={graph ? GRAPH_NOTE : EWS_RETIRING_NOTE}>
            <RadioGroup
              value={draft.protocol}
              layout="horizontal"
              onChange={(_, d) => onChange(withProtocol(draft, d.value as M365Protocol))}
            >
              <Radio value="graph" label="Microsoft Graph (recommended)" />
              <Radio value="ews" label="EWS (until Microsoft turns it off)" />
            </RadioGroup>
          </Field>
        )}
        {kind === 'm365-group' && (
          <Field label="Protocol" className={styles.wide} hint={groupGraph ? GROUPS_GRAPH_SETUP : EWS_RETIRING_NOTE}>
            <RadioGroup value={draft.protocol} layout="horizontal" onChange={(_, d) => set('protocol', d.value as M365Protocol)}>
              <Radio value="ews" label="EWS (keeps everything, while the tenant allows EWS)" />
              <Radio value="graph" label="Microsoft Graph conversation posts (after EWS; keeps much less)" />
            </RadioGroup>
          </Field>
        )}
        {groupGraph && <AppIdFields draft={draft} msg={msg} set={set} />}
        {graph && <GraphPermissions />}
        {isM365(kind) && !graph && !groupGraph && (
          <>
            <Field label="Cloud" hint="The Microsoft 365 environment the tenant lives in">
              <Dropdown
                value={CLOUD_LABELS[draft.cloud]}
                selectedOptions={[draft.cloud]}
                onOptionSelect={(_, d) => set('cloud', d.optionValue as M365Cloud)}
              >
                {Object.entries(CLOUD_LABELS).map(([value, label]) => (
                  <Option key={value} value={value}>
                    {label}
                  </Option>
                ))}
              </Dropdown>
            </Field>
            <Field
              label="EWS URL (optional)"
              hint="Empty: the cloud's own EWS address. Give one only to reach a specific server."
              {...msg('host')}
            >
              <Input
                type="url"
                value={draft.host}
                placeholder="https://outlook.office365.com/EWS/Exchange.asmx"
                onChange={(_, d) => set('host', d.value)}
              />
            </Field>
            <Field
              label="Sign-in"
              className={styles.wide}
              {...msg('authMechanism')}
              hint={
                modernAuthAllowed(kind)
                  ? 'Exchange Online has turned Basic authentication off for most tenants; use an app registration unless yours still allows it.'
                  : 'Groups mailboxes are opened by delegation, which needs an admin login: an app registration could only impersonate.'
              }
            >
              <RadioGroup
                value={appAuth ? 'oauth-app' : 'password'}
                layout="horizontal"
                onChange={(_, d) => onChange(withSignIn(draft, d.value as 'password' | 'oauth-app'))}
              >
                <Radio value="password" label="Admin login (Basic)" />
                <Radio value="oauth-app" label="Modern Auth app registration" disabled={!modernAuthAllowed(kind)} />
              </RadioGroup>
            </Field>
          </>
        )}
        {appAuth && (
          <>
            <AppIdFields draft={draft} msg={msg} set={set} />
            <Field
              label="App credential"
              className={styles.wide}
              hint="A certificate is what Microsoft recommends for apps; upload its public part under Certificates & secrets → Certificates."
            >
              <RadioGroup
                value={draft.appCredential}
                layout="horizontal"
                onChange={(_, d) => set('appCredential', d.value as EndpointDraft['appCredential'])}
              >
                <Radio value="secret" label="Secret" />
                <Radio value="certificate" label="Certificate" />
              </RadioGroup>
            </Field>
            {draft.appCredential === 'secret' ? (
              <Field label="Client secret" required hint="Stored encrypted; never shown again" {...msg('appClientSecret')}>
                <Input
                  type="password"
                  value={draft.appClientSecret}
                  autoComplete="new-password"
                  onChange={(_, d) => set('appClientSecret', d.value)}
                />
              </Field>
            ) : (
              <Field
                label="Certificate and private key (PEM)"
                required
                className={styles.wide}
                {...msg('appCertificate')}
                hint="Both in one text, the key without a passphrase (from a .pfx: openssl pkcs12 -in app.pfx -nodes). The key is stored encrypted and never shown again; the endpoint shows the thumbprint and expiry."
              >
                <Textarea
                  value={draft.appCertificate}
                  resize="vertical"
                  rows={6}
                  spellCheck={false}
                  className={styles.pem}
                  placeholder={'-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n…'}
                  onChange={(_, d) => set('appCertificate', d.value)}
                />
              </Field>
            )}
          </>
        )}
        {!graph && !groupGraph && (
          <Field label="Admin access" hint={appAuth ? MODERN_AUTH_NOTE : ADMIN_MODE_HINTS[kind]} {...msg('adminMode')}>
            <Dropdown
              value={ADMIN_MODES[appAuth ? 'impersonation' : draft.adminMode]}
              selectedOptions={[appAuth ? 'impersonation' : draft.adminMode]}
              disabled={appAuth}
              onOptionSelect={(_, d) => set('adminMode', d.optionValue as AdminMode)}
            >
              {modes.map((mode) => (
                <Option key={mode} value={mode}>
                  {ADMIN_MODES[mode]}
                </Option>
              ))}
            </Dropdown>
          </Field>
        )}
        {!appAuth && !groupGraph && draft.adminMode !== 'none' && (
          <>
            <Field label="Admin login" required hint={LOGIN_HINTS[kind]} {...msg('adminLogin')}>
              <Input value={draft.adminLogin} autoComplete="off" onChange={(_, d) => set('adminLogin', d.value)} />
            </Field>
            <Field label="Admin password" required hint="Stored encrypted; never shown again" {...msg('adminPassword')}>
              <Input
                type="password"
                value={draft.adminPassword}
                autoComplete="new-password"
                onChange={(_, d) => set('adminPassword', d.value)}
              />
            </Field>
          </>
        )}
        <Field label="Domains" hint="Optional, separated by commas">
          <Input value={draft.domains} onChange={(_, d) => set('domains', d.value)} />
        </Field>
        {(kind === 'imap' || kind === 'exchange') && (
          <Checkbox
            label="Accept a self-signed certificate (this endpoint only)"
            checked={draft.allowSelfSigned}
            onChange={(_, d) => set('allowSelfSigned', d.checked === true)}
          />
        )}
        {kind === 'imap' && (
          <Checkbox
            label="Send the password as an OAuth 2.0 access token (XOAUTH2)"
            checked={draft.authMechanism === 'xoauth2'}
            onChange={(_, d) => set('authMechanism', d.checked === true ? 'xoauth2' : 'password')}
          />
        )}
      </div>
      {kind === 'm365-group' && !groupGraph && (
        <MessageBar intent="info">
          <MessageBarBody>{GROUPS_NOTE}</MessageBarBody>
        </MessageBar>
      )}
      {groupGraph && (
        <MessageBar intent="warning" aria-label="What this path loses">
          <MessageBarBody>
            <strong>What this path loses.</strong> Microsoft Graph has no import for Groups mailboxes; this is what Microsoft leaves once
            EWS is off:
            <ul>
              {GROUPS_GRAPH_LOSSES.map((loss) => (
                <li key={loss}>{loss}</li>
              ))}
            </ul>
            While the tenant still allows EWS, choose EWS: it keeps everything.
          </MessageBarBody>
        </MessageBar>
      )}
    </div>
  );
}
